"""The Exact Online sink: customers as accounts, documents as sales entries, payments read back."""

from __future__ import annotations

from typing import Any, ClassVar

from connector.services import Sink

DEFAULT_BASE_URL = "https://start.exactonline.nl"


class ExactOnlineSink(Sink):
    name = "exact_online"
    title = "Exact Online"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "description": "Exact Online: where sales entries and customer accounts are booked.",
        "properties": {
            "plugin": {"const": "exact_online", "description": "The Exact Online sink plugin."},
            "division": {
                "type": "integer",
                "minimum": 1,
                "description": "The Exact Online division (administration) number, e.g. 1234567.",
            },
            "client_id": {
                "type": "string",
                "minLength": 1,
                "description": "Client id of the Exact Online app, usually ${EXACT_CLIENT_ID}.",
            },
            "client_secret": {
                "type": "string",
                "minLength": 1,
                "description": "Client secret of the app; must be an ${ENV} reference, never a literal.",
            },
            "base_url": {
                "type": "string",
                "format": "uri",
                "description": f"The Exact Online host of the country (default {DEFAULT_BASE_URL}; "
                "https://start.exactonline.be, .de, .co.uk ...); the sandbox overrides it.",
            },
        },
        "required": ["plugin", "division", "client_id", "client_secret"],
        "additionalProperties": False,
    }
