"""What the terminal shows: the pass summary, the plan of a dry run, a progress bar."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from sync.engine import STAGES, Report

PROGRESS_DELAY_SECONDS = 1.0


def summary_table(report: Report) -> Table:
    counts = report.plan.counts
    table = Table(show_header=True)
    table.add_column("What")
    table.add_column("Count", justify="right")
    rows = [
        ("Leads created", counts.leads_created),
        ("Leads completed after an interrupted pass", counts.leads_recovered),
        ("Moved to To-do", counts.moved_to_todo),
        ("Client folders created", counts.folders_created),
        ("Client folders updated", counts.folders_updated),
        ("Prospects struck off", counts.struck_off),
        ("Renewal leads created", counts.renewals_created),
        ("Hand-typed leads adopted", counts.leads_adopted),
        ("Prospects gone to drip", counts.prospects_to_drip),
        ("Leads waiting for a decision", counts.decisions_asked),
        ("Leads noted inactive", counts.inactive_noted),
        ("Touch-base leads created", counts.touch_bases_created),
        ("Rows with problems", len(report.plan.problems)),
    ]
    for label, value in rows:
        if (
            value
            or label in {"Leads created", "Moved to To-do", "Client folders created"}
            or (label == "Rows with problems")
        ):
            table.add_row(label, str(value))
    return table


def print_report(console: Console, report: Report) -> None:
    plan = report.plan
    if report.dry_run:
        if plan.events:
            console.print("[bold]Plan[/]")
            for event in plan.events:
                console.print(f"  • {escape(event)}", highlight=False)
        else:
            console.print("Nothing to do: every row is up to date.")
    done = "Dry run, nothing was written" if report.dry_run else "Sync pass done"
    console.print(f"[bold]{done}[/] in {report.seconds:.1f} s")
    console.print(summary_table(report))
    if plan.problems:
        console.print("[bold yellow]Rows with problems[/] (each also has a note in its Sync note):")
        for problem in plan.problems:
            console.print(f"  • {escape(str(problem))}", highlight=False)


class DelayedProgress:
    """A progress bar over the stages of a pass, shown only once the pass has run a second."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("starting", total=len(STAGES))
        self._timer = threading.Timer(PROGRESS_DELAY_SECONDS, self._progress.start)
        self._timer.daemon = True

    def stage(self, name: str) -> None:
        done = STAGES.index(name) if name in STAGES else len(STAGES)
        self._progress.update(self._task, description=name, completed=done)

    def __enter__(self) -> DelayedProgress:
        self._timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        self._timer.join()
        self._progress.stop()
