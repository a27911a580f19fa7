"""The command line: `main` parses and delegates; one module per command group does the work."""
