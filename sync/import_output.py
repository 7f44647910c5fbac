"""What `leadsync import` prints: how the list was read, and what became of each row."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from sync.import_plan import ImportPlan
from sync.importer import ImportReport


def import_lines(report: ImportReport) -> list[str]:
    """Plain lines, one per fact: the list, its columns, each row's fate, the totals."""
    plan = report.plan
    lines = [f"Read {plan.list_name} ({report.read_as}); its headers are on row {plan.header_row}."]
    use = plan.columns
    lines.append("Columns: " + ", ".join(f"{name} → {field}" for name, field in use.imported))
    if use.to_notes:
        lines.append("Into Notes, as 'Header: value': " + ", ".join(use.to_notes))
    if use.engine:
        lines.append("Not imported (written by leadsync only): " + ", ".join(use.engine))
    if use.dropped:
        lines.append(
            f"Not imported ({plan.target} has no column for them, nor a Notes column): "
            + ", ".join(use.dropped)
        )
    verb = "Would append" if report.dry_run else "Appending"
    lines.append(f"{verb} to {plan.target}, with Source '{report.source}':")
    lines += _row_lines(plan)
    lines.append(_totals(report))
    return lines


def _row_lines(plan: ImportPlan) -> list[str]:
    by_row: list[tuple[int, int, str]] = []  # (list row, order within the row, line)
    for row in plan.appended:
        kept = f" (kept, a duplicate of {_matches(row.duplicate_of)})" if row.duplicate_of else ""
        by_row.append((row.row, 0, f"  append row {row.row}: {row.company}{kept}"))
    for skip in plan.skipped:
        text = f"  skip   row {skip.row}: {skip.company}, a duplicate of {_matches(skip.matches)}"
        by_row.append((skip.row, 0, text))
    for refused in plan.refused:
        by_row.append((refused.row, 0, f"  refuse row {refused.row}: {refused.reason}"))
    for remark in plan.remarks:
        by_row.append((remark.row, 1, f"         row {remark.row}: {remark.text}"))
    return [line for _row, _order, line in sorted(by_row)]


def _matches(matches: tuple[object, ...]) -> str:
    return "; ".join(str(m) for m in matches)


def _totals(report: ImportReport) -> str:
    plan = report.plan
    appended = len(plan.appended)
    parts = [
        f"{'would append' if report.dry_run else 'appended'} {appended} "
        f"prospect{'s' if appended != 1 else ''}",
        f"skipped {len(plan.skipped)} duplicate{'s' if len(plan.skipped) != 1 else ''}",
    ]
    if plan.refused:
        parts.append(f"refused {len(plan.refused)} row{'s' if len(plan.refused) != 1 else ''}")
    kept = sum(1 for row in plan.appended if row.duplicate_of)
    if kept:
        parts.append(
            f"{kept} of the appended {'are duplicates' if kept != 1 else 'is a duplicate'}"
        )
    total = ", ".join(parts) + "."
    if report.dry_run:
        return total[0].upper() + total[1:] + " Dry run: nothing was written."
    return total[0].upper() + total[1:]


def print_import(console: Console, report: ImportReport) -> None:
    for line in import_lines(report):
        console.print(escape(line), highlight=False)
    if report.plan.appended and not report.dry_run:
        console.print("Type + on a prospect worth following; leadsync sync makes it a lead.")
