"""Exact Online plugin for connector."""
