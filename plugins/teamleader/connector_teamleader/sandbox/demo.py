"""Demo data: the account `connector sandbox` and `connector demo` start with, and the benchmark
generator. Deterministic: the same ids, numbers and amounts every run (seeded generators only).

Acme BV (EUR, Belgian VAT) has the tax rates 21%, 12%, 6%, 0% and 0% ICL, four payment terms, ~30
Belgian and Dutch companies, a dozen contacts, about a hundred booked invoices from 2026-01-05 on
(mixed rates, line and commercial discounts, some paid, some by direct debit, one in USD), a few credit
notes and drafts. Acme Services BV, a second department, has a handful of invoices a connector for Acme
BV must leave alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from .scenario import book_invoice, seed
from .store import Store

MAIN, OTHER = "Acme BV", "Acme Services BV"
RATES = [
    {"description": "21%", "rate": "0.21"},
    {"description": "12%", "rate": "0.12"},
    {"description": "6%", "rate": "0.06"},
    {"description": "0%", "rate": "0"},
    {"description": "0% ICL", "rate": "0"},
]
TERMS = [
    {"type": "after_invoice_date", "days": 14, "default": True},
    {"type": "after_invoice_date", "days": 30},
    {"type": "end_of_month", "days": 30},
    {"type": "cash", "days": 0},
]
BELGIAN = [
    ("Brouwerij De Klok BV", "Kerkstraat 12", "9000", "Gent"),
    ("Bakkerij Peeters BV", "Markt 3", "2000", "Antwerpen"),
    ("Van den Broeck Logistics NV", "Havenlaan 88", "1000", "Brussel"),
    ("Dewaele Bouw BV", "Industrieweg 5", "8500", "Kortrijk"),
    ("Atelier Lemaire SRL", "Rue de la Station 21", "4000", "Liège"),
    ("Garage Janssens BV", "Steenweg 140", "3500", "Hasselt"),
    ("Drukkerij Maes NV", "Nijverheidsstraat 7", "2800", "Mechelen"),
    ("Vandamme Consulting BV", "Stationsstraat 45", "8000", "Brugge"),
    ("Willems Elektro BV", "Dorpsplein 2", "3000", "Leuven"),
    ("Jacobs Architecten BV", "Lange Nieuwstraat 19", "2000", "Antwerpen"),
    ("Boulangerie Dubois SRL", "Rue Haute 54", "5000", "Namur"),
    ("Lambert Transport SA", "Chaussée de Mons 301", "7000", "Mons"),
    ("Cools IT Solutions BV", "Kempische Steenweg 293", "3500", "Hasselt"),
    ("Goossens Interieur BV", "Mechelsesteenweg 66", "2500", "Lier"),
    ("Desmet Catering BV", "Zeedijk 110", "8400", "Oostende"),
    ("Claes Hoevezuivel BV", "Hoeveweg 4", "2440", "Geel"),
    ("Verbeke Studio BV", "Vlaanderenstraat 31", "9000", "Gent"),
    ("Mertens & Co NV", "Leopoldlaan 9", "1930", "Zaventem"),
]
DUTCH = [
    ("Bakker Installatietechniek B.V.", "Keizersgracht 101", "1015 CJ", "Amsterdam"),
    ("De Vries Logistiek B.V.", "Waalhaven 12", "3089 JH", "Rotterdam"),
    ("Jansen Media B.V.", "Oudegracht 150", "3511 AZ", "Utrecht"),
    ("Visser Bouw B.V.", "Grote Markt 8", "9711 LV", "Groningen"),
    ("Smit & Zonen B.V.", "Stratumseind 20", "5611 ET", "Eindhoven"),
    ("Meijer Accountants B.V.", "Lange Voorhout 44", "2514 EG", "Den Haag"),
    ("Mulder Design Studio B.V.", "Vrijthof 17", "6211 LD", "Maastricht"),
    ("Bos Groenvoorziening B.V.", "Ginnekenweg 80", "4818 JE", "Breda"),
    ("Van Dijk Software B.V.", "Hengelosestraat 500", "7521 AN", "Enschede"),
    ("Dekker Horeca B.V.", "Brink 33", "7411 BS", "Deventer"),
    ("Hendriks Techniek B.V.", "Piusplein 5", "5038 WN", "Tilburg"),
    ("Van Leeuwen Transport B.V.", "Spaarne 60", "2011 CK", "Haarlem"),
]
PEOPLE = [
    ("Sofie", "Peeters"), ("Thomas", "Janssens"), ("Lotte", "Maes"), ("Pieter", "Claes"),
    ("Emma", "de Vries"), ("Daan", "Bakker"), ("Julie", "Dubois"), ("Lars", "Jansen"),
    ("Marie", "Lambert"), ("Bram", "Visser"), ("Noor", "Smit"), ("Wout", "Willems"),
]  # fmt: skip
SERVICES = [
    ("Consultancy (hours)", "95", "21%"), ("Software licence", "480", "21%"),
    ("Support contract", "150", "21%"),
    ("Catering", "18.50", "12%"), ("Printed brochures", "0.85", "6%"), ("Books", "24.95", "6%"),
    ("Training day", "650", "21%"), ("Installation", "320", "21%"),
    ("Renovation works (private home)", "1250", "6%"),
    ("Export shipment", "410", "0%"), ("Hosting (monthly)", "49.99", "21%"), ("Design work", "85", "21%"),
]  # fmt: skip


def belgian_vat(base: int) -> str:
    """A valid Belgian VAT number: BE + 10 digits, the first 8 (starting 0) + 97 - (those mod 97)."""
    base = base % 10**7
    return f"BE{base:08d}{97 - base % 97:02d}"


def dutch_vat(seed_value: int) -> str:
    """A Dutch VAT number (NL + 9 digits passing the 11-test + B01)."""
    digits = [int(c) for c in f"{seed_value % 10**8:08d}"]
    check = sum(d * (9 - i) for i, d in enumerate(digits)) % 11
    if check == 10:
        digits[0] = (digits[0] + 1) % 10
        check = sum(d * (9 - i) for i, d in enumerate(digits)) % 11
    return "NL" + "".join(map(str, digits)) + str(check) + "B01"


def _slug(name: str) -> str:
    return "".join(c for c in name.lower().split(" b.v.")[0].split(" bv")[0] if c.isalnum())[:18]


def _companies(rng: random.Random) -> list[dict[str, Any]]:
    companies = []
    for index, (name, street, postal, city) in enumerate(BELGIAN):
        vat = belgian_vat(rng.randrange(20_000_000, 99_999_999))
        companies.append(_company(name, vat, street, postal, city, "BE", "be", "nl" if index % 4 else "fr"))
    for name, street, postal, city in DUTCH:
        vat = dutch_vat(rng.randrange(10_000_000, 99_999_999))
        companies.append(_company(name, vat, street, postal, city, "NL", "nl", "nl"))
    companies[3]["payment_term"] = {"type": "end_of_month", "days": 30}
    companies[5]["tags"] = ["key account"]
    return companies


def _company(
    name: str, vat: str, street: str, postal: str, city: str, country: str, tld: str, lang: str
) -> dict:
    domain = f"{_slug(name)}.{tld}"
    return {
        "name": name,
        "vat_number": vat,
        "emails": [
            {"type": "primary", "email": f"info@{domain}"},
            {"type": "invoicing", "email": f"facturen@{domain}"},
        ],
        "telephones": [
            {"type": "phone", "number": "+32 9 123 45 67" if country == "BE" else "+31 20 123 4567"}
        ],
        "website": f"https://www.{domain}",
        "addresses": [
            {
                "type": "primary",
                "address": {"line_1": street, "postal_code": postal, "city": city, "country": country},
            }
        ],
        "language": lang,
        "preferred_currency": "EUR",
        "tags": [],
    }


def _contacts(companies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    contacts = []
    for index, (first, last) in enumerate(PEOPLE):
        company = companies[index * 2 % len(companies)]
        domain = company["emails"][0]["email"].split("@")[1]
        entry: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "emails": [{"type": "primary", "email": f"{first.lower()}@{domain}"}],
            "language": company["language"],
            "companies": [
                {"company": company["name"], "position": "Finance", "decision_maker": index % 3 == 0}
            ],
        }
        if index >= 10:  # two private customers, invoiced as persons
            entry["companies"] = []
            entry["emails"] = [{"type": "primary", "email": f"{first.lower()}.{last.lower()}@example.be"}]
            entry["addresses"] = [
                {
                    "type": "primary",
                    "address": {
                        "line_1": "Veldstraat 1",
                        "postal_code": "9000",
                        "city": "Gent",
                        "country": "BE",
                    },
                }
            ]
        contacts.append(entry)
    return contacts


def _lines(rng: random.Random, count: int, discount: bool) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for _ in range(count):
        description, price, tax = rng.choice(SERVICES)
        line: dict[str, Any] = {
            "description": description,
            "quantity": rng.choice([1, 1, 2, 3, 5, 8, 12, 40]),
            "unit_price": price,
            "tax": tax,
        }
        if discount and not lines:
            line["discount"] = rng.choice([5, 10, 12.5, 15])
        lines.append(line)
    return lines


def seed_demo(store: Store) -> None:
    rng = random.Random(2026)
    companies = _companies(rng)
    seed(
        store,
        {
            "departments": [
                {
                    "name": MAIN,
                    "vat_number": belgian_vat(45678901),
                    "emails": ["invoices@acme.example"],
                    "tax_rates": RATES,
                },
                {
                    "name": OTHER,
                    "vat_number": belgian_vat(76543210),
                    "emails": ["billing@acme-services.example"],
                    "tax_rates": RATES[:4],
                },
            ],
            "payment_terms": TERMS,
            "companies": companies,
            "contacts": _contacts(companies),
        },
    )
    names = [company["name"] for company in companies]
    persons = [f"{first} {last}" for first, last in PEOPLE[10:]]
    start = date(2026, 1, 5)
    for index in range(100):
        on = start + timedelta(days=index * 3 + index // 10)
        spec: dict[str, Any] = {
            "department": MAIN,
            "customer": persons[index % 2] if index % 17 == 4 else names[rng.randrange(len(names))],
            "date": on.isoformat(),
            "lines": _lines(rng, 1 + index % 4, discount=index % 6 == 1),
        }
        if index % 11 == 3:
            spec["discounts"] = [{"value": 5, "description": "loyalty discount"}]
        if index % 9 == 2:
            spec["expected_payment_method"] = {
                "method": "sepa_direct_debit",
                "reference": f"MANDATE-{index:04d}",
            }
        if index % 8 == 5:
            spec["payment_term"] = {"type": "after_invoice_date", "days": 30}
        if spec["customer"] == names[3]:
            spec["payment_term"] = {"type": "end_of_month", "days": 30}
        if index % 23 == 7:
            spec["payment_term"] = {"type": "cash"}
        if index == 42:
            spec.update(currency="USD", home_per_foreign="0.92", customer=names[20])  # 1 USD = 0.92 EUR
        if index % 5 == 0 and index < 80:
            spec["paid"] = True
        if index in (12, 57):
            spec["payments"] = [{"amount": 50}]  # partially paid
        if index in (9, 33, 71):
            spec["credit"] = (on + timedelta(days=6)).isoformat()
        book_invoice(store, spec, backdate=index)
    for index in range(3):
        book_invoice(
            store,
            {
                "department": MAIN,
                "customer": names[index],
                "draft": True,
                "lines": _lines(rng, 2, discount=False),
            },
            backdate=0,
        )
    for index in range(5):
        book_invoice(
            store,
            {
                "department": OTHER,
                "customer": names[-1 - index],
                "date": (date(2026, 2, 2) + timedelta(days=40 * index)).isoformat(),
                "lines": _lines(rng, 2, discount=False),
                "paid": index == 0,
            },
            backdate=index,
        )


def generate(
    store: Store,
    n: int,
    seed_value: int = 0,
    *,
    department: str = MAIN,
    start: date = date(2025, 1, 1),
    days: int = 365,
    backdate: bool = False,
) -> dict[str, int]:
    """Book `n` documents (~90% invoices, ~10% credit notes) for a benchmark, dated from `start` over
    `days` days in date order (so numbers follow dates); new customers `Benchmark Klant s-nnnn BV`.
    Changes are stamped now, unless `backdate` (then on the documents' own dates, as history)."""
    rng = random.Random(seed_value)
    target = store.department_named(department)
    customers = max(20, n // 25)
    companies = [
        _company(
            f"Benchmark Klant {seed_value}-{index:04d} BV",
            belgian_vat(rng.randrange(10**7, 10**8)),
            "Teststraat 1",
            "9000",
            "Gent",
            "BE",
            "be",
            "nl",
        )
        for index in range(customers)
    ]
    ids = seed(store, {"companies": companies})["companies"]
    invoices = credits = 0
    while invoices + credits < n:
        on = start + timedelta(days=(invoices + credits) * days // max(n, 1))
        spec: dict[str, Any] = {
            "department": target.id,
            "customer": ids[rng.randrange(customers)],
            "date": on.isoformat(),
            "lines": _lines(rng, rng.randint(1, 4), discount=rng.random() < 0.15),
            "paid": rng.random() < 0.3,
        }
        if rng.random() < 0.1:
            spec["discounts"] = [rng.choice([2, 5, 10])]
        wants_credit = invoices + credits + 1 < n and rng.random() < 0.11
        if wants_credit:
            spec["credit"] = True
            spec["paid"] = False
        book_invoice(store, spec, backdate=invoices % 480 if backdate else None)
        invoices += 1
        credits += 1 if wants_credit else 0
    return {"invoices": invoices, "credit_notes": credits, "companies": customers}
