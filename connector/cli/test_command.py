"""`connector test RULES`: the rule file's cases, offline, through the mapping of a real run."""

from __future__ import annotations

from pathlib import Path

import click

from connector.cli.options import Exit, load_rules, rules_argument, state_dir_option
from connector.contract.errors import EXIT_CONFIGURATION, EXIT_OK, EXIT_PARTIAL


@click.command(name="test")
@rules_argument
@click.option(
    "--record",
    "record",
    metavar="NUMBER",
    default=None,
    help="Read document NUMBER from the live source and append it as a case, with today's result "
    "as what it must give (review it before committing).",
)
@click.option("--name", default=None, help="With --record: the new case's name (default: the number).")
@state_dir_option
def test_command(rules_path: Path, record: str | None, name: str | None, state_dir: Path | None) -> None:
    """Run the rule file's tests: cases offline; exit 0 all pass, 1 some failed, 2 rule-file error."""
    from connector.engine.case_runner import check_cases
    from connector.state.files import state_dir_for

    if name is not None and record is None:
        raise click.UsageError("--name goes with --record")
    loaded, plugins = load_rules(rules_path)
    directory = state_dir_for(rules_path, state_dir)
    if record is not None:
        from connector.cli.record_case import record_case

        raise Exit(record_case(rules_path, loaded, plugins, record, name, directory, echo=click.echo))
    if not loaded.tests.cases:
        click.echo(f"{rules_path}: no tests: cases to run (docs/rules.md, tests)")
        raise Exit(EXIT_OK)
    run, lines = check_cases(loaded, directory)
    for line in lines:
        click.echo(line, err=bool(run.problems))
    if run.problems:
        click.echo(f"{rules_path}: the mapping refuses these codes, so no case ran", err=True)
        raise Exit(EXIT_CONFIGURATION)
    if not run.failed:
        count = len(run.outcomes)
        click.echo(
            f"{rules_path}: {count} case{'s' * (count != 1)} passed, mapped against {run.reference.origin}"
        )
    raise Exit(EXIT_PARTIAL if run.failed else EXIT_OK)
