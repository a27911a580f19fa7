"""Which entities and endpoints the simulator serves, with each field's type.

Field names are Exact's (picqer docblocks and the .NET models, notes §6). A GET without `$select`
returns every field listed here, null where empty, as Exact does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GUID, STR, INT, INT64, DEC, BOOL, DATE = "guid", "str", "int", "int64", "decimal", "bool", "date"


def fields(**groups: str) -> dict[str, str]:
    """`fields(guid="ID Account", str="Name")` → {"ID": "guid", "Account": "guid", "Name": "str"}."""
    kinds = {"guid": GUID, "str": STR, "int": INT, "int64": INT64, "dec": DEC, "bool": BOOL, "date": DATE}
    out: dict[str, str] = {}
    for group, names in groups.items():
        for name in names.split():
            out[name] = kinds[group]
    return out


@dataclass(frozen=True)
class EntityType:
    name: str
    key: str
    fields: dict[str, str]
    navigation: tuple[str, ...] = ()

    @property
    def type_name(self) -> str:
        return f"Exact.Web.Api.Models.{self.name}"

    def with_fields(self, name: str, extra: dict[str, str]) -> EntityType:
        return EntityType(name, self.key, {**self.fields, **extra}, self.navigation)


AUDIT = "Created Modified"

VAT_CODE = EntityType(
    "VATCode",
    "ID",
    fields(
        guid="ID GLToClaim GLToPay",
        str="Code Description Type VATTransactionType EUSalesListing",
        dec="Percentage",
        bool="IsBlocked Charged",
        int="Division",
        date=AUDIT,
    ),
)
JOURNAL = EntityType(
    "Journal",
    "ID",
    fields(
        guid="ID GLAccount",
        str="Code Description TypeDescription Currency GLAccountCode",
        int="Type Division",
        bool="IsBlocked AllowVariableCurrency",
        date=AUDIT,
    ),
)
GL_ACCOUNT = EntityType(
    "GLAccount",
    "ID",
    fields(
        guid="ID",
        str="Code Description TypeDescription BalanceSide BalanceType VATCode",
        int="Type UseCostcenter UseCostunit Division",
        bool="IsBlocked Matching",
        date=AUDIT,
    ),
)
PAYMENT_CONDITION = EntityType(
    "PaymentCondition",
    "ID",
    fields(
        guid="ID",
        str="Code Description PaymentMethod PaymentDiscountType DiscountCalculation",
        int="PaymentDays PaymentEndOfMonths DiscountPaymentDays Division",
        dec="DiscountPercentage",
        date=AUDIT,
    ),
)
# hrm/Costcenters and hrm/Costunits, fields as Exact's reference lists them (picqer/exact-php-client
# Costcenter.php, Costunit.php): a cost unit has no Active flag.
COST_CENTER = EntityType(
    "Costcenter",
    "ID",
    fields(guid="ID", str="Code Description", bool="Active", int="Division", date=AUDIT),
)
COST_UNIT = EntityType(
    "Costunit", "ID", fields(guid="ID", str="Code Description", int="Division", date=AUDIT)
)
ACCOUNT = EntityType(
    "Account",
    "ID",
    fields(
        guid="ID MainContact",
        str="Code SearchCode Name Status Type VATNumber ChamberOfCommerce Email Phone Website "
        "AddressLine1 AddressLine2 AddressLine3 Postcode City State Country CountryName Language "
        "PaymentConditionSales SalesVATCode SalesCurrency Classification1",
        bool="IsSales IsSupplier Blocked",
        int="Division",
        date=AUDIT,
    ),
)
CONTACT = EntityType(
    "Contact",
    "ID",
    fields(
        guid="ID Account",
        str="FirstName LastName FullName Email BusinessEmail Phone BusinessPhone Mobile "
        "JobTitleDescription AccountName Language",
        bool="IsMainContact",
        int="Division",
        date=AUDIT,
    ),
)
SALES_ENTRY = EntityType(
    "SalesEntry",
    "EntryID",
    fields(
        guid="EntryID Customer Document",
        str="CustomerName Currency Description Journal JournalDescription PaymentCondition "
        "PaymentConditionDescription PaymentConditionPaymentMethod PaymentReference YourRef OrderNumber "
        "StatusDescription TypeDescription",
        int="EntryNumber InvoiceNumber Type Status ReportingPeriod ReportingYear Division",
        dec="AmountDC AmountFC VATAmountDC VATAmountFC Rate",
        date="EntryDate DueDate " + AUDIT,
        bool="Reversal",
    ),
    navigation=("SalesEntryLines",),
)
SALES_ENTRY_LINE = EntityType(
    "SalesEntryLine",
    "ID",
    fields(
        guid="ID EntryID GLAccount",
        str="GLAccountCode GLAccountDescription Description VATCode VATCodeDescription CostCenter CostUnit "
        "CostCenterDescription CostUnitDescription",
        int="LineNumber Type Division",
        dec="AmountDC AmountFC VATAmountDC VATAmountFC VATBaseAmountDC VATBaseAmountFC VATPercentage "
        "Quantity",
    ),
)
DOCUMENT = EntityType(
    "Document",
    "ID",
    fields(
        guid="ID Account",
        str="Subject Body TypeDescription AccountName",
        int="Type AttachmentCount Division",
        date="DocumentDate " + AUDIT,
    ),
)
DOCUMENT_ATTACHMENT = EntityType(
    "DocumentAttachment",
    "ID",
    fields(guid="ID Document", str="FileName Url Attachment", dec="FileSize", int="Division"),
)
DOCUMENT_TYPE = EntityType(
    "DocumentType",
    "ID",
    fields(int="ID TypeCategory Division", str="Description", bool="DocumentIsCreatable"),
)
RECEIVABLE = EntityType(
    "Receivable",
    "ID",
    fields(
        guid="ID EntryID TransactionEntryID TransactionID Account Document GLAccount",
        str="AccountCode AccountName Currency Description InvoiceNumberText Journal JournalDescription "
        "YourRef PaymentCondition PaymentConditionDescription PaymentMethod PaymentReference EndToEndID",
        int="EntryNumber InvoiceNumber Status TransactionType Source EndPeriod EndYear Division",
        dec="AmountDC AmountFC TransactionAmountDC TransactionAmountFC RateFC",
        bool="IsFullyPaid TransactionIsReversal",
        date="DueDate InvoiceDate EntryDate LastPaymentDate EndDate " + AUDIT,
    ),
)
RECEIVABLES_LIST = EntityType(
    "ReceivablesList",
    "HID",
    fields(
        int64="HID",
        guid="AccountId",
        str="AccountCode AccountName CurrencyCode Description JournalCode JournalDescription YourRef Notes",
        int="EntryNumber InvoiceNumber",
        dec="Amount AmountInTransit",
        date="DueDate InvoiceDate",
    ),
)
TRANSACTION_LINE = EntityType(
    "TransactionLine",
    "ID",
    fields(
        guid="ID EntryID Account GLAccount",
        str="AccountCode AccountName GLAccountCode GLAccountDescription JournalCode JournalDescription "
        "Description VATCode YourRef Currency",
        int="EntryNumber LineNumber FinancialYear FinancialPeriod Type Status InvoiceNumber Division",
        dec="AmountDC AmountFC AmountVATBaseFC AmountVATFC VATPercentage ExchangeRate",
        date="Date DueDate " + AUDIT,
    ),
)
DELETED = EntityType(
    "Deleted",
    "ID",
    fields(guid="ID EntityKey DeletedBy", int64="Timestamp", int="EntityType Division", date="DeletedDate"),
)
ME = EntityType(
    "Me",
    "UserID",
    fields(
        guid="UserID",
        int="CurrentDivision AccountingDivision DivisionCustomerCode ServerUtcOffset",
        str="FullName FirstName LastName Email UserName LanguageCode Legislation PackageCode "
        "DivisionCustomerName DivisionCustomerVatNumber",
        date="ServerTime",
    ),
)
DIVISION = EntityType(
    "Division",
    "Code",
    fields(int="Code Status", str="Description Country Currency VATNumber CustomerName", bool="Current"),
)

TIMESTAMP = {"Timestamp": INT64}
SYNC_ACCOUNT = ACCOUNT.with_fields("Sync.Account", TIMESTAMP)
SYNC_PAYMENT_TERM = RECEIVABLE.with_fields("Sync.PaymentTerm", {**TIMESTAMP, "LineType": INT})
SYNC_TRANSACTION_LINE = TRANSACTION_LINE.with_fields("Sync.TransactionLine", TIMESTAMP)

ACCOUNT_MANDATORY_FILTER = (
    "Accountant,AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,ChamberOfCommerce,City,"
    "Classification1,Classification2,Classification3,Classification4,Classification5,Classification6,"
    "Classification7,Classification8,Code,CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,InvoiceAccount,"
    "IsAccountant,IsReseller,IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,Postcode,PriceList,"
    "Reseller,RSIN,SearchCode,StartDate,Status,Type,VATNumber"
)


@dataclass(frozen=True)
class Endpoint:
    """One URL path under /api/v1/{division}/ and how Exact serves it."""

    path: str
    entity: EntityType
    table: str
    page_size: int = 60
    methods: frozenset[str] = frozenset({"GET"})
    select_required: bool = False
    mandatory_filter: tuple[str, ...] = ()
    filterable: frozenset[str] | None = None
    sync: bool = False
    kind: str = "crud"  # crud, bulk, sync, read
    order: str | None = None  # default order when not the key (lines come in line order)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def mandatory_filter_message(self) -> str:
        return (
            "This endpoint has mandatory filtering applied. A GET request for this endpoint must have a "
            "$filter parameter with one of the following fields in the url:"
            + ",".join(self.mandatory_filter)
            + "."
        )


CRUD = frozenset({"GET", "POST", "PUT", "DELETE"})
ACCOUNT_FILTER = tuple(ACCOUNT_MANDATORY_FILTER.split(","))
SYNC_ONLY = frozenset({"Timestamp"})
# The only fields bulk/Cashflow/Receivables filters on; any other answers "Filtering on these fields is
# not supported" (notes §"Evidence 2026-12", Endpoints that do and do not exist).
RECEIVABLE_FILTERABLE = frozenset(
    [
        "Account",
        "Document",
        "EndDate",
        "EndToEndID",
        "EntryDate",
        "EntryID",
        "GLAccount",
        "ID",
        "InvoiceDate",
        "InvoiceNumber",
        "Source",
        "Status",
        "TransactionID",
        "TransactionType",
    ]
)


def _bulk(
    path: str,
    entity: EntityType,
    table: str,
    mandatory_filter: tuple[str, ...] = (),
    filterable: frozenset[str] | None = None,
) -> Endpoint:
    return Endpoint(
        path,
        entity,
        table,
        page_size=1000,
        select_required=True,
        kind="bulk",
        mandatory_filter=mandatory_filter,
        filterable=filterable,
    )


def _sync(path: str, entity: EntityType, table: str) -> Endpoint:
    return Endpoint(
        path,
        entity,
        table,
        page_size=1000,
        select_required=True,
        filterable=SYNC_ONLY,
        sync=True,
        kind="sync",
    )


# No field says whether a period is closed (see `periods`).
FINANCIAL_PERIOD = EntityType(
    "FinancialPeriod",
    "ID",
    fields(guid="ID", int="Division FinYear FinPeriod", date=f"StartDate EndDate {AUDIT}"),
)

ENDPOINTS: dict[str, Endpoint] = {
    e.path.lower(): e
    for e in (
        Endpoint("vat/VATCodes", VAT_CODE, "vat_codes"),
        Endpoint("financial/Journals", JOURNAL, "journals"),
        Endpoint("financial/GLAccounts", GL_ACCOUNT, "gl_accounts"),
        Endpoint("cashflow/PaymentConditions", PAYMENT_CONDITION, "payment_conditions"),
        Endpoint("hrm/Costcenters", COST_CENTER, "cost_centers"),
        Endpoint("hrm/Costunits", COST_UNIT, "cost_units"),
        Endpoint("crm/Accounts", ACCOUNT, "accounts", methods=CRUD, mandatory_filter=ACCOUNT_FILTER),
        Endpoint("crm/Contacts", CONTACT, "contacts", methods=CRUD),
        Endpoint("salesentry/SalesEntries", SALES_ENTRY, "sales_entries", methods=CRUD),
        Endpoint(
            "salesentry/SalesEntryLines",
            SALES_ENTRY_LINE,
            "sales_entry_lines",
            methods=CRUD,
            order="LineNumber",
        ),
        Endpoint("cashflow/Receivables", RECEIVABLE, "receivables"),
        Endpoint("documents/Documents", DOCUMENT, "documents", methods=frozenset({"GET", "POST"})),
        Endpoint(
            "documents/DocumentAttachments",
            DOCUMENT_ATTACHMENT,
            "document_attachments",
            methods=frozenset({"GET", "POST"}),
        ),
        Endpoint("documents/DocumentTypes", DOCUMENT_TYPE, "document_types"),
        Endpoint("financialtransaction/TransactionLines", TRANSACTION_LINE, "transaction_lines"),
        Endpoint("system/Divisions", DIVISION, "divisions"),
        Endpoint("financial/FinancialPeriods", FINANCIAL_PERIOD, "financial_periods"),
        Endpoint(
            "read/financial/ReceivablesList",
            RECEIVABLES_LIST,
            "receivables_list",
            page_size=1000,
            kind="read",
        ),
        _bulk("bulk/CRM/Accounts", ACCOUNT, "accounts", mandatory_filter=ACCOUNT_FILTER),
        _bulk("bulk/Cashflow/Receivables", RECEIVABLE, "receivables", filterable=RECEIVABLE_FILTERABLE),
        # No bulk/Financial/SalesEntries: Exact has no bulk (nor sync) endpoint for sales entries
        # (notes §"Evidence 2026-12"); read them from salesentry/SalesEntries with $filter and $select.
        _bulk("bulk/Financial/TransactionLines", TRANSACTION_LINE, "transaction_lines"),
        _sync("sync/CRM/Accounts", SYNC_ACCOUNT, "accounts"),
        _sync("sync/Cashflow/PaymentTerms", SYNC_PAYMENT_TERM, "receivables"),
        _sync("sync/Financial/TransactionLines", SYNC_TRANSACTION_LINE, "transaction_lines"),
        _sync("sync/Deleted", DELETED, "deleted"),
    )
}

DELETED_ENTITY_TYPES = {
    "transaction_lines": 1,
    "accounts": 2,
    "contacts": 5,
    "gl_accounts": 7,
    "receivables": 10,
}
SYNC_ENDPOINT_NAMES = {
    "accounts": "Accounts",
    "receivables": "PaymentTerms",
    "transaction_lines": "TransactionLines",
    "deleted": "Deleted",
}
