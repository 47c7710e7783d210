"""The command-line face of its_store (Typer + rich). Nothing outside this package imports it."""
