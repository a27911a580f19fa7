"""connector: link an invoicing system to a bookkeeping system from one rule file per client."""

from __future__ import annotations

from connector.errors import (
    ApiError,
    AuthorizationNeeded,
    BudgetExhausted,
    ClientBusy,
    ConfigurationError,
    ConnectorError,
    FatalError,
    PluginError,
    Problem,
    RateLimited,
    RecordError,
    RecordFailed,
    RecordSkipped,
    RetriableError,
    RuleFileError,
)
from connector.hookspecs import hookimpl
from connector.records import (
    Address,
    Customer,
    Discount,
    Document,
    EntryLine,
    JournalEntry,
    Line,
    Payment,
    PaymentStatus,
    PaymentTerm,
    TaxRate,
    TaxTotal,
    Totals,
)
from connector.services import ReferenceData, ServiceContext, Sink, Source

__version__ = "0.1.0"

__all__ = [
    "Address",
    "ApiError",
    "AuthorizationNeeded",
    "BudgetExhausted",
    "ClientBusy",
    "ConfigurationError",
    "ConnectorError",
    "Customer",
    "Discount",
    "Document",
    "EntryLine",
    "FatalError",
    "JournalEntry",
    "Line",
    "Payment",
    "PaymentStatus",
    "PaymentTerm",
    "PluginError",
    "Problem",
    "RateLimited",
    "RecordError",
    "RecordFailed",
    "RecordSkipped",
    "ReferenceData",
    "RetriableError",
    "RuleFileError",
    "ServiceContext",
    "Sink",
    "Source",
    "TaxRate",
    "TaxTotal",
    "Totals",
    "__version__",
    "hookimpl",
]
