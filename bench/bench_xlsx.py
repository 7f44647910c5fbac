"""How much one leadsync pass costs next to openpyxl loading and saving the same two workbooks.

    .venv/bin/python bench/bench_xlsx.py [--prospects 50000] [--flags 500] [--leads 5000]
                                         [--repeat 1] [--workdir DIR]

Generates a prospecting file and a tracker (seeded, so every run sees the same data), then times
the baseline and one engine pass, each in a fresh child process. The last line printed is one
JSON object with every figure. Exit status 1 means the engine pass did not create exactly
--flags leads (or the saved files do not show them), so its time would not describe a real pass.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from sync.headers import TabKind
    from sync.plan import Counts

SEED = 20250303
# A pass's decisions depend on "now"; fixing it keeps the work identical from run to run.
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
TIME_ZONE = "Europe/Rome"
TARGET_WALL_RATIO = 1.5

PROSPECTS_FILE = "prospects.xlsx"
TRACKER_FILE = "leads.xlsx"
MANIFEST_FILE = "manifest.json"

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


# ---- data generation (runs in its own child so the parent stays small; see _peak_kib) -------


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


def _generate_leads(
    fake: _Faker, count: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The tracker's leads and, for those that came from the prospecting file, their ✓ rows."""
    rng = fake.rng
    # Fewer companies than leads, so some clients have several leads and hence a folder.
    companies = [fake.company() for _ in range(max(1, int(count * 0.7)))]
    leads: list[dict[str, object]] = []
    linked: list[dict[str, object]] = []
    unrenewed: list[dict[str, object]] = []
    for number in range(1, count + 1):
        lead_id = f"L-{number:04d}"
        if unrenewed and rng.random() < RENEWAL_SHARE:
            leads.append(_renewal_lead(fake, lead_id, unrenewed.pop(rng.randrange(len(unrenewed)))))
            continue
        company = rng.choice(companies)
        person = fake.person()
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        lead: dict[str, object] = {
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


def _renewal_lead(fake: _Faker, lead_id: str, won: dict[str, object]) -> dict[str, object]:
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


def _linked_prospect(fake: _Faker, lead: dict[str, object]) -> dict[str, object]:
    carried = ("company", "contact", "email", "phone", "notes", "amount")
    return {
        **{key: lead[key] for key in carried},
        "flag": "✓",
        "assign_to": lead["owner"],
        "next_action": fake.rng.choice(NEXT_ACTIONS),
        "next_action_date": fake.days_from_today(-200, -1),
        "lead": lead["lead_id"],
    }


def _prospect(fake: _Faker, company: str, flag: str | None) -> dict[str, object]:
    rng = fake.rng
    person = fake.person()
    row: dict[str, object] = {
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


def _folders(
    leads: list[dict[str, object]], client_key: Callable[[str, str], str]
) -> list[dict[str, object]]:
    """Client folders as a previous pass left them, so the tracker looks lived in."""
    groups: dict[str, list[dict[str, object]]] = {}
    for lead in leads:
        key = client_key(str(lead["company"]), str(lead["email"]))
        if key:
            groups.setdefault(key, []).append(lead)
    folders: list[dict[str, object]] = []
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


def _generate(workdir: Path, prospects: int, flags: int, leads: int) -> dict[str, Any]:
    import openpyxl

    from sync.clientkey import client_key
    from sync.headers import TabKind
    from sync.templates import CLIENTS_TAB, build_prospecting_workbook, build_tracker_workbook

    fake = _Faker(Random(SEED))
    prospect_path, tracker_path = workdir / PROSPECTS_FILE, workdir / TRACKER_FILE
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

    started = time.perf_counter()
    build_prospecting_workbook(prospect_path, rows)
    prospecting_seconds = time.perf_counter() - started
    build_tracker_workbook(tracker_path, lead_rows)
    # The template builder leaves Clients empty; reopening to fill it costs generation time only.
    book = openpyxl.load_workbook(tracker_path)
    clients = book[CLIENTS_TAB]
    columns = _columns(clients, TabKind.CLIENTS)
    for offset, folder in enumerate(folders, start=2):
        for key, value in folder.items():
            clients.cell(offset, columns[key], value)
    book.save(tracker_path)
    return {
        "prospects": prospects,
        "flags": flags,
        "leads": leads,
        "linked_prospects": len(linked),
        "folders": len(folders),
        "prospecting_build_s": round(prospecting_seconds, 2),
    }


def _columns(sheet: Any, kind: TabKind) -> dict[str, int]:
    """Field key -> 1-based column, read from the header row, not assumed from the template."""
    from sync.headers import alias_table, match_headers

    header = next(sheet.iter_rows(max_row=1, values_only=True))
    return {key: index + 1 for key, index in match_headers(header, alias_table(kind)).items()}


def _column_values(path: Path, tab: str, kind: TabKind, key: str) -> list[object]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book[tab]
        column = _columns(sheet, kind)[key]
        cells = sheet.iter_rows(min_row=2, min_col=column, max_col=column, values_only=True)
        return [row[0] for row in cells]
    finally:
        book.close()


# ---- the two measured children ----------------------------------------------------------


def _peak_kib() -> int:
    # On Linux a child's ru_maxrss starts at the parent's high-water mark (exec carries it
    # over), which is why the parent never loads a workbook itself.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


def _baseline(workdir: Path, rundir: Path) -> dict[str, Any]:
    import openpyxl

    sources = [workdir / TRACKER_FILE, workdir / PROSPECTS_FILE]
    started = time.perf_counter()
    # Both books stay open together, as in a pass, so the memory figures compare like with like.
    books = [openpyxl.load_workbook(path) for path in sources]
    for path, book in zip(sources, books, strict=True):
        book.save(rundir / path.name)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "peak_kib": _peak_kib(), "openpyxl": openpyxl.__version__}


def _engine(workdir: Path, rundir: Path) -> dict[str, Any]:
    import sync
    from sync.config import parse_config

    for name in (TRACKER_FILE, PROSPECTS_FILE):
        shutil.copyfile(workdir / name, rundir / name)
    config = parse_config(
        {
            "time_zone": TIME_ZONE,
            "default_owner": OWNERS[0],
            "tracker": {"path": TRACKER_FILE},
            "prospecting": [{"path": PROSPECTS_FILE}],
        },
        rundir,
    )
    started = time.perf_counter()
    report = sync.run(config, now=NOW)
    wall = time.perf_counter() - started
    peak = _peak_kib()  # before the check below, which loads the books again
    counts = report.plan.counts
    return {
        "wall_s": wall,
        "peak_kib": peak,
        "counts": vars(counts),
        "problems": len(report.plan.problems),
        "on_disk": _check_on_disk(
            rundir, json.loads((workdir / MANIFEST_FILE).read_text(encoding="utf-8")), counts
        ),
    }


def _check_on_disk(rundir: Path, manifest: dict[str, Any], counts: Counts) -> list[str]:
    """What the saved files show, so a pass that planned but did not write is not counted."""
    from sync.headers import TabKind
    from sync.templates import LEADS_TAB, PROSPECTS_TAB

    failures = []
    ids = _column_values(rundir / TRACKER_FILE, LEADS_TAB, TabKind.LEADS, "lead_id")
    found = sum(1 for value in ids if value)
    expected = manifest["leads"] + counts.leads_created + counts.renewals_created
    if found != expected:
        failures.append(f"Leads tab has {found} lead IDs, expected {expected}")
    flags = _column_values(rundir / PROSPECTS_FILE, PROSPECTS_TAB, TabKind.PROSPECTS, "flag")
    if flags.count("+"):
        failures.append(f"{flags.count('+')} prospect rows still carry +")
    ticked = manifest["linked_prospects"] + manifest["flags"]
    if flags.count("✓") != ticked:
        failures.append(f"{flags.count('✓')} prospect rows carry ✓, expected {ticked}")
    return failures


# ---- parent -----------------------------------------------------------------------------


def _spawn(
    role: str, workdir: Path, args: argparse.Namespace, rundir: Path | None = None
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        role,
        "--workdir",
        str(workdir),
        "--prospects",
        str(args.prospects),
        "--flags",
        str(args.flags),
        "--leads",
        str(args.leads),
    ]
    if rundir is not None:
        command += ["--rundir", str(rundir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {role} child failed with exit code {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _measure(role: str, workdir: Path, args: argparse.Namespace, index: int) -> dict[str, Any]:
    rundir = workdir / f"run-{role}-{index}"
    shutil.rmtree(rundir, ignore_errors=True)
    rundir.mkdir()
    try:
        return _spawn(role, workdir, args, rundir)
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def _report(
    args: argparse.Namespace, baseline: list[dict[str, Any]], engine: list[dict[str, Any]]
) -> dict[str, Any]:
    base_wall = statistics.median(r["wall_s"] for r in baseline)
    engine_wall = statistics.median(r["wall_s"] for r in engine)
    base_mib = statistics.median(r["peak_kib"] for r in baseline) / 1024
    engine_mib = statistics.median(r["peak_kib"] for r in engine) / 1024
    rows = args.prospects + args.leads
    created = [r["counts"]["leads_created"] for r in engine]
    failures = sorted({f for r in engine for f in r["on_disk"]})
    return {
        "prospects": args.prospects,
        "flags": args.flags,
        "leads": args.leads,
        "repeat": args.repeat,
        "baseline_wall_s": round(base_wall, 3),
        "engine_wall_s": round(engine_wall, 3),
        "wall_ratio": round(_ratio(engine_wall, base_wall), 3),
        "baseline_peak_mib": round(base_mib, 1),
        "engine_peak_mib": round(engine_mib, 1),
        "memory_ratio": round(_ratio(engine_mib, base_mib), 3),
        "baseline_rows_per_s": round(_ratio(rows, base_wall)),
        "engine_rows_per_s": round(_ratio(rows, engine_wall)),
        # One int even with --repeat: the first run that missed, else the count every run made.
        "leads_created": next((c for c in created if c != args.flags), created[0]),
        "engine_counts": engine[0]["counts"],
        "engine_problems": engine[0]["problems"],
        "verified": all(c == args.flags for c in created) and not failures,
        "verify_failures": failures,
        # A child's peak cannot read below this floor (see _peak_kib); shown so that can be seen.
        "harness_peak_mib": round(_peak_kib() / 1024, 1),
        "python": platform.python_version(),
        "openpyxl": baseline[0]["openpyxl"],
        "target_wall_ratio": TARGET_WALL_RATIO,
        "wall_target_met": _ratio(engine_wall, base_wall) <= TARGET_WALL_RATIO,
    }


def _print_table(figures: dict[str, Any]) -> None:
    f = figures
    print()
    print(
        f"leadsync xlsx benchmark: {f['prospects']:,} prospects ({f['flags']:,} flagged +), "
        f"{f['leads']:,} leads; median of {f['repeat']} run(s); "
        f"Python {f['python']}, openpyxl {f['openpyxl']}"
    )
    print(f"{'':24}{'baseline':>12}{'engine':>12}{'ratio':>10}")
    print(
        f"{'wall time (s)':24}{f['baseline_wall_s']:>12.2f}{f['engine_wall_s']:>12.2f}"
        f"{f['wall_ratio']:>9.2f}x"
    )
    print(
        f"{'peak memory (MiB)':24}{f['baseline_peak_mib']:>12.1f}{f['engine_peak_mib']:>12.1f}"
        f"{f['memory_ratio']:>9.2f}x"
    )
    print(f"{'rows/s (both files)':24}{f['baseline_rows_per_s']:>12,}{f['engine_rows_per_s']:>12,}")
    if min(f["baseline_peak_mib"], f["engine_peak_mib"]) <= f["harness_peak_mib"]:
        print(f"warning: a peak is at the harness's own {f['harness_peak_mib']} MiB floor")
    met = "met" if f["wall_target_met"] else "NOT met"
    print(f"wall-time target engine/baseline <= {f['target_wall_ratio']}: {met}")
    counts = ", ".join(f"{k} {v}" for k, v in f["engine_counts"].items())
    print(f"engine pass: {counts}; problems {f['engine_problems']}")
    if f["verified"]:
        print(f"verified: {f['flags']:,} leads created and written to disk")
    else:
        reasons = list(f["verify_failures"])
        if f["leads_created"] != f["flags"]:
            reasons.insert(0, f"leads_created {f['leads_created']} != flags {f['flags']}")
        print("VERIFICATION FAILED: " + "; ".join(reasons))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--prospects", type=int, default=50_000, help="prospect rows (50000)")
    parser.add_argument("--flags", type=int, default=500, help="prospect rows flagged + (500)")
    parser.add_argument("--leads", type=int, default=5_000, help="leads in the tracker (5000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--workdir", type=Path, help="keep the generated workbooks here")
    parser.add_argument(
        "--child", choices=("generate", "baseline", "engine"), help=argparse.SUPPRESS
    )
    parser.add_argument("--rundir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.flags <= args.prospects or args.leads < 0 or args.repeat < 1:
        parser.error("need 0 < --flags <= --prospects, --leads >= 0 and --repeat >= 1")
    return args


def _child(args: argparse.Namespace) -> int:
    if args.child == "generate":
        result = _generate(args.workdir, args.prospects, args.flags, args.leads)
        (args.workdir / MANIFEST_FILE).write_text(json.dumps(result), encoding="utf-8")
    elif args.child == "baseline":
        result = _baseline(args.workdir, args.rundir)
    else:
        result = _engine(args.workdir, args.rundir)
    print(json.dumps(result, default=str))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:
        return _child(args)
    keep = args.workdir is not None
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="leadsync-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"generating workbooks in {workdir} ...", flush=True)
        made = _spawn("generate", workdir, args)
        print(
            f"  {made['linked_prospects']:,} prospect rows already ticked, {made['folders']:,} "
            f"client folders; prospecting file built in {made['prospecting_build_s']} s",
            flush=True,
        )
        baseline: list[dict[str, Any]] = []
        engine: list[dict[str, Any]] = []
        for index in range(1, args.repeat + 1):
            # Interleaved, so drift in the machine's load touches both sides alike.
            baseline.append(_measure("baseline", workdir, args, index))
            engine.append(_measure("engine", workdir, args, index))
            print(
                f"run {index}: baseline {baseline[-1]['wall_s']:.2f} s, "
                f"engine {engine[-1]['wall_s']:.2f} s",
                flush=True,
            )
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    figures = _report(args, baseline, engine)
    _print_table(figures)
    print(json.dumps(figures))
    return 0 if figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
