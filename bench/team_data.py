"""The seeded sales team every benchmark works on: prospects, leads and client folders.

Both benches (xlsx and Google Sheets) build their files from `generate`, so their figures
describe the same work. Rows are dicts keyed by field key (sync.headers), values as a person
types them: str, float, date, datetime or None.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import NamedTuple, cast

Row = dict[str, object]

SEED = 20250303
# A pass's decisions depend on "now"; fixing it keeps the work identical from run to run.
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
TIME_ZONE = "Europe/Rome"

# Linked leads name this file as their source: the xlsx bench's prospecting file. The Google
# bench keeps the same value so both benches hold byte-for-byte the same data.
PROSPECTS_FILE = "prospects.xlsx"

LINKED_SHARE = 0.4  # leads that came from the prospecting file and are ticked ✓ there
STRUCK_SHARE = 0.02  # prospect rows already struck off with x
RENEWAL_SHARE = 0.05  # leads that are renewals of an earlier won lead
SHARED_COMPANY_SHARE = 0.25  # flagged prospects whose company already has leads

FIRST_NAMES = (
    "Giulia", "Marco", "Sara", "Luca", "Elena", "Paolo", "Chiara", "Andrea", "Francesca",
    "Matteo", "Anna", "Davide", "Laura", "Simone", "Martina", "James", "Emma", "Oliver",
    "Sophie", "Lukas", "Hannah", "Pierre", "Camille", "Javier", "Lucia", "Noah", "Mia",
)  # fmt: skip
LAST_NAMES = (
    "Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo",
    "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
    "Smith", "Jones", "Taylor", "Müller", "Schmidt", "Dubois", "Martin", "García", "López",
)  # fmt: skip
COMPANY_FIRST = (
    "Alpine", "Adriatica", "Nord", "Delta", "Orion", "Vega", "Atlas", "Sole", "Monte", "Lago",
    "Ponte", "Rapid", "Prime", "Blue", "Green", "Silver", "Nova", "Tecno", "Euro", "Medi",
    "Castello", "Fonte", "Aurora", "Borgo", "Stella", "Quadra", "Vento", "Marina", "Terra",
    "Galileo",
)  # fmt: skip
COMPANY_SECOND = (
    "Impianti", "Logistics", "Costruzioni", "Software", "Ceramiche", "Foods", "Meccanica",
    "Consulting", "Trasporti", "Elettronica", "Packaging", "Arredi", "Tessile", "Energia",
    "Plastics", "Vetro", "Servizi", "Motors", "Farma", "Design", "Metalli", "Ottica", "Legno",
    "Chimica", "Media", "Robotics", "Agritech", "Solutions", "Systems", "Retail",
)  # fmt: skip
COMPANY_PLACE = (
    "Milano", "Torino", "Bologna", "Verona", "Padova", "Brescia", "Bergamo", "Firenze",
    "Genova", "Roma", "Napoli", "Bari", "Parma", "Modena", "Trento", "Udine", "Lyon", "Munich",
    "Zurich", "Vienna", "Madrid", "Leeds", "Bristol", "Porto", "Lugano", "Nice", "Graz",
    "Ancona", "Pisa", "Lecce",
)  # fmt: skip
LEGAL_SUFFIXES = ("S.r.l.", "S.p.A.", "Srl", "Ltd", "GmbH", "SAS", "Inc.", "")
FREE_MAIL = ("gmail.com", "libero.it", "outlook.com", "yahoo.it")
OWNERS = ("Giulia Conti", "Marco Bianchi", "Sara Romano", "Luca Ferri", "Elena Galli")
DEFAULT_OWNER = OWNERS[0]
NEXT_ACTIONS = (
    "Call back", "Send quote", "Book a demo", "Follow-up email", "Visit on site",
    "Send brochure", "Ask for budget", "Introduce to partner",
)  # fmt: skip
NOTES = (
    "Met at the trade fair", "Asked for the price list", "Wants a call after the holidays",
    "Has a contract with a competitor until June", "Referred by an existing client",
    "Interested in the premium plan", "Needs approval from the board", "Downloaded the white paper",
    "Prefers e-mail to phone", "Second contact: purchasing office",
)  # fmt: skip
LEAD_SOURCES = ("Website", "Referral", "Trade fair", "LinkedIn")
STATUS_WEIGHTS = {"To-do": 30, "Standby": 35, "Won": 20, "Lost": 15}


# A NamedTuple, not a dataclass: dataclasses imports inspect, and the xlsx bench's parent
# process, which imports this module, sets the floor of its children's peak memory.
class TeamData(NamedTuple):
    prospects: list[Row]  # shuffled: flagged +, ticked ✓, struck x and plain rows mixed
    leads: list[Row]
    folders: list[Row]  # client folders as an earlier pass left them
    linked_prospects: int  # prospect rows already ticked ✓ with a lead of their own


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """--prospects, --flags and --leads at the size the issue's benchmarks are set at."""
    parser.add_argument("--prospects", type=int, default=50_000, help="prospect rows (50000)")
    parser.add_argument("--flags", type=int, default=500, help="prospect rows flagged + (500)")
    parser.add_argument("--leads", type=int, default=5_000, help="leads in the tracker (5000)")


def generate(prospects: int, flags: int, leads: int) -> TeamData:
    """The same team for the same sizes, every time: all randomness comes from SEED."""
    # Imported here so a bench's parent process can import this module without loading the
    # engine, whose memory would otherwise become the floor of its children's peak figures.
    from sync.clientkey import client_key

    fake = _Faker(Random(SEED))
    lead_rows, linked = _generate_leads(fake, leads)
    linked = linked[: prospects - flags]
    folders = _folders(lead_rows, client_key)

    lead_companies = [str(lead["company"]) for lead in lead_rows] or [fake.company()]
    rows = list(linked)
    for _ in range(flags):
        shared = fake.rng.random() < SHARED_COMPANY_SHARE
        rows.append(
            _prospect(fake, fake.rng.choice(lead_companies) if shared else fake.company(), "+")
        )
    while len(rows) < prospects:
        flag = "x" if fake.rng.random() < STRUCK_SHARE else None
        rows.append(_prospect(fake, fake.company(), flag))
    fake.rng.shuffle(rows)
    return TeamData(rows, lead_rows, folders, len(linked))


class _Faker:
    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def company(self) -> str:
        r = self.rng
        base = f"{r.choice(COMPANY_FIRST)} {r.choice(COMPANY_SECOND)} {r.choice(COMPANY_PLACE)}"
        return f"{base} {r.choice(LEGAL_SUFFIXES)}".strip()

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def email(self, person: str, company: str) -> str:
        # Mailboxes are ASCII even when the name is not: Müller writes from mueller or muller.
        ascii_name = unicodedata.normalize("NFKD", person).encode("ascii", "ignore").decode()
        local = ".".join(ascii_name.lower().split())
        if self.rng.random() < 0.15:
            return f"{local}{self.rng.randint(1, 99)}@{self.rng.choice(FREE_MAIL)}"
        words = company.split()
        if words[-1] in LEGAL_SUFFIXES:
            words = words[:-1]
        domain = "-".join(words).lower()
        return f"{local}@{domain}.{self.rng.choice(('it', 'com', 'eu', 'de'))}"

    def phone(self) -> str:
        r = self.rng
        return f"+39 0{r.randint(2, 99)} {r.randint(100, 999)} {r.randint(1000, 9999)}"

    def amount(self) -> float | None:
        if self.rng.random() < 0.15:
            return None
        return round(self.rng.uniform(500, 60_000), 2)

    def days_from_today(self, low: int, high: int) -> date:
        return TODAY + timedelta(days=self.rng.randint(low, high))

    def moment_in_past(self, days: int) -> datetime:
        day = TODAY - timedelta(days=self.rng.randint(1, days))
        return datetime(day.year, day.month, day.day, self.rng.randint(8, 18), 0)


def _generate_leads(fake: _Faker, count: int) -> tuple[list[Row], list[Row]]:
    """The tracker's leads and, for those that came from the prospecting file, their ✓ rows."""
    rng = fake.rng
    # Fewer companies than leads, so some clients have several leads and hence a folder.
    companies = [fake.company() for _ in range(max(1, int(count * 0.7)))]
    leads: list[Row] = []
    linked: list[Row] = []
    unrenewed: list[Row] = []
    for number in range(1, count + 1):
        lead_id = f"L-{number:04d}"
        if unrenewed and rng.random() < RENEWAL_SHARE:
            leads.append(_renewal_lead(fake, lead_id, unrenewed.pop(rng.randrange(len(unrenewed)))))
            continue
        company = rng.choice(companies)
        person = fake.person()
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        lead: Row = {
            "lead_id": lead_id,
            "created": fake.moment_in_past(720),
            "company": company,
            "contact": person,
            "email": fake.email(person, company),
            "phone": fake.phone(),
            "notes": rng.choice(NOTES),
            "owner": rng.choice(OWNERS),
            "amount": fake.amount(),
            "status": status,
        }
        if status == "Standby":
            # One Standby lead in five is due, so the pass has To-do moves to make.
            due = rng.random() < 0.2
            lead["next_action_date"] = (
                fake.days_from_today(-30, -1) if due else fake.days_from_today(1, 90)
            )
            lead["next_action"] = rng.choice(NEXT_ACTIONS)
        elif status == "To-do":
            lead["next_action_date"] = fake.days_from_today(-10, 20)
            lead["next_action"] = rng.choice(NEXT_ACTIONS)
        elif status == "Won" and rng.random() < 0.4:
            lead["renewal_date"] = fake.days_from_today(10, 365)
            unrenewed.append(lead)
        if rng.random() < LINKED_SHARE:
            lead["source"] = PROSPECTS_FILE
            linked.append(_linked_prospect(fake, lead))
        else:
            lead["source"] = rng.choice(LEAD_SOURCES)
        leads.append(lead)
    return leads, linked


def _renewal_lead(fake: _Faker, lead_id: str, won: Row) -> Row:
    renewal = won["renewal_date"]
    assert isinstance(renewal, date)
    wake = renewal - timedelta(days=30)
    carried = ("company", "contact", "email", "phone", "notes", "owner", "amount")
    return {
        **{key: won[key] for key in carried},
        "lead_id": lead_id,
        "created": fake.moment_in_past(60),
        "next_action": f"Renewal of {won['lead_id']} on {renewal:%Y-%m-%d}",
        "next_action_date": wake,
        "status": "Standby" if wake > TODAY else "To-do",
        "renewal_of": won["lead_id"],
        "source": "Renewal",
    }


def _linked_prospect(fake: _Faker, lead: Row) -> Row:
    carried = ("company", "contact", "email", "phone", "notes", "amount")
    return {
        **{key: lead[key] for key in carried},
        "flag": "✓",
        "assign_to": lead["owner"],
        "next_action": fake.rng.choice(NEXT_ACTIONS),
        "next_action_date": fake.days_from_today(-200, -1),
        "lead": lead["lead_id"],
    }


def _prospect(fake: _Faker, company: str, flag: str | None) -> Row:
    rng = fake.rng
    person = fake.person()
    row: Row = {
        "flag": flag,
        "company": company,
        "contact": person,
        "email": fake.email(person, company),
        "phone": fake.phone(),
        "notes": rng.choice(NOTES),
        "assign_to": rng.choice(OWNERS) if rng.random() < 0.6 else None,
        "amount": fake.amount(),
        "next_action": rng.choice(NEXT_ACTIONS),
        "next_action_date": fake.days_from_today(-15, 60) if rng.random() < 0.7 else None,
    }
    if flag == "x":
        row["sync_note"] = "Struck off"  # struck by an earlier pass, so not struck again
    return row


def _folders(leads: list[Row], client_key: Callable[[str, str], str]) -> list[Row]:
    """Client folders as a previous pass left them, so the tracker looks lived in."""
    groups: dict[str, list[Row]] = {}
    for lead in leads:
        key = client_key(str(lead["company"]), str(lead["email"]))
        if key:
            groups.setdefault(key, []).append(lead)
    folders: list[Row] = []
    for key, members in groups.items():
        if len(members) < 2:
            continue
        folder_id = f"F-{len(folders) + 1:03d}"
        for lead in members:
            lead["folder"] = folder_id
        folders.append(
            {
                "folder": folder_id,
                "client": members[0]["company"],
                "client_key": key,
                "leads": ", ".join(str(m["lead_id"]) for m in members),
                "lead_count": len(members),
                "open_leads": sum(1 for m in members if m["status"] in ("To-do", "Standby")),
                "created": max(cast(datetime, m["created"]) for m in members),
            }
        )
    return folders
