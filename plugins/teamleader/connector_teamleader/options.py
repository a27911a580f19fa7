"""The `source:` section of a rule file for Teamleader Focus: its JSON Schema, a description on every
option (the rule file reference and editors show them)."""

from __future__ import annotations

from typing import Any

from . import exchange

DEFAULT_API_URL = "https://api.focus.teamleader.eu"
DEFAULT_AUTH_URL = "https://focus.teamleader.eu"

OPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Teamleader Focus: where booked invoices and credit notes come from.",
    "properties": {
        "plugin": {"const": "teamleader", "description": "The Teamleader Focus source plugin."},
        "department": {
            "type": "string",
            "minLength": 1,
            "description": "The Teamleader department (company entity) whose documents are synced, "
            "by its name or its id.",
        },
        "client_id": {
            "type": "string",
            "minLength": 1,
            "description": "Client id of the Teamleader Marketplace integration, "
            "usually ${TEAMLEADER_CLIENT_ID}.",
        },
        "client_secret": {
            "type": "string",
            "minLength": 1,
            "description": "Client secret of the integration; must be an ${ENV} reference, never a literal.",
        },
        "api_url": {
            "type": "string",
            "description": f"Base URL of the API (default {DEFAULT_API_URL}); the sandbox overrides it.",
        },
        "auth_url": {
            "type": "string",
            "description": f"Base URL of the OAuth server (default {DEFAULT_AUTH_URL}).",
        },
        exchange.OPTION: {
            "enum": list(exchange.SETTINGS),
            "default": "detect",
            "description": "Which way Teamleader's exchange rate on a foreign-currency document "
            "runs (Teamleader does not document it). detect (default): compare each document's rate "
            "with today's rates from Teamleader and book only what clearly fits one way; "
            "home_per_foreign: the rate says 1 USD = 0.92 EUR; foreign_per_home: it says "
            "1 EUR = 1.087 USD. Pin it only after checking one invoice in Teamleader's screens.",
        },
    },
    "required": ["plugin", "department", "client_id", "client_secret"],
    "additionalProperties": False,
}
