"""Which configuration a calling workbook uses, and laying out its tabs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.config import CONFIG_FILE, Config, load_config, parse_config
from sync.headers import FIELDS, TabKind, alias_table, canonical_headers
from sync.layout import HEADER_SEARCH_ROWS, find_headers
from sync.zones import local_zone_name

DEFAULT_OWNER = "Sales team"


def config_for(book: Any) -> Config:
    """leadsync.toml beside the workbook when there is one, else the defaults for a workbook
    that holds everything itself: tabs Prospects, Leads and Clients, this computer's zone."""
    folder = Path(str(book.fullname)).parent
    found = folder / CONFIG_FILE
    if found.is_file():
        return load_config(found)
    name = Path(str(book.fullname)).name
    return parse_config(
        {
            "time_zone": local_zone_name(),
            "default_owner": DEFAULT_OWNER,
            "tracker": {"path": name},
            "prospecting": [{"path": name, "tabs": ["Prospects"]}],
        },
        folder,
        f"the defaults for {name}",
    )


def lay_out(book: Any, config: Config) -> list[str]:
    """Add each missing tab with its headers; a tab with leadsync's headers is left alone."""
    wanted = [(t, TabKind.PROSPECTS) for p in config.prospecting for t in p.tabs]
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
