"""Teamleader Focus plugin for connector."""
