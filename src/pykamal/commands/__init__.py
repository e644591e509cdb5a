"""Command builders: pure functions that decide *what* to run, returning Command data (no I/O)."""
