"""`[pipeline]` in leadsync.toml: the ordered steps an open lead goes through (Rule 7)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PipelineStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40)
    aliases: list[str] = Field(default_factory=list)
    # Percent, so a team types 25 rather than 0.25, as its Pipeline tab shows it.
    probability: float = Field(ge=0, le=100)


DEFAULT_STEPS: tuple[PipelineStep, ...] = (
    PipelineStep(name="New", aliases=["Nuovo"], probability=10),
    PipelineStep(name="Contacted", aliases=["Contattato"], probability=25),
    PipelineStep(name="Proposal", aliases=["Proposta"], probability=50),
    PipelineStep(name="Negotiation", aliases=["Trattativa"], probability=75),
)


def step_key(text: str) -> str:
    """'  negotiation ' and 'Negotiation' name the same step."""
    return " ".join(text.split()).casefold()


class PipelineSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: list[PipelineStep] = Field(default_factory=lambda: list(DEFAULT_STEPS), min_length=1)

    @model_validator(mode="after")
    def _names_once(self) -> PipelineSettings:
        owner: dict[str, str] = {}  # step key -> the step it names
        for step in self.steps:
            if step_key(step.name) in owner:
                raise ValueError(
                    f"'{step.name}' is listed twice (or is another step's alias); "
                    "give each step its own name"
                )
            for word in {step_key(w) for w in (step.name, *step.aliases)}:
                if word in owner:
                    raise ValueError(
                        f"'{word}' names both {owner[word]} and {step.name}; "
                        "give each step its own aliases"
                    )
                owner[word] = step.name
        return self

    def find(self, text: str) -> PipelineStep | None:
        key = step_key(text)
        for step in self.steps:
            if key in (step_key(w) for w in (step.name, *step.aliases)):
                return step
        return None

    @property
    def first(self) -> PipelineStep:
        return self.steps[0]

    def names(self) -> list[str]:
        return [step.name for step in self.steps]
