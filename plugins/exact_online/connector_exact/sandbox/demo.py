"""The demo administration the sandbox starts with: a Belgian division with Exact's usual set-up.

IDs are derived from names (uuid5), so GL account 7000 has the same GUID on every start.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from .crm import pad_code
from .store import Division, Store

DIVISION = 1234567
CLIENT_ID = "{b81cc4de-d192-400e-bcb4-09254394c52a}"
CLIENT_SECRET = "sandbox-exact-secret-Qm7v2Lx9"
USER_ID = "5e6f0c5a-3d1b-4e0a-9a51-1c9b2f8e7d10"
USER = {
    "FullName": "Demo Boekhouder",
    "FirstName": "Demo",
    "LastName": "Boekhouder",
    "Email": "boekhouder@demo.example",
    "UserName": "boekhouder@demo.example",
    "LanguageCode": "nl-BE",
}
NAMESPACE = uuid.UUID("2f1d6c0e-8a53-4c55-9f0e-6b1f3d0a9e21")


def guid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


VAT_CODES: list[tuple[str, str, str, str]] = [  # code, description, type, percentage
    ("4", "BTW 21% excl.", "E", "0.21"),
    ("5", "BTW 12% excl.", "E", "0.12"),
    ("2", "BTW 6% excl.", "E", "0.06"),
    ("0", "BTW 0% excl.", "E", "0"),
    ("7", "Intracommunautaire levering 0% (ICL)", "E", "0"),
    ("1", "BTW 21% incl.", "I", "0.21"),
    ("3", "BTW 6% incl.", "I", "0.06"),
]
JOURNALS: list[tuple[str, str, int]] = [
    ("70", "Verkoopboek", 20),
    ("71", "Creditnota's", 21),
    ("80", "Inkoopboek", 22),
    ("10", "Kas", 10),
    ("20", "Bank", 12),
]
COST_CENTERS: list[tuple[str, str, bool]] = [  # code, description, active
    ("100", "Verkoop", True),
    ("200", "Opleidingen", True),
    ("300", "Service", True),
    ("900", "Oude vestiging", False),
]
COST_UNITS: list[tuple[str, str]] = [("P01", "Consultancy"), ("P02", "Boeken"), ("P03", "Workshops")]
GL_ACCOUNTS: list[
    tuple[str, str, int, str, str, str | None]
] = [  # code, description, type, balance type, balance side, default VAT code
    ("1000", "Kas", 10, "B", "D", None),
    ("1100", "Bank", 12, "B", "D", None),
    ("1300", "Debiteuren", 20, "B", "D", None),
    ("1500", "BTW", 24, "B", "C", None),
    ("4000", "Kosten", 121, "W", "D", None),
    ("7000", "Omzet hoog", 110, "W", "C", "4"),
    ("7010", "Omzet laag", 110, "W", "C", "2"),
    ("7020", "Omzet 12%", 110, "W", "C", "5"),
    ("7050", "Omzet ICL", 110, "W", "C", "7"),
    ("7080", "Kortingen", 110, "W", "C", None),
]
GL_TYPES = {
    10: "Cash",
    12: "Bank",
    20: "Accounts receivable",
    24: "VAT",
    110: "Revenue",
    121: "General expenses",
}
JOURNAL_TYPES = {
    10: "Cash",
    12: "Bank",
    20: "Sales",
    21: "Return invoice",
    22: "Purchase",
    90: "General journal",
}
PAYMENT_CONDITIONS: list[
    tuple[str, str, int, int, str, str, int]
] = [  # code, description, days, end-of-months, method, discount %, discount days
    ("00", "Contant", 0, 0, "K", "0", 0),
    ("14", "14 dagen", 14, 0, "B", "0", 0),
    ("30", "30 dagen", 30, 0, "B", "0", 0),
    ("30EM", "30 dagen einde maand", 30, 1, "B", "0", 0),
    ("DD", "Incasso", 30, 0, "I", "0", 0),
    ("8K", "8 dagen 2% korting", 30, 0, "B", "0.02", 8),
]
ACCOUNTS: list[dict[str, Any]] = [
    {
        "Code": "1001",
        "Name": "Brouwerij De Koperen Ketel BV",
        "VATNumber": "BE0477472701",
        "Email": "boekhouding@koperenketel.example",
        "Phone": "+32 9 123 45 67",
        "AddressLine1": "Kouter 12",
        "Postcode": "9000",
        "City": "Gent",
        "Country": "BE",
        "Language": "NL",
        "PaymentConditionSales": "30",
    },
    {
        "Code": "1002",
        "Name": "Atelier Lumière SRL",
        "VATNumber": "BE0403170701",
        "Email": "compta@lumiere.example",
        "AddressLine1": "Rue Neuve 4",
        "Postcode": "1000",
        "City": "Bruxelles",
        "Country": "BE",
        "Language": "FR",
        "PaymentConditionSales": "14",
    },
    {
        "Code": "1003",
        "Name": "Noorderlicht Design BV",
        "VATNumber": "NL812345678B01",
        "Email": "info@noorderlicht.example",
        "AddressLine1": "Keizersgracht 100",
        "Postcode": "1015 AA",
        "City": "Amsterdam",
        "Country": "NL",
        "Language": "NL",
        "PaymentConditionSales": "30EM",
    },
    {
        "Code": "1004",
        "Name": "Jan Peeters",
        "Email": "jan.peeters@mail.example",
        "AddressLine1": "Dorpstraat 1",
        "Postcode": "2000",
        "City": "Antwerpen",
        "Country": "BE",
        "Language": "NL",
    },
]
CONTACTS = [
    ("1001", "Sofie", "Maes", "sofie@koperenketel.example"),
    ("1002", "Camille", "Dubois", "camille@lumiere.example"),
]


def seed_demo(store: Store) -> Division:
    """Replace all data with the demo division."""
    division = Division(DIVISION, "Demo BV", "BE", "EUR", vat_number="BE0123456749")
    store.divisions = {DIVISION: division}
    store.insert(
        division,
        "divisions",
        {
            "Code": DIVISION,
            "Description": "Demo BV",
            "Country": "BE",
            "Currency": "EUR",
            "VATNumber": "BE0123456749",
            "Current": True,
            "Status": 1,
            "CustomerName": "Demo BV",
        },
        key="Code",
    )
    gl_ids = {code: guid(f"gl:{code}") for code, *_ in GL_ACCOUNTS}
    for code, description, vat_type, percentage in VAT_CODES:
        store.insert(
            division,
            "vat_codes",
            {
                "ID": guid(f"vat:{code}"),
                "Code": code.ljust(3),
                "Description": description,
                "Type": vat_type,
                "Percentage": Decimal(percentage),
                "VATTransactionType": "S",
                "IsBlocked": False,
                "Charged": False,
                "EUSalesListing": "L" if code == "7" else "N",
                "GLToPay": gl_ids["1500"],
                "GLToClaim": gl_ids["1500"],
            },
        )
    for code, description, gl_type, balance, side, vat in GL_ACCOUNTS:
        store.insert(
            division,
            "gl_accounts",
            {
                "ID": gl_ids[code],
                "Code": code,
                "Description": description,
                "Type": gl_type,
                "TypeDescription": GL_TYPES[gl_type],
                "BalanceType": balance,
                "BalanceSide": side,
                "VATCode": vat.ljust(3) if vat else None,
                "IsBlocked": False,
                "Matching": gl_type == 20,
                "UseCostcenter": 0,
                "UseCostunit": 0,
            },
        )
    for code, description, active in COST_CENTERS:
        center = {"ID": guid(f"costcenter:{code}"), "Code": code, "Description": description}
        store.insert(division, "cost_centers", {**center, "Active": active})
    for code, description in COST_UNITS:
        store.insert(
            division, "cost_units", {"ID": guid(f"costunit:{code}"), "Code": code, "Description": description}
        )
    journal_gl = {"10": "1000", "20": "1100"}
    for code, description, kind in JOURNALS:
        gl_code = journal_gl.get(code)
        store.insert(
            division,
            "journals",
            {
                "ID": guid(f"journal:{code}"),
                "Code": code,
                "Description": description,
                "Type": kind,
                "TypeDescription": JOURNAL_TYPES[kind],
                "Currency": "EUR",
                "IsBlocked": False,
                "AllowVariableCurrency": kind in (20, 21),
                "GLAccount": gl_ids[gl_code] if gl_code else None,
                "GLAccountCode": gl_code,
            },
        )
    for code, description, days, months, method, discount, discount_days in PAYMENT_CONDITIONS:
        store.insert(
            division,
            "payment_conditions",
            {
                "ID": guid(f"condition:{code}"),
                "Code": code,
                "Description": description,
                "PaymentDays": days,
                "PaymentEndOfMonths": months,
                "PaymentMethod": method,
                "DiscountPercentage": Decimal(discount),
                "DiscountPaymentDays": discount_days,
                "PaymentDiscountType": "B" if discount_days else None,
                "DiscountCalculation": None,
            },
        )
    from .schema import ACCOUNT, CONTACT

    for data in ACCOUNTS:
        row: dict[str, Any] = dict.fromkeys(ACCOUNT.fields)
        row.update(Status="C", Type="A", IsSales=True, IsSupplier=False, Blocked=False)
        row.update(data, ID=guid(f"account:{data['Code']}"), Code=pad_code(data["Code"]))
        store.insert(division, "accounts", row)
    for account_code, first, last, email in CONTACTS:
        account = division.find("accounts", Code=pad_code(account_code))
        assert account is not None
        contact: dict[str, Any] = dict.fromkeys(CONTACT.fields)
        contact.update(
            ID=guid(f"contact:{email}"),
            Account=account["ID"],
            AccountName=account["Name"],
            FirstName=first,
            LastName=last,
            FullName=f"{first} {last}",
            Email=email,
            BusinessEmail=email,
            IsMainContact=True,
        )
        store.insert(division, "contacts", contact)
        account["MainContact"] = contact["ID"]
    return division
