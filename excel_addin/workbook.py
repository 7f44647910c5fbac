"""Which configuration a calling workbook uses, and laying out its tabs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.config import CONFIG_FILE, Config, load_config, parse_config
from sync.errors import ConfigError
from sync.headers import FIELDS, TabKind, alias_table, canonical_headers
from sync.layout import HEADER_SEARCH_ROWS, find_headers
from sync.zones import local_zone_name

DEFAULT_OWNER = "Sales team"
CONF_SHEET = "xlwings.conf"  # xlwings' own settings sheet: key in column A, value in B
CONF_KEYS = {
    "LEADSYNC_CONFIG": "a leadsync.toml to use",
    "LEADSYNC_TRACKER": "the tracker file (default: this workbook)",
    "LEADSYNC_TIME_ZONE": "an IANA zone such as Europe/Rome",
    "LEADSYNC_OWNER": "owner of new leads with no Assign to",
}


def _conf_sheet(book: Any) -> dict[str, str]:
    if CONF_SHEET not in [sheet.name for sheet in book.sheets]:
        return {}
    sheet = book.sheets[CONF_SHEET]
    last = sheet.used_range.last_cell
    grid = sheet.range((1, 1), (max(last.row, 1), 2)).options(ndim=2).value
    found = {}
    for key, value in grid:
        name = str(key or "").strip().upper()
        if name.startswith("LEADSYNC_"):
            if name not in CONF_KEYS:
                known = ", ".join(CONF_KEYS)
                raise ConfigError(
                    [f"{name}: not a leadsync setting; use one of {known}"], CONF_SHEET
                )
            found[name] = str(value or "").strip()
    return found


def config_for(book: Any) -> Config:
    """The settings the buttons use, first found wins: a leadsync.toml named on the
    xlwings.conf sheet, a leadsync.toml beside the workbook, else defaults for a workbook
    that holds everything itself, adjusted by LEADSYNC_* rows of the xlwings.conf sheet."""
    folder = Path(str(book.fullname)).parent
    conf = _conf_sheet(book)
    named = conf.get("LEADSYNC_CONFIG")
    if named:
        return load_config(folder / named)
    beside = folder / CONFIG_FILE
    if beside.is_file():
        return load_config(beside)
    name = Path(str(book.fullname)).name
    return parse_config(
        {
            "time_zone": conf.get("LEADSYNC_TIME_ZONE") or local_zone_name(),
            "default_owner": conf.get("LEADSYNC_OWNER") or DEFAULT_OWNER,
            "tracker": {"path": conf.get("LEADSYNC_TRACKER") or name},
            "prospecting": [{"path": name, "tabs": ["Prospects"]}],
        },
        folder,
        f"the {CONF_SHEET} sheet of {name}" if conf else f"the defaults for {name}",
    )


def lay_out(book: Any, config: Config) -> list[str]:
    """Add each missing tab with its headers; a tab with leadsync's headers is left alone."""
    wanted = [(t, TabKind.PROSPECTS) for p in config.prospecting for t in p.tabs]
    if config.tracker_path.name == Path(str(book.fullname)).name:
        wanted += [
            (config.tracker.leads_tab, TabKind.LEADS),
            (config.tracker.clients_tab, TabKind.CLIENTS),
        ]
    said: list[str] = []
    for name, kind in wanted:
        names = [sheet.name for sheet in book.sheets]
        if name not in names:
            sheet = book.sheets.add(name, after=book.sheets[len(names) - 1])
            sheet.range((1, 1)).value = [canonical_headers(kind)]
            said.append(f"{name}: added.")
            continue
        sheet = book.sheets[name]
        last = sheet.used_range.last_cell
        top = sheet.range((1, 1), (min(last.row, HEADER_SEARCH_ROWS), max(last.column, 1)))
        grid = top.options(ndim=2).value
        if all(c in (None, "") for row in grid for c in row):
            sheet.range((1, 1)).value = [canonical_headers(kind)]
            said.append(f"{name}: was empty; headers added.")
            continue
        _index, found = find_headers(grid, alias_table(kind, config.headers.for_kind(kind)))
        if all(f.key in found for f in FIELDS[kind] if f.required):
            said.append(f"{name}: already laid out.")
        else:
            said.append(f"{name}: holds other data, left alone; name another tab in leadsync.toml.")
    return said
