"""One module per command or command group; each parses, calls the library, renders."""
