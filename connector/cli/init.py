"""`connector init`: a commented rule file written from both systems' live reference data.

How it goes, and why:

1. The plugins (`--source-plugin`, `--sink-plugin`; asked when more than one is installed) and each
   plugin's options, read from its `options_schema`: credentials are never written or asked for,
   they are `${PREFIX_OPTION}` references to the environment and must be set there
   (the prefix is the one the plugin's own schema shows, like `${PREFIX_CLIENT_ID}`); an optional
   option whose variable is set (the sandbox sets its URLs) becomes `${VAR:-its default}`; other
   required options (`--department`, `--division`, `--source-option NAME=VALUE`) are asked for.
2. Tokens: `--refresh-token-source` / `--refresh-token-sink` are exchanged at once (as `connector
   auth --refresh-token` does); else tokens already stored for the client are used; else the
   browser flow runs for that side, exactly as `connector auth`. They are kept in the client's
   state, beside the new rule file, so `connector check` and `connector run` work straight after.
3. Both systems are read once (the reads also fill `connector check`'s cache) and the guesses are
   made: each source tax rate to an exclusive VAT code of the same percentage (closest description
   wins), sales journals (type 20 for invoices; 21, else 20, for credit notes), revenue accounts
   (type 110), payment conditions by days. Every guess carries a `# review:` comment.
4. The file must pass `connector validate`; it is checked before init says it is done.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import connector
from connector import rules as rules_module
from connector.cli.auth import authorize_service
from connector.cli.check import similarity
from connector.contract.errors import ConfigurationError, RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.records import PaymentTerm, TaxRate
from connector.contract.services import (
    AccountInfo,
    PaymentConditionInfo,
    ReferenceData,
    Service,
    ServiceContext,
    Sink,
    Source,
)
from connector.engine.mapping import (
    EXCLUSIVE,
    RETURN_JOURNAL,
    REVENUE_ACCOUNT,
    SALES_JOURNAL,
    fraction,
    percent,
)
from connector.engine.payment_terms import code_sort_key, matching_conditions
from connector.state.lock import ClientLock
from connector.state.refcache import ReferenceCache
from connector.state.store import StateErrorLog, StateStore, state_dir_for

Ask = Callable[[str, str | None], str]
SIDES = ("source", "sink")
REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
DEFAULT_IN_TEXT = re.compile(r"\(default (\S+?)[;)]")
DISCOUNT_WORDS = ("korting", "discount", "remise", "rabatt", "reduction", "réduction")
SCHEMA = Path(connector.__file__).resolve().parents[1] / "schemas" / "rules.schema.json"


@dataclass
class InitRequest:
    """What the person gave on the command line; the rest is asked or read."""

    output: Path | None = None
    client: str | None = None
    plugins: dict[str, str | None] = field(default_factory=dict)  # side -> plugin name
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # side -> option -> value
    refresh_tokens: dict[str, str | None] = field(default_factory=dict)
    start_date: date | None = None
    state_dir: Path | None = None
    force: bool = False
    timeout: float = 600.0


@dataclass
class Section:
    """One plugin section: its YAML lines, and its options as the service is built with them."""

    plugin: str
    lines: list[str]
    effective: dict[str, Any]


# ---------------------------------------------------------------- plugin sections


def properties(service: type[Service]) -> dict[str, dict[str, Any]]:
    props = service.options_schema.get("properties", {})
    return {str(name): dict(spec) for name, spec in props.items() if isinstance(spec, Mapping)}


def env_prefix(service: type[Service]) -> str:
    """`PREFIX` of the `${PREFIX_OPTION}` references the plugin's schema shows, else its name."""
    for name, spec in properties(service).items():
        suffix = "_" + name.upper()
        for variable in REFERENCE.findall(str(spec.get("description", ""))):
            if variable.endswith(suffix) and len(variable) > len(suffix):
                return variable[: -len(suffix)]
    return re.sub(r"[^A-Z0-9]+", "_", service.name.upper())


def is_credential(name: str, spec: Mapping[str, Any]) -> bool:
    return (
        "secret" in name or name in ("client_id", "api_key", "token") or "${" in str(spec.get("description"))
    )


def section(
    side: str, service: type[Service], given: Mapping[str, str], ask: Ask, environ: Mapping[str, str]
) -> Section:
    prefix = env_prefix(service)
    required = set(service.options_schema.get("required", []))
    lines, missing = [f"  plugin: {service.name}"], []
    effective: dict[str, Any] = {"plugin": service.name}
    for name, spec in properties(service).items():
        if name == "plugin":
            continue
        variable = f"{prefix}_{name.upper()}"
        integer = spec.get("type") == "integer"
        if name in given or (name in required and not is_credential(name, spec)):
            value = given.get(name) or ask(
                f"{side}.{name}: {spec.get('description', name)}", environ.get(variable)
            )
            if integer and not value.strip().isdigit():
                raise ConfigurationError(f"{side}.{name} is a whole number, not {value!r}")
            written = value.strip() if integer else json.dumps(value)
            effective[name] = int(value) if integer else value
            lines.append(f"  {name}: {written}")
        elif is_credential(name, spec):
            if environ.get(variable):
                lines.append(f"  {name}: ${{{variable}}}")
                effective[name] = environ[variable]
            elif name in required:
                missing.append(variable)
        elif variable in environ:
            default = spec.get("default") or next(
                iter(DEFAULT_IN_TEXT.findall(str(spec.get("description")))), ""
            )
            lines.append(f"  {name}: ${{{variable}:-{default}}}")
            effective[name] = environ[variable] or default
    if missing:
        raise ConfigurationError(
            f"{side} plugin {service.name}: set {', '.join(missing)} in the environment",
            hint="the rule file reads credentials from the environment and never holds them",
        )
    return Section(service.name, lines, effective)


def choose_plugin(
    side: str, wanted: str | None, installed: Mapping[str, type[Service]], ask: Ask
) -> type[Service]:
    names = sorted(installed)
    if wanted is None:
        wanted = names[0] if len(names) == 1 else ask(f"{side} plugin ({', '.join(names)})", None)
    if wanted not in installed:
        raise ConfigurationError(
            f"no {side} plugin {wanted!r}", hint=f"installed: {', '.join(names) or 'none'}"
        )
    return installed[wanted]


# ---------------------------------------------------------------- the command


def run_init(request: InitRequest, plugins: Plugins, *, ask: Ask, echo: Callable[[str], None]) -> Path:
    """Write the rule file; returns its path. Nothing is written when anything fails first."""
    environ = dict(os.environ)
    classes: dict[str, Any] = {
        "source": choose_plugin("source", request.plugins.get("source"), plugins.sources(), ask),
        "sink": choose_plugin("sink", request.plugins.get("sink"), plugins.sinks(), ask),
    }
    sections = {
        side: section(side, classes[side], request.options.get(side, {}), ask, environ) for side in SIDES
    }
    named = next(
        (
            str(v)
            for k, v in sections["source"].effective.items()
            if k != "plugin" and not is_credential(k, {})
        ),
        "",
    )
    client = request.client or ask("client id (names its state; letters, digits, - _ .)", slug(named) or None)
    output = request.output or Path("rules") / f"{client}.yaml"
    if output.exists() and not request.force:
        raise ConfigurationError(
            f"{output} exists already", hint="choose another --output, or --force to replace it"
        )
    directory = state_dir_for(output, request.state_dir)
    with ClientLock(directory, client), StateStore.for_client(directory, client) as state:
        services: dict[str, Any] = {
            side: classes[side](
                sections[side].effective,
                ServiceContext(client, side, tokens=state.token_store(side), errors=StateErrorLog(state)),
            )
            for side in SIDES
        }
        try:
            for side in SIDES:
                token = request.refresh_tokens.get(side)
                if token or state.tokens_load(side) is None:
                    who = authorize_service(
                        services[side], refresh_token=token, echo=echo, timeout=request.timeout
                    )
                else:
                    who = services[side].check_authorization()
                echo(f"{side}: authorized as {who}")
            source: Source = services["source"]
            sink: Sink = services["sink"]
            rates, reference = source.tax_rates(), sink.reference_data()
            cache = ReferenceCache.for_client(directory, client)
            cache.store_source(source, rates)
            cache.store_sink(sink, reference)
            term = source.default_payment_term() if isinstance(source, Source) else None
        finally:
            for service in services.values():
                service.close()
    text = render_rules(client, classes, sections, rates, reference, term, request.start_date, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    problems = rules_module.check(output, plugins=plugins)
    if problems:
        raise RuleFileError(str(output), list(problems))
    return output


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


# ---------------------------------------------------------------- the guesses


def quoted(text: str) -> str:
    return json.dumps(text.strip(), ensure_ascii=False)


def described(items: list[Any], limit: int = 4) -> str:
    return ", ".join(f"{item.code.strip()!r} ({item.description})" for item in items[:limit]) or "none"


def vat_lines(rates: list[TaxRate], reference: ReferenceData, accounts: list[AccountInfo]) -> list[str]:
    lines = []
    descriptions = [rate.description for rate in rates]
    for rate in sorted(rates, key=lambda r: (-fraction(r.rate), r.description)):
        key = rate.description if descriptions.count(rate.description) == 1 else rate.id
        codes = [
            v
            for v in reference.vat_codes.values()
            if v.type == EXCLUSIVE and fraction(v.percentage) == fraction(rate.rate)
        ]
        codes.sort(key=lambda v: (-similarity(rate.description, v.description), code_sort_key(v.code)))
        if not codes:
            lines.append(f'  # {quoted(key)}: {{ code: "?" }}')
            lines.append(
                f"  # review: the target has no exclusive VAT code with {percent(fraction(rate.rate))}: "
                "create one, then map this rate (its documents are skipped until then)"
            )
            continue
        matched = [a for a in accounts if similarity(rate.description, a.description) >= 1]
        matched.sort(key=lambda a: (-similarity(rate.description, a.description), code_sort_key(a.code)))
        account = f", revenue_account: {quoted(matched[0].code)}" if matched else ""
        others = f"; other exclusive codes with this rate: {described(codes[1:])}" if len(codes) > 1 else ""
        why = f"; account {matched[0].description!r} by its name" if matched else ""
        lines.append(f"  {quoted(key)}: {{ code: {quoted(codes[0].code)}{account} }}")
        lines.append(f"  # review: {percent(fraction(rate.rate))} -> {codes[0].description!r}{others}{why}")
    return lines


def conditions_by_kind(reference: ReferenceData, method: str) -> list[PaymentConditionInfo]:
    found = [
        c
        for c in reference.payment_conditions.values()
        if c.method.strip().upper() == method and Decimal(c.discount_percentage) == 0
    ]
    return sorted(found, key=lambda c: (c.days, c.end_of_months, code_sort_key(c.code)))


def payment_lines(reference: ReferenceData, term: PaymentTerm | None) -> list[str]:
    on_credit = conditions_by_kind(reference, "B")
    matched = matching_conditions(term, reference.payment_conditions.values()) if term else []
    default: PaymentConditionInfo | None
    if matched:
        default, why = matched[0], f"matches the source's default term {term.key if term else ''}"
    elif on_credit:
        default, why = on_credit[0], "the shortest on-credit condition without discount"
    else:
        anything = sorted(reference.payment_conditions.values(), key=lambda c: code_sort_key(c.code))
        default, why = (
            (anything[0] if anything else None),
            "the target has no on-credit condition without discount",
        )
    code = default.code if default else "?"
    name = f"{default.description!r}, " if default else ""
    lines = [
        "payment_terms:",
        f"  default: {quoted(code)}",
        f"  # review: {name}{why}; also every credit note's",
    ]
    collection = conditions_by_kind(reference, "I")
    if collection:
        lines.append(f"  direct_debit: {quoted(collection[0].code)}")
        lines.append(
            f"  # review: {collection[0].description!r}: for invoices paid by direct debit (collection)"
        )
    else:
        lines.append(
            "  # direct_debit: the target has no collection condition; direct-debit invoices get the default"
        )
    cash = conditions_by_kind(reference, "K")
    if cash:
        lines += ["  map:", f'    "cash": {quoted(cash[0].code)}']
        lines.append(f"    # review: {cash[0].description!r}: cash is never matched automatically")
    automatic = ", ".join(
        f"{'end_of_month' if c.end_of_months else 'after_invoice_date'} {c.days} -> {c.code.strip()!r}"
        for c in on_credit
    )
    lines.append(f"  # terms are matched to conditions by days automatically: {automatic or 'none'}")
    return lines


def render_rules(
    client: str,
    classes: Mapping[str, type[Service]],
    sections: Mapping[str, Section],
    rates: list[TaxRate],
    reference: ReferenceData,
    term: PaymentTerm | None,
    start: date | None,
    output: Path,
) -> str:
    today = datetime.now(UTC).date()
    start = start or date(today.year, 1, 1)
    journals = sorted(reference.journals.values(), key=lambda j: code_sort_key(j.code))
    sales = [j for j in journals if j.type == SALES_JOURNAL]
    returns = [j for j in journals if j.type == RETURN_JOURNAL]
    revenue = sorted(
        (a for a in reference.accounts.values() if a.type == REVENUE_ACCOUNT),
        key=lambda a: code_sort_key(a.code),
    )
    discount = [a for a in revenue if any(word in a.description.casefold() for word in DISCOUNT_WORDS)]
    plain = [a for a in revenue if a not in discount]
    lines = []
    if SCHEMA.exists():
        lines.append(f"# yaml-language-server: $schema={os.path.relpath(SCHEMA, output.resolve().parent)}")
        lines.append("#")
    lines += [
        f"# Rule file of client {client}, written by `connector init` on {today.isoformat()} from the live",
        f"# reference data of {classes['source'].title or classes['source'].name} and "
        f"{classes['sink'].title or classes['sink'].name}.",
        "# Every guess is followed by a `# review:` line: read each, then run `connector validate` and",
        "# `connector check` on this file. docs/rules.md explains every key.",
        "version: 1",
        f"client: {client}",
        "",
        "source:",
        *sections["source"].lines,
        "",
        "sink:",
        *sections["sink"].lines,
        "",
        "sync:",
        f"  start_date: {start.isoformat()}",
        "  # review: the first document date that is synced; older documents are left alone",
        "  invoices: true",
        "  credit_notes: true",
        "  import_customers: false",
        "",
        "journals:",
    ]
    if sales:
        credit = returns[0] if returns else sales[0]
        lines += [
            f"  invoices: {quoted(sales[0].code)}",
            f"  # review: {sales[0].description!r} (sales, type 20); "
            f"the target's sales journals: {described(sales)}",
            f"  credit_notes: {quoted(credit.code)}",
            f"  # review: {credit.description!r} (type {credit.type}); may be the invoices' journal",
        ]
    else:
        lines.append("  # review: the target has no sales journal (type 20): create one, then name it here")
    lines += ["", "vat:", *vat_lines(rates, reference, plain), ""]
    if plain:
        lines += [
            f"revenue_account: {quoted(plain[0].code)}",
            f"# review: {plain[0].description!r} for lines whose VAT rule names no account; "
            f"revenue accounts: {described(plain)}",
        ]
    else:
        lines.append(
            "# review: the target has no revenue account (type 110): create one, then set revenue_account"
        )
    if discount:
        lines += [
            f"discount_account: {quoted(discount[0].code)}",
            f"# review: {discount[0].description!r} by its name; remove it to book lines net of discount",
        ]
    else:
        lines.append(
            "# discount_account: no revenue account looks like one; lines are booked net of discount"
        )
    lines += [
        "",
        "customers:",
        "  match: [vat_number]",
        "  update: true",
        "",
        *payment_lines(reference, term),
        "",
    ]
    lines += [
        "# Watch mode (`connector run FILE --watch`): switch it on once `connector check` is clean.",
        "# triggers:",
        "#   documents: every 15 minutes",
        "#   payments: every 10 minutes",
        "",
    ]
    return "\n".join(lines)
