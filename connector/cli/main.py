"""The command line: parses, delegates, and is the one place that turns errors into output.

Exit codes (DESIGN §5): 0 all done; 1 the run finished but some records failed or were skipped;
2 usage or rule-file error (nothing was synced); 3 authorization needed (run `connector auth`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from connector import __version__
from connector.cli.inspect_commands import check, history, ledger, status
from connector.cli.options import Exit, json_option, rules_argument, state_dir_option
from connector.cli.reconcile import reconcile
from connector.cli.setup_commands import auth, demo, init, sandbox
from connector.cli.test_command import test_command
from connector.contract import secrets
from connector.contract.errors import (
    EXIT_CONFIGURATION,
    EXIT_OK,
    ConnectorError,
    RuleFileError,
)
from connector.contract.plugins import Plugins


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
@click.option("--no-tests", is_flag=True, help="Do not run the rule files' tests: cases.")
@state_dir_option
def validate(files: Sequence[Path], no_tests: bool, state_dir: Path | None) -> None:
    """Check rule files offline: schema, types, references, and their tests: cases; every problem with
    file:line:col."""
    from connector import rules
    from connector.engine.case_runner import check_cases
    from connector.state.files import state_dir_for

    plugins = Plugins.load()
    failed = False
    for path in files:
        try:
            loaded = rules.load(path, plugins=plugins)
        except RuleFileError as error:
            failed = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
            continue
        count = 0 if no_tests else len(loaded.tests.cases)
        if count:
            _, lines = check_cases(loaded, state_dir_for(path, state_dir))
            if lines:
                failed = True
                for line in lines:
                    click.echo(line, err=True)
                continue
        tested = f" ({count} test case{'s' * (count != 1)} passed)" if count else ""
        click.echo(f"{path}: ok{tested}")
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
    "--retry-failed",
    is_flag=True,
    help="Try again now the documents that failed and wait for a change (an unmapped rate, say).",
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
    retry_failed: bool,
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
        from connector.watch.watcher import watch_cli

        raise Exit(
            watch_cli(rules_path, plugins=Plugins.load(), only=only, state_dir=state_dir, echo=click.echo)
        )
    from connector.cli.plan import run_command

    code = run_command(
        rules_path,
        dry_run=dry_run,
        since=since.date() if since else None,
        retry_failed=retry_failed,
        only=only,
        state_dir=state_dir,
        show_payload=show_payload,
        as_json=as_json,
        echo=click.echo,
        progress_stream=sys.stderr,
    )
    raise Exit(code)


for command in (check, status, history, ledger, reconcile, init, auth, sandbox, demo, test_command):
    cli.add_command(command)


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
