"""Helpers for tests, the demo and the benchmarks (a throwaway SeaweedFS); not the library."""
