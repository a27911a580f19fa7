"""Turning reports into text a person reads at a terminal."""

from __future__ import annotations

from connector.report import RunReport

STATUS_WORDS = {
    "success": "done",
    "partial": "PARTIAL: some records were skipped or failed",
    "failed": "FAILED",
}


def render_report(report: RunReport) -> str:
    """A readable summary; partial success is never printed as success."""
    title = "dry run (nothing was written)" if report.dry_run else "run"
    lines = [f"{report.client}: {title} of {', '.join(report.flows)}: {STATUS_WORDS[report.status]}"]
    groups: dict[str, list[str]] = {}
    for key in sorted(report.counts):
        group, _, what = key.partition(".")
        groups.setdefault(group, []).append(f"{report.counts[key]} {what}")
    for group, parts in groups.items():
        lines.append(f"  {group}: {', '.join(parts)}")
    if report.calls:
        lines.append("  API calls: " + ", ".join(f"{side} {count}" for side, count in report.calls.items()))
    for outcome in report.outcomes:
        lines.append(f"  {outcome.status} {outcome.record}: {outcome.reason}")
        if outcome.hint:
            lines.append(f"      what to do: {outcome.hint}")
    for paid in report.paid:
        lines.append(f"  set paid: {paid['number']} ({paid['amount']} on {paid['paid_on']})")
    for notice in report.notices:
        lines.append(f"  note: {notice}")
    if report.error:
        lines.append(f"  stopped: {report.error}")
    return "\n".join(lines)
