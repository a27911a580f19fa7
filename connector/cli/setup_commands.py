"""Commands that set a client up or show the product: `init`, `auth`, `sandbox`, `demo`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from connector.cli.options import Exit, state_dir_option
from connector.contract.plugins import Plugins


@click.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the rule file (default: rules/<client>.yaml).",
)
@click.option("--client", default=None, help="The client id (default: asked, from the department).")
@click.option("--source-plugin", default=None, help="The source plugin (asked when several are installed).")
@click.option("--sink-plugin", default=None, help="The sink plugin (asked when several are installed).")
@click.option("--department", default=None, help="The source's department (source option `department`).")
@click.option("--division", default=None, help="The sink's division (sink option `division`).")
@click.option("--source-option", multiple=True, metavar="NAME=VALUE", help="Any other source option.")
@click.option("--sink-option", multiple=True, metavar="NAME=VALUE", help="Any other sink option.")
@click.option(
    "--refresh-token-source",
    default=None,
    envvar="CONNECTOR_REFRESH_TOKEN_SOURCE",
    help="Authorize the source with this refresh token; `-` reads it from standard input.",
)
@click.option(
    "--refresh-token-sink",
    default=None,
    envvar="CONNECTOR_REFRESH_TOKEN_SINK",
    help="Authorize the sink with this refresh token; `-` reads it from standard input (after the source's).",
)
@click.option(
    "--start-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="sync.start_date (default: 1 January of this year).",
)
@click.option("--force", is_flag=True, help="Replace an existing rule file.")
@click.option(
    "--timeout",
    type=float,
    default=600.0,
    show_default=True,
    help="Seconds to wait for each browser authorization.",
)
@state_dir_option
def init(
    output: Path | None,
    client: str | None,
    source_plugin: str | None,
    sink_plugin: str | None,
    department: str | None,
    division: str | None,
    source_option: Sequence[str],
    sink_option: Sequence[str],
    refresh_token_source: str | None,
    refresh_token_sink: str | None,
    start_date: Any,
    force: bool,
    timeout: float,
    state_dir: Path | None,
) -> None:
    """Write a commented rule file from both systems' live reference data."""
    from connector.cli.authorize import PastedLines
    from connector.cli.scaffold import InitRequest, run_init
    from connector.cli.secret_input import refresh_token

    context = click.get_current_context()  # tokens first: the pasted-lines reader takes stdin after
    refresh_token_source = refresh_token(context, "refresh_token_source", label="source")
    refresh_token_sink = refresh_token(context, "refresh_token_sink", label="sink")

    def pairs(values: Sequence[str], extra: dict[str, str | None]) -> dict[str, str]:
        found = {name: value for name, value in extra.items() if value is not None}
        for item in values:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise click.UsageError(f"{item!r}: write NAME=VALUE")
            found[name.strip()] = value
        return found

    request = InitRequest(
        output=output,
        client=client,
        plugins={"source": source_plugin, "sink": sink_plugin},
        options={
            "source": pairs(source_option, {"department": department}),
            "sink": pairs(sink_option, {"division": division}),
        },
        refresh_tokens={"source": refresh_token_source, "sink": refresh_token_sink},
        start_date=start_date.date() if start_date else None,
        state_dir=state_dir,
        force=force,
        timeout=timeout,
        pasted=PastedLines.stdin(),
    )
    written = run_init(
        request,
        Plugins.load(),
        ask=lambda text, default: click.prompt(text, default=default),
        echo=click.echo,
    )
    click.echo(f"wrote {written}: read every `# review:` line, then")
    click.echo(f"  connector check {written}")
    click.echo(f"  connector run {written} --dry-run")


@click.command()
@click.argument("rules_path", metavar="RULES", type=click.Path(path_type=Path))
@click.argument("side", type=click.Choice(["source", "sink"]))
@click.option(
    "--refresh-token",
    default=None,
    envvar="CONNECTOR_REFRESH_TOKEN",
    help="Store this refresh token (exchanged at once) instead of opening a browser: for automation "
    "and migration. `-` reads it from standard input, which keeps it out of the process list.",
)
@click.option(
    "--timeout",
    type=float,
    default=600.0,
    show_default=True,
    help="Seconds to wait for the browser's redirect.",
)
@state_dir_option
def auth(
    rules_path: Path, side: str, refresh_token: str | None, timeout: float, state_dir: Path | None
) -> None:
    """Connect the client's source or sink account (OAuth, loopback redirect)."""
    from connector import rules
    from connector.cli.authorize import PastedLines, run_auth
    from connector.cli.secret_input import refresh_token as given_token

    refresh_token = given_token(click.get_current_context(), "refresh_token", label=side)
    plugins = Plugins.load()
    loaded = rules.load(rules_path, plugins=plugins)
    who = run_auth(
        loaded,
        plugins,
        side,
        refresh_token=refresh_token,
        state_dir=state_dir,
        echo=click.echo,
        timeout=timeout,
        pasted=None if refresh_token else PastedLines.stdin(),
    )
    click.echo(f"{loaded.client}: {side} authorized as {who}")


@click.command()
@click.option("--port-base", type=int, default=0, help="First port to use (default: any free port).")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Run the sandboxes' clocks N times faster: a sandbox minute lasts 60/N s, its day 86,400/N s; "
    "rate limits stay per sandbox minute and headers say wall-clock moments.",
)
@click.option(
    "--documents",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Add a backdated company of N booked documents, with their customers, ready to sync.",
)
def sandbox(port_base: int, speed: float, documents: int) -> None:
    """Start every installed simulator on loopback with demo data; Ctrl-C stops them."""
    import time

    factories = Plugins.load().sandboxes()
    options: dict[str, float | int] = {}
    if speed != 1:
        options["speed"] = speed
    if documents:
        options["documents"] = documents
    started = []
    try:
        for offset, (name, factory) in enumerate(sorted(factories.items())):
            box = factory(seed=True, port=port_base + offset if port_base else 0, **options)
            started.append(box)
            click.echo(f"{name}: {box.url}")
            for key, value in box.credentials.items():
                click.echo(f"  {key}: {value}")
        if speed != 1:
            click.echo(
                f"\nSpeed {speed:g}: a sandbox minute lasts {60 / speed:g} s, "
                f"a sandbox day {86400 / speed:g} s."
            )
        if documents:
            click.echo(f"{documents} booked documents wait to be synced.")
        click.echo("\nPoint a rule file at them with:")
        for box in started:
            for key, value in box.environment.items():
                click.echo(f"  export {key}='{value}'")
        click.echo("\nCtrl-C stops the sandboxes.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for box in started:
            box.stop()


@click.command()
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A demo rule file (default: examples/demo.yaml).",
)
@click.option(
    "--real-time",
    is_flag=True,
    help="Run the sandboxes at the real limits (about two minutes) instead of faster than real time.",
)
@state_dir_option
def demo(rules_path: Path | None, state_dir: Path | None, real_time: bool) -> None:
    """Start the sandboxes, authorize, run the demo rule file, print the report (in seconds: the
    sandboxes run faster than real time, and the last line says how long the run takes at the real
    limits)."""
    from connector.cli.demo import run_demo
    from connector.cli.demo_pace import DEMO_SPEED

    speed = 1.0 if real_time else DEMO_SPEED
    raise Exit(run_demo(rules_path=rules_path, state_dir=state_dir, echo=click.echo, speed=speed))
