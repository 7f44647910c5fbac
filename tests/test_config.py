"""leadsync.toml: every mistake names its key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import (
    RuleSettings,
    load_config,
    parse_config,
    starter_config,
    starter_google_config,
)
from sync.errors import ConfigError

GOOD = {
    "default_owner": "Giulia",
    "tracker": {"path": "leads.xlsx"},
    "prospecting": [{"path": "prospects.xlsx"}],
}


def problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, Path("."))
    return caught.value.problems


def test_starter_config_is_valid_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.toml"
    path.write_text(starter_config("p.xlsx", "l.xlsx", "Europe/Rome", "Giulia"))
    config = load_config(path)
    assert config.resolve(config.tracker.path) == tmp_path.resolve() / "l.xlsx"
    assert config.zone.key == "Europe/Rome"


def test_the_starter_configs_show_every_rule_setting_at_its_default(tmp_path: Path) -> None:
    # Each [rules] key is written out (touch_base_days commented, as it is off), so a person
    # sees what can be set; the values shown must be the defaults the engine uses.
    texts = {
        "excel": starter_config("p.xlsx", "l.xlsx", "Europe/Rome", "Giulia"),
        "google": starter_google_config("1" + "a" * 43, None, "Europe/Rome", "Giulia"),
    }
    for name, text in texts.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        assert load_config(path).rules == RuleSettings(), name
        for key in RuleSettings.model_fields:
            assert f"{key} =" in text, (name, key)


def test_bad_time_zone_says_what_to_use() -> None:
    (message,) = problems({**GOOD, "time_zone": "Rome"})
    assert message.startswith("time_zone: 'Rome' is not an IANA time zone name")
    assert "Europe/Rome" in message


def test_every_problem_is_reported_at_once_with_its_key() -> None:
    found = problems({"tracker": {}, "prospecting": [{"pth": "x"}], "date_order": "DDMM"})
    keys = sorted(p.split(":")[0] for p in found)
    assert keys == [
        "date_order", "default_owner", "prospecting[1].pth", "tracker",
    ]  # fmt: skip
    assert any("give either path" in p for p in found)
    assert any("remove it or check its spelling" in p for p in found)


SHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd"


def test_google_tracker_takes_an_id_or_the_browser_address() -> None:
    url = f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0"
    config = parse_config(
        {
            **GOOD,
            "tracker": {"backend": "google", "spreadsheet": url},
            "prospecting": [{"spreadsheet": SHEET_ID, "tabs": ["Prospects", "Fiere"]}],
        },
        Path("."),
    )
    assert config.tracker.spreadsheet == SHEET_ID
    assert config.prospecting[0].spreadsheet == SHEET_ID
    assert config.google.credentials is None  # Application Default Credentials


def test_google_config_mistakes_say_what_to_write() -> None:
    (message,) = problems({**GOOD, "tracker": {"path": "x", "backend": "google"}})
    assert message.startswith("tracker:") and 'spreadsheet = "ID or URL"' in message
    (message,) = problems(
        {**GOOD, "tracker": {"backend": "google", "spreadsheet": SHEET_ID}}
    )  # GOOD's prospecting entry is a file
    assert message.startswith("prospecting[1]:") and "spreadsheet" in message
    (message,) = problems({**GOOD, "tracker": {"backend": "google", "spreadsheet": "my leads"}})
    assert "neither a spreadsheet ID nor a Google Sheets URL" in message


def test_unknown_header_field_lists_the_known_ones() -> None:
    (message,) = problems({**GOOD, "headers": {"prospects": {"compnay": ["Ditta"]}}})
    assert "compnay" in message and "company" in message


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `leadsync init`"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "leadsync.toml"
    broken.write_text("time_zone = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_a_prospecting_tab_listed_twice_is_refused() -> None:
    twice = {**GOOD, "prospecting": [{"path": "prospects.xlsx"}, {"path": "./prospects.xlsx"}]}
    (message,) = problems(twice)
    assert message.startswith("prospecting[2]: prospects.xlsx › Prospects is listed twice")


def test_phone_region_is_a_country_code_phone_numbers_know() -> None:
    config = parse_config({**GOOD, "phone_region": "it"}, Path("."))
    assert config.phone_region == "IT"
    assert parse_config(GOOD, Path(".")).phone_region is None
    (message,) = problems({**GOOD, "phone_region": "Italy"})
    assert message.startswith("phone_region: 'Italy' is not a country code")
    assert '"IT"' in message
