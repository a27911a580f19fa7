"""Watch mode: clients on their triggers, hot reload of rule files, clean stops."""
