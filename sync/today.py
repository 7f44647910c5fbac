"""`leadsync today`: the To-do list of the day, overdue first, from the Pipeline tab's numbers.

It only reads. The list shows the leads as the next pass leaves them (a Standby lead whose
date has come is on it already), computed by the same code as the Pipeline tab.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync.config import Config
from sync.engine import backend_for
from sync.pipeline import LeadLine, OwnerLine, Pipeline
from sync.pipeline_plan import pipeline_of
from sync.plan import Problem
from sync.planner import plan as make_plan
from sync.port import Backend


@dataclass(frozen=True)
class Today:
    pipeline: Pipeline
    owner: str | None  # only this owner's leads (matched ignoring case), or everyone's
    problems: tuple[Problem, ...]

    def _mine(self, owner: str) -> bool:
        return self.owner is None or owner.casefold() == self.owner.casefold()

    @property
    def todo(self) -> list[LeadLine]:
        return [lead for lead in self.pipeline.todo if self._mine(lead.owner)]

    @property
    def owners(self) -> list[OwnerLine]:
        return [line for line in self.pipeline.owners if self._mine(line.owner)]

    @property
    def known_owner(self) -> bool:
        return self.owner is None or bool(self.owners)

    @property
    def exit_code(self) -> int:
        """As `leadsync sync`: 1 when some rows have problems (the list may miss them)."""
        return 1 if self.problems else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.pipeline.today.isoformat(),
            "owner": self.owner,
            "todo": [
                {
                    "lead_id": lead.lead_id,
                    "company": lead.company,
                    "contact": lead.contact,
                    "phone": lead.phone,
                    "owner": lead.owner,
                    "step": lead.step,
                    "amount": lead.amount,
                    "next_action": lead.next_action,
                    "due": lead.due.isoformat() if lead.due else None,
                    "overdue": self.pipeline.is_overdue(lead),
                    "days_overdue": self.pipeline.days_overdue(lead),
                }
                for lead in self.todo
            ],
            "owners": [
                {
                    "owner": line.owner,
                    "todo": line.todo,
                    "standby": line.standby,
                    "overdue": line.overdue,
                    "won_this_month": line.won_this_month,
                    "lost_this_month": line.lost_this_month,
                }
                for line in self.owners
            ],
            "problems": [str(problem) for problem in self.problems],
        }


def today(
    config: Config,
    now: datetime | None = None,
    owner: str | None = None,
    backend: Backend | None = None,
) -> Today:
    """Read the tracker (and prospecting files) once and return the day's To-do list."""
    backend = backend or backend_for(config)
    moment = now or datetime.now(UTC)
    with backend.session(write=False):
        snapshot = backend.read()
    plan = make_plan(snapshot, moment, config)
    return Today(pipeline_of(snapshot, plan, moment, config), owner, plan.problems)
