"""`connector reconcile RULES`: prove that the target holds exactly what the source booked in a period.

The command parses the period, says what reading both sides will cost before it spends it, and
prints the result as a table (or `--json`, or `--csv FILE` for the accountant). Exit 0 when the
books agree, 1 when anything differs; 2 and 3 as everywhere else.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime
from pathlib import Path

import click

from connector.cli.options import Exit, json_option, load_rules, rules_argument, state_dir_option
from connector.contract.errors import EXIT_OK, EXIT_PARTIAL, AuthorizationNeeded
from connector.engine.reconcile_run import Estimate, Period, last_month, reconcile_once
from connector.reporting.reconciliation import render, render_estimate, write_csv


def month(text: str) -> tuple[date, date]:
    """`2027-03` → 1 to 31 March 2027."""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a month: give YYYY-MM, e.g. 2027-03") from error
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def period_of(
    period: str | None, start: datetime | None, end: datetime | None, today: date
) -> tuple[date, date]:
    if period and (start or end):
        raise click.UsageError("give --period, or --from and --to, not both")
    if period:
        return month(period)
    if start or end:
        if not (start and end):
            raise click.UsageError("--from and --to go together")
        return start.date(), end.date()
    return last_month(today)


@click.command()
@rules_argument
@click.option("--period", metavar="YYYY-MM", default=None, help="One month (default: last month).")
@click.option(
    "--from",
    "start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="DATE",
    help="First day.",
)
@click.option(
    "--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="DATE", help="Last day."
)
@click.option(
    "--dry-run", is_flag=True, help="Count both sides and say what reading them costs; read no more."
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write CSV here.",
)
@json_option
@state_dir_option
def reconcile(
    rules_path: Path,
    period: str | None,
    start: datetime | None,
    end: datetime | None,
    dry_run: bool,
    csv_path: Path | None,
    as_json: bool,
    state_dir: Path | None,
) -> None:
    """Compare a period's documents in the source with the entries in the sink; exit 1 on any difference."""
    first, last = period_of(period, start, end, date.today())
    loaded, plugins = load_rules(rules_path)
    said: list[Estimate] = []

    def tell(found: Period, estimate: Estimate) -> None:
        said.append(estimate)
        if found.moved:
            click.echo(
                f"note: the period starts at the rule file's start date {found.start} "
                f"(nothing before it is synced)",
                err=True,
            )
        if not (as_json and dry_run):  # with --json the estimate goes to stderr, the result to stdout
            for line in render_estimate(estimate.costs, estimate.titles, estimate.left, dry_run):
                click.echo(line, err=as_json)

    try:
        outcome = reconcile_once(
            loaded, plugins, first, last, dry_run=dry_run, state_dir=state_dir, on_estimate=tell
        )
    except AuthorizationNeeded as error:  # name the user's own rule file in the hint
        raise AuthorizationNeeded(error.message, rules=str(rules_path), side=error.side) from error
    if outcome.result is None:  # a dry run
        if as_json:
            data = {
                "period": {"from": outcome.period.start.isoformat(), "to": outcome.period.end.isoformat()},
                "estimate": outcome.estimate.to_dict(),
            }
            click.echo(json.dumps(data, indent=2))
        raise Exit(EXIT_OK)
    result = outcome.result
    if csv_path is not None:
        write_csv(csv_path, result)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render(result, outcome.estimate.titles))
        if csv_path is not None:
            click.echo(f"CSV written to {csv_path}")
    raise Exit(EXIT_OK if result.agrees else EXIT_PARTIAL)
