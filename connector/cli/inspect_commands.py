"""Commands that look at a client without syncing it: `check`, `status`, `history`, `ledger`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from connector.cli.options import Exit, echo_json, json_option, load_rules, rules_argument, state_dir_option


@click.command()
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


@click.command()
@rules_argument
@click.option("--offline", is_flag=True, help="Do not call the services to see whether the tokens work.")
@json_option
@state_dir_option
def status(rules_path: Path, offline: bool, as_json: bool, state_dir: Path | None) -> None:
    """Ledger counts, cursors, tokens, failures waiting for a fix, the last run."""
    from connector.cli.status import read_status
    from connector.cli.status_text import render_status

    loaded, plugins = load_rules(rules_path)
    found = read_status(loaded, plugins, state_dir=state_dir, offline=offline)
    if as_json:
        echo_json(found.to_dict())
    else:
        click.echo(render_status(found))


@click.command()
@rules_argument
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs.")
@click.option("--run", "run_id", type=int, default=None, help="Show this run's whole report.")
@json_option
@state_dir_option
def history(rules_path: Path, limit: int, run_id: int | None, as_json: bool, state_dir: Path | None) -> None:
    """Past runs, newest first, and their reports."""
    from connector.cli.status import read_history, run_dict
    from connector.cli.status_text import render_history

    loaded, _ = load_rules(rules_path)
    rows = read_history(loaded, state_dir=state_dir, limit=limit, run_id=run_id)
    if as_json:
        echo_json([run_dict(row) for row in rows])
    else:
        click.echo(render_history(rows, detailed=run_id is not None))


@click.command()
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
