"""The Teamleader Focus source: booked invoices and credit notes with their customers."""

from __future__ import annotations

from typing import Any, ClassVar

from connector.services import Source

DEFAULT_API_URL = "https://api.focus.teamleader.eu"
DEFAULT_AUTH_URL = "https://focus.teamleader.eu"


class TeamleaderSource(Source):
    name = "teamleader"
    title = "Teamleader Focus"
    options_schema: ClassVar[dict[str, Any]] = {
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
                "description": "Client id of the Teamleader Marketplace integration, usually ${TEAMLEADER_CLIENT_ID}.",
            },
            "client_secret": {
                "type": "string",
                "minLength": 1,
                "description": "Client secret of the integration; must be an ${ENV} reference, never a literal.",
            },
            "api_url": {
                "type": "string",
                "format": "uri",
                "description": f"Base URL of the API (default {DEFAULT_API_URL}); the sandbox overrides it.",
            },
            "auth_url": {
                "type": "string",
                "format": "uri",
                "description": f"Base URL of the OAuth server (default {DEFAULT_AUTH_URL}).",
            },
        },
        "required": ["plugin", "department", "client_id", "client_secret"],
        "additionalProperties": False,
    }
