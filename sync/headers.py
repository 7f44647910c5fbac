"""Column vocabulary of the three tabs and how a header cell is recognised.

People name their columns as they like ("Azienda", "E-mail ", "ASSIGN TO"), so every field has a
canonical English header, which templates and added columns use, and a set of aliases. Matching
ignores case and spacing so a stray space or capital never hides a column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class TabKind(StrEnum):
    PROSPECTS = "prospects"
    LEADS = "leads"
    CLIENTS = "clients"


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    engine_owned: bool = False
    required: bool = False


PROSPECT_FIELDS: tuple[Field, ...] = (
    Field("flag", "Flag", ("Segna", "Segno"), required=True),
    Field("company", "Company", ("Azienda", "Ragione sociale"), required=True),
    Field("contact", "Contact", ("Contatto", "Referente")),
    Field("email", "Email", ("E-mail", "Mail")),
    Field("phone", "Phone", ("Telefono", "Tel")),
    Field("notes", "Notes", ("Note",)),
    Field("assign_to", "Assign to", ("Assegna a",)),
    Field("amount", "Amount", ("Importo", "Value", "Valore")),
    Field("next_action", "Next action", ("Prossima azione",)),
    Field("next_action_date", "Next action date", ("Data prossima azione", "Due", "Scadenza")),
    Field("source", "Source", ("Fonte", "Origine")),
    Field("attempts", "Attempts", ("Tentativi", "Contact attempts")),
    Field("last_attempt", "Last attempt", ("Ultimo tentativo",)),
    Field("lead", "Lead", ("Lead ID", "ID lead"), engine_owned=True),
    Field("sync_note", "Sync note", ("Nota sync", "Nota di sincronizzazione"), engine_owned=True),
)

LEAD_FIELDS: tuple[Field, ...] = (
    Field("lead_id", "Lead ID", ("ID lead", "ID"), engine_owned=True),
    Field("created", "Created", ("Creato", "Creato il")),
    Field("company", "Company", ("Azienda", "Ragione sociale"), required=True),
    Field("contact", "Contact", ("Contatto", "Referente")),
    Field("email", "Email", ("E-mail", "Mail")),
    Field("phone", "Phone", ("Telefono", "Tel")),
    Field("notes", "Notes", ("Note",)),
    Field("owner", "Owner", ("Responsabile", "Assegnato a")),
    Field("amount", "Amount", ("Importo", "Value", "Valore")),
    Field("next_action", "Next action", ("Prossima azione",)),
    Field("next_action_date", "Next action date", ("Data prossima azione", "Due", "Scadenza")),
    Field("status", "Status", ("Stato",), engine_owned=True),
    Field("step", "Step", ("Fase", "Stage", "Pipeline step")),
    Field("closed", "Closed", ("Closed on", "Chiuso il", "Data chiusura"), engine_owned=True),
    Field("folder", "Folder", ("Cartella", "Client folder"), engine_owned=True),
    Field("renewal_date", "Renewal date", ("Data rinnovo", "Rinnovo")),
    Field("renewal_of", "Renewal of", ("Rinnovo di",), engine_owned=True),
    Field("source", "Source", ("Fonte", "Origine")),
    Field("followups", "Follow-ups", ("Follow up", "Follow ups", "Followups", "Solleciti")),
    Field("last_contact", "Last contact", ("Ultimo contatto",)),
    Field("sync_note", "Sync note", ("Nota sync", "Nota di sincronizzazione"), engine_owned=True),
)

CLIENT_FIELDS: tuple[Field, ...] = (
    Field("folder", "Folder", ("Cartella",), engine_owned=True),
    Field("client", "Client", ("Cliente",), engine_owned=True),
    Field("client_key", "Client key", ("Chiave cliente",), engine_owned=True),
    Field("leads", "Leads", ("Lead",), engine_owned=True),
    Field("lead_count", "Lead count", ("Numero lead",), engine_owned=True),
    Field("open_leads", "Open leads", ("Lead aperti",), engine_owned=True),
    Field("created", "Created", ("Creato", "Creato il"), engine_owned=True),
)

FIELDS: Mapping[TabKind, tuple[Field, ...]] = {
    TabKind.PROSPECTS: PROSPECT_FIELDS,
    TabKind.LEADS: LEAD_FIELDS,
    TabKind.CLIENTS: CLIENT_FIELDS,
}


def normalise_header(text: object) -> str:
    """'  Assign  To ' and 'assignto' are the same header."""
    if text is None:
        return ""
    return "".join(str(text).split()).casefold()


def alias_table(kind: TabKind, extra: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """Normalised header text -> field key for one kind of tab."""
    table: dict[str, str] = {}
    for field in FIELDS[kind]:
        for name in (field.header, *field.aliases, *((extra or {}).get(field.key, ()))):
            table.setdefault(normalise_header(name), field.key)
    return table


def field_keys(kind: TabKind) -> set[str]:
    return {f.key for f in FIELDS[kind]}


def match_headers(cells: Iterable[object], aliases: Mapping[str, str]) -> dict[str, int]:
    """Field key -> 0-based column index. The first column carrying a field wins."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = aliases.get(normalise_header(cell))
        if key is not None and key not in found:
            found[key] = index
    return found


def canonical_headers(kind: TabKind) -> list[str]:
    return [f.header for f in FIELDS[kind]]


def header(kind: TabKind, key: str) -> str:
    """The canonical header of a field, as templates and added columns write it."""
    return field(kind, key).header


def field(kind: TabKind, key: str) -> Field:
    for f in FIELDS[kind]:
        if f.key == key:
            return f
    raise KeyError(f"{kind} has no field {key!r}")
