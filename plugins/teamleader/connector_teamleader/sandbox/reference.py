"""Reference data: `users.me`, `departments.list/info`, `taxRates.list`, `paymentTerms.list`,
`currencies.exchangeRates` (in `currencies`).

Source: notes §2 (users.me) and §7.7. Departments and payment terms are unpaged (they ignore `page`,
as [VIAA] observed: "returns [] for page>1" is the behaviour it had to guard against; here every page
returns the whole list, which a client stopping on a short page handles the same way).
"""

from __future__ import annotations

from typing import Any

from connector.testing.sandbox import Response

from .common import id_list, not_found, number, obj, sort_spec, sorted_by
from .currencies import exchange_rates
from .store import Department, Store, TaxRate


def users_me(store: Store, body: dict[str, Any]) -> Response:
    user = store.user
    return Response.json(
        {
            "data": {
                "id": user.id,
                "account": {"type": "account", "id": user.account_id},
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "email_verification_status": "confirmed",
                "telephones": [],
                "language": "nl",
                "function": "Owner",
                "time_zone": "Europe/Brussels",
                "preferences": {
                    "invoiceable": True,
                    "historic_time_tracking_limit": None,
                    "whitelabeling": True,
                },
            }
        }
    )


def department_json(department: Department, *, info: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": department.id,
        "name": department.name,
        "vat_number": department.vat_number,
        "currency": department.currency,
        "emails": [{"type": "primary", "email": email} for email in department.emails],
        "status": department.status,
    }
    if info:
        data.update(address=None, telephones=[], website=None, iban=None, bic=None, fiscal_regime=None)
    return data


def departments_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    ids = id_list(flt["ids"], "filter.ids") if "ids" in flt else None
    statuses = flt.get("status")
    found = [
        department
        for department in store.departments.values()
        if (ids is None or department.id in ids) and (not statuses or department.status in statuses)
    ]
    spec = sort_spec(body, ("name", "created_at", "default_department"), "name")
    ordered = sorted_by(found, spec, lambda item, name: item.name if name == "name" else item.index)
    return Response.json({"data": [department_json(item) for item in ordered]})


def departments_info(store: Store, body: dict[str, Any]) -> Response:
    department = store.departments.get(body.get("id"))  # type: ignore[arg-type]
    if department is None:
        raise not_found("Department", body.get("id"))
    return Response.json({"data": department_json(department, info=True)})


def tax_rate_json(rate: TaxRate) -> dict[str, Any]:
    return {
        "id": rate.id,
        "description": rate.description,
        "rate": number(rate.rate),
        "department": {"type": "department", "id": rate.department_id},
    }


def tax_rates_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    found = [
        rate
        for rate in store.tax_rates.values()
        if "department_id" not in flt or rate.department_id == flt["department_id"]
    ]
    if body.get("sort") is not None:  # unsorted: the order they were set up in
        spec = sort_spec(body, ("department_id", "rate", "description"), "rate")
        found = sorted_by(found, spec, lambda item, name: getattr(item, name))
    ordered = found
    return Response.json({"data": [tax_rate_json(rate) for rate in store.paging.page(body, ordered)]})


def payment_terms_list(store: Store, body: dict[str, Any]) -> Response:
    data = []
    for term in store.payment_terms:
        item: dict[str, Any] = {"id": term.id, "type": term.type}
        if term.type != "cash":
            item["days"] = term.days
        data.append(item)
    return Response.json({"data": data, "meta": {"default": store.default_payment_term_id}})


ENDPOINTS = {
    "users.me": users_me,
    "departments.list": departments_list,
    "departments.info": departments_info,
    "taxRates.list": tax_rates_list,
    "paymentTerms.list": payment_terms_list,
    "currencies.exchangeRates": lambda store, body: exchange_rates(store.market, body),
}
