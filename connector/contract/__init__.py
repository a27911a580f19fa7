"""The plugin contract: what passes between the core and a plugin.

Records (`records`), the service base classes (`services`), the hooks (`hookspecs`) and the plugin
manager that calls them (`plugins`), the error tree (`errors`), the run report (`report`), token
storage (`tokens`), sandbox protocols (`sandboxes`) and secret masking (`secrets`). Everything else in
the core imports from here; nothing here imports the engine, the state or the command line.
"""
