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
5. Two recent documents become starter cases of its `tests:` section (`scaffold_cases`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connector import rules as rules_module
from connector.cli.authorize import PastedLines, authorize_service
from connector.cli.scaffold_cases import add_starter_cases, recent_documents
from connector.cli.scaffold_text import Section, render_rules
from connector.contract.errors import ConfigurationError, RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.services import (
    Service,
    ServiceContext,
    Sink,
    Source,
)
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.refcache import ReferenceCache
from connector.state.store import StateErrorLog, StateStore

Ask = Callable[[str, str | None], str]

SIDES = ("source", "sink")

REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

DEFAULT_IN_TEXT = re.compile(r"\(default (\S+?)[;)]")


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
    pasted: PastedLines | None = None  # the terminal's lines, for a redirect pasted back by hand


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
            by_browser = [
                side
                for side in SIDES
                if not request.refresh_tokens.get(side) and state.tokens_load(side) is None
            ]
            if len(by_browser) > 1:
                titles = " then ".join(services[side].title or services[side].name for side in by_browser)
                echo(f"connecting {len(by_browser)} accounts, one after the other: {titles}")
            for side in SIDES:
                token = request.refresh_tokens.get(side)
                if token or side in by_browser:
                    step = f"{by_browser.index(side) + 1} of {len(by_browser)}" if len(by_browser) > 1 else ""
                    who = authorize_service(
                        services[side],
                        refresh_token=token,
                        echo=echo,
                        timeout=request.timeout,
                        step="" if token else step,
                        pasted=request.pasted,
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
            starters = recent_documents(source, date.today())
        finally:
            for service in services.values():
                service.close()
    text = render_rules(client, classes, sections, rates, reference, term, request.start_date, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    problems = rules_module.check(output, plugins=plugins)
    if problems:
        raise RuleFileError(str(output), list(problems))
    added = add_starter_cases(output, plugins, starters, reference, echo)
    if added:
        echo(f"added {added} starter test case{'s' * (added != 1)} from recent documents: review them")
    return output


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
