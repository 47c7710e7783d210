"""How bytes move: single PUTs and parallel parts, ranged downloads, resume, checksums, atomic files."""
