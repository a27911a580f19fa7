"""`python -m connector.rules > schemas/rules.schema.json`: print the effective rule file schema."""

from __future__ import annotations

from connector.contract.plugins import Plugins
from connector.rules.schema import render_schema

print(render_schema(Plugins.load()), end="")
