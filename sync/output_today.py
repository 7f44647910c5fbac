"""What `leadsync today` prints: the To-do table, overdue first, and the per-owner counts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sync.today import Today


def todo_table(day: Today) -> Table:
    table = Table(title=f"To-do on {day.pipeline.today:%A %d %B %Y}", title_justify="left")
    table.add_column("Due", no_wrap=True)
    table.add_column("Lead", no_wrap=True)
    for name in ("Company", "Contact", "Phone", "Next action", "Step"):
        table.add_column(name)
    everyone = day.owner is None
    if everyone:
        table.add_column("Owner")
    for lead in day.todo:
        due = Text(lead.due.isoformat() if lead.due else "")
        if day.pipeline.is_overdue(lead):
            due.append(f"\n{day.pipeline.days_overdue(lead)} d late", style="bold red")
        # Cells are Text, never markup: a company named "[bold]" prints as typed.
        cells = [lead.company, lead.contact, lead.phone, lead.next_action, lead.step]
        if everyone:
            cells.append(lead.owner)
        table.add_row(due, Text(lead.lead_id), *(Text(c) for c in cells))
    return table


def owners_table(day: Today) -> Table:
    table = Table(title="By owner", title_justify="left")
    table.add_column("Owner")
    for name in ("To-do", "Standby", "Overdue", "Won this month", "Lost this month"):
        table.add_column(name, justify="right")
    for line in day.owners:
        table.add_row(
            Text(line.owner),
            *(
                str(n)
                for n in (
                    line.todo,
                    line.standby,
                    line.overdue,
                    line.won_this_month,
                    line.lost_this_month,
                )
            ),
        )
    return table


def print_today(console: Console, day: Today) -> None:
    if not day.known_owner:
        everyone = ", ".join(line.owner for line in day.pipeline.owners) or "nobody yet"
        console.print(Text(f"No open leads for '{day.owner}'. Owners with open leads: {everyone}."))
        return
    if day.todo:
        console.print(todo_table(day))
    else:
        console.print(Text(f"Nothing to do on {day.pipeline.today.isoformat()}: no To-do leads."))
    console.print(owners_table(day))
    if day.problems:
        console.print(
            Text("Rows with problems (each also has a note in its Sync note):", style="bold yellow")
        )
        for problem in day.problems:
            console.print(Text(f"  • {problem}"))
