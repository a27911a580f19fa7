"""The command line: parses, delegates, and is the one place that turns errors into output.

Exit codes (DESIGN §5): 0 all done; 1 the run finished but some records failed or were skipped;
2 usage or rule-file error (nothing was synced); 3 authorization needed (run `connector auth`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from connector import __version__
from connector.contract import secrets
from connector.contract.errors import (
    EXIT_CONFIGURATION,
    EXIT_OK,
    ConnectorError,
    RuleFileError,
)
from connector.contract.plugins import Plugins

F = TypeVar("F", bound=Callable[..., Any])


class Exit(Exception):
    """Leave with this exit code after the output was already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def state_dir_option(function: F) -> F:
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the client's state lives (default: .connector/ beside the rule file; "
        "env CONNECTOR_STATE_DIR).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="connector")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (API waits, notifications).")
@click.pass_context
def cli(context: click.Context, debug: bool, verbose: bool) -> None:
    """Link an invoicing system to a bookkeeping system, one rule file per client."""
    context.obj = {"debug": debug}
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not debug:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    secrets.install_logging_filter()


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: Sequence[Path]) -> None:
    """Check rule files offline: schema, types, references; every problem with file:line:col."""
    from connector import rules

    plugins = Plugins.load()
    failed = False
    for path in files:
        problems = rules.check(path, plugins=plugins)
        if problems:
            failed = True
            for problem in problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{path}: ok")
    if failed:
        click.echo("fix the problems above, then run `connector validate` again", err=True)
        raise Exit(EXIT_CONFIGURATION)


@cli.command()
def schema() -> None:
    """Print the effective JSON Schema of rule files (the core and every installed plugin)."""
    from connector import rules

    click.echo(json.dumps(rules.effective_schema(Plugins.load()), indent=2, ensure_ascii=False))


@cli.command(name="plugins")
def plugins_command() -> None:
    """List the installed plugins, their versions and the hooks they implement."""
    loaded = Plugins.load()
    rows = loaded.info()
    width = max((len(row.name) for row in rows), default=4)
    for row in rows:
        click.echo(f"{row.name:<{width}}  {row.version:<8}  {', '.join(row.hooks)}")
    click.echo(f"sources: {', '.join(sorted(loaded.sources())) or '-'}")
    click.echo(f"sinks:   {', '.join(sorted(loaded.sinks())) or '-'}")


def rules_argument(function: F) -> F:
    return click.argument("rules_path", metavar="RULES", type=click.Path(path_type=Path))(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of text.")(
        function
    )


def load_rules(rules_path: Path) -> tuple[Any, Plugins]:
    from connector import rules

    plugins = Plugins.load()
    return rules.load(rules_path, plugins=plugins), plugins


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@cli.command()
@rules_argument
@click.option("--watch", is_flag=True, help="Keep syncing on the rule file's triggers.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print what a run would do.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Re-read documents changed since this date (YYYY-MM-DD).",
)
@click.option(
    "--only",
    type=click.Choice(["documents", "payments", "customers"]),
    default=None,
    help="Run one flow only.",
)
@click.option("--show-payload", is_flag=True, help="With --dry-run: print each entry that would be booked.")
@json_option
@state_dir_option
def run(
    rules_path: Path,
    watch: bool,
    dry_run: bool,
    since: Any,
    only: str | None,
    show_payload: bool,
    as_json: bool,
    state_dir: Path | None,
) -> None:
    """Sync once (or keep syncing with --watch)."""
    if show_payload and not dry_run:
        raise click.UsageError("--show-payload goes with --dry-run")
    if watch:
        if as_json or dry_run:
            raise click.UsageError("--json and --dry-run are for a single run, not --watch")
        from connector.watch.scheduler import watch_cli

        raise Exit(
            watch_cli(rules_path, plugins=Plugins.load(), only=only, state_dir=state_dir, echo=click.echo)
        )
    from connector.cli.plan import run_command

    code = run_command(
        rules_path,
        dry_run=dry_run,
        since=since.date() if since else None,
        only=only,
        state_dir=state_dir,
        show_payload=show_payload,
        as_json=as_json,
        echo=click.echo,
        progress_stream=sys.stderr,
    )
    raise Exit(code)


@cli.command()
@rules_argument
@click.option("--refresh", is_flag=True, help="Read the reference data again instead of the cached copy.")
@json_option
@state_dir_option
def check(rules_path: Path, refresh: bool, as_json: bool, state_dir: Path | None) -> None:
    """Check a rule file against both systems' live reference data; exit 0 clean, 1 warnings, 2 errors."""
    from connector.cli.check import render_check, run_check

    loaded, plugins = load_rules(rules_path)
    result = run_check(loaded, plugins, state_dir=state_dir, refresh=refresh)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render_check(result))
    raise Exit(result.exit_code)


@cli.command()
@rules_argument
@click.option("--offline", is_flag=True, help="Do not call the services to see whether the tokens work.")
@json_option
@state_dir_option
def status(rules_path: Path, offline: bool, as_json: bool, state_dir: Path | None) -> None:
    """Ledger counts, cursors, tokens, failures waiting for a fix, the last run."""
    from connector.cli.status import read_status, render_status

    loaded, plugins = load_rules(rules_path)
    found = read_status(loaded, plugins, state_dir=state_dir, offline=offline)
    if as_json:
        echo_json(found.to_dict())
    else:
        click.echo(render_status(found))


@cli.command()
@rules_argument
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--run", "run_id", type=int, default=None, help="Show this run's whole report.")
@json_option
@state_dir_option
def history(rules_path: Path, limit: int, run_id: int | None, as_json: bool, state_dir: Path | None) -> None:
    """Past runs, newest first, and their reports."""
    from connector.cli.status import read_history, render_history, run_dict

    loaded, _ = load_rules(rules_path)
    rows = read_history(loaded, state_dir=state_dir, limit=limit, run_id=run_id)
    if as_json:
        echo_json([run_dict(row) for row in rows])
    else:
        click.echo(render_history(rows, detailed=run_id is not None))


@cli.command()
@rules_argument
@click.argument("action", type=click.Choice(["show", "unlink"]))
@click.argument("document")
@click.option("--yes", is_flag=True, help="unlink: do not ask for confirmation.")
@json_option
@state_dir_option
def ledger(
    rules_path: Path, action: str, document: str, yes: bool, as_json: bool, state_dir: Path | None
) -> None:
    """Show a document's link, or unlink it so the next run books it again (its entry was deleted
    in the target). DOCUMENT is its number (`2026 / 17`) or its key (`invoice:<id>`)."""
    from connector.cli.ledger import UNLINK_EXPLAINED, render_entry, show, unlink
    from connector.cli.status import entry_dict

    loaded, _ = load_rules(rules_path)
    entry = show(loaded, document, state_dir=state_dir)
    if action == "show":
        click.echo(json.dumps(entry_dict(entry), indent=2) if as_json else render_entry(entry))
        return
    click.echo(render_entry(entry))
    click.echo(UNLINK_EXPLAINED)
    if not yes:
        click.confirm(f"Unlink {entry.source_key}?", abort=True)
    unlink(loaded, entry.source_key, state_dir=state_dir)
    click.echo(f"{entry.source_key} unlinked: the next `connector run` books it again if it is gone")


@cli.command()
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
@click.option("--refresh-token-source", default=None, help="Authorize the source with this refresh token.")
@click.option("--refresh-token-sink", default=None, help="Authorize the sink with this refresh token.")
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
    from connector.cli.init import InitRequest, run_init

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


@cli.command()
@click.argument("rules_path", metavar="RULES", type=click.Path(path_type=Path))
@click.argument("side", type=click.Choice(["source", "sink"]))
@click.option(
    "--refresh-token",
    default=None,
    help="Store this refresh token (exchanged at once) instead "
    "of opening a browser: for automation and migration.",
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
    from connector.cli.auth import run_auth

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
    )
    click.echo(f"{loaded.client}: {side} authorized as {who}")


@cli.command()
@click.option("--port-base", type=int, default=0, help="First port to use (default: any free port).")
def sandbox(port_base: int) -> None:
    """Start every installed simulator on loopback with demo data; Ctrl-C stops them."""
    import time

    factories = Plugins.load().sandboxes()
    started = []
    try:
        for offset, (name, factory) in enumerate(sorted(factories.items())):
            box = factory(seed=True, port=port_base + offset if port_base else 0)
            started.append(box)
            click.echo(f"{name}: {box.url}")
            for key, value in box.credentials.items():
                click.echo(f"  {key}: {value}")
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


@cli.command()
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A demo rule file (default: examples/demo.yaml).",
)
@state_dir_option
def demo(rules_path: Path | None, state_dir: Path | None) -> None:
    """Start the sandboxes, authorize, run the demo rule file, print the report."""
    from connector.cli.demo import run_demo

    raise Exit(run_demo(rules_path=rules_path, state_dir=state_dir, echo=click.echo))


def report_error(error: BaseException, debug: bool) -> int:
    """The one place that turns an error into terminal output and an exit code."""
    if debug:
        click.echo(secrets.mask("".join(traceback.format_exception(error))), err=True)
    if isinstance(error, RuleFileError):
        click.echo(str(error), err=True)
        click.echo(f"{error.file}: {error.hint}", err=True)
        return error.exit_code
    if isinstance(error, ConnectorError):
        click.echo(f"error: {secrets.mask(error.message)}", err=True)
        if error.hint:
            click.echo(f"  what to do: {secrets.mask(error.hint)}", err=True)
        return error.exit_code
    click.echo(f"unexpected error: {secrets.mask(repr(error))}", err=True)
    click.echo("  what to do: run again with --debug and report the traceback", err=True)
    return EXIT_CONFIGURATION


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="connector", standalone_mode=False)
    except Exit as done:
        return done.code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_CONFIGURATION
    except click.ClickException as error:
        error.show()
        return EXIT_CONFIGURATION if error.exit_code == 2 else error.exit_code
    except Exception as error:
        return report_error(error, debug)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
