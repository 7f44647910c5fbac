"""The Sheets stand-in behaves as Google does, seen through gspread and through plain HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import gspread
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from sheets_standin import StandIn
from sheets_standin.session import RedirectSession

ANN = "ann@example.com"
ROBOT = "leadsync@project.iam.gserviceaccount.com"
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


def sign_in(standin: StandIn, email: str = ANN) -> str:
    """An access token for an OAuth user, fetched from the stand-in's token endpoint."""
    standin.add_user(email, f"refresh-{email}")
    form = {"grant_type": "refresh_token", "refresh_token": f"refresh-{email}", "client_id": "c"}
    return str(requests.post(standin.url + "/token", data=form).json()["access_token"])


def http(standin: StandIn, email: str = ANN) -> RedirectSession:
    return RedirectSession(standin.url, sign_in(standin, email))


def tab(standin: StandIn, spreadsheet_id: str, title: str = "Leads") -> gspread.Worksheet:
    client = gspread.Client(auth=None, session=http(standin))
    return client.open_by_key(spreadsheet_id).worksheet(title)


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(gspread.exceptions.APIError) as raised:
        call()
    return dict(raised.value.error)


def test_raw_keeps_text_and_user_entered_reads_it_as_a_person_would(standin: StandIn) -> None:
    leads = tab(standin, standin.create_spreadsheet("Pipeline", {"Leads": []}))
    typed = ["=1+1", "+39 02 1234", "'007", "2020-01-02", "1,234.5"]
    leads.update([typed], "A1", value_input_option="RAW")
    leads.update([typed], "A2", value_input_option="USER_ENTERED")

    assert leads.get("A1:E2") == [typed, ["2", "#ERROR!", "007", "2020-01-02", "1,234.5"]]
    formulas = leads.get("A2:E2", value_render_option="FORMULA")
    assert formulas == [["=1+1", "=+39 02 1234", "007", 43832, 1234.5]]
    unformatted = leads.get("A2:E2", value_render_option="UNFORMATTED_VALUE")
    assert unformatted == [[2, "#ERROR!", "007", 43832, 1234.5]]
    dates_as_text = leads.get(
        "A2:E2", value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING"
    )
    assert dates_as_text == [[2, "#ERROR!", "007", "2020-01-02", 1234.5]]
    date_format = standin.cell_format(leads.spreadsheet_id, "Leads", "D2")["numberFormat"]
    assert date_format["type"] == "DATE"


DATES = [("en_US", "1/2/2020", "1/2/2020"), ("en_GB", "02/01/2020", "02/01/2020")]
DATES += [("it_IT", "02/01/2020", "2/1/2020"), ("it_IT", "2020-01-02", "2020-01-02")]


@pytest.mark.parametrize(("locale", "typed", "shown"), DATES)
def test_typed_dates_follow_the_spreadsheet_locale(
    standin: StandIn, locale: str, typed: str, shown: str
) -> None:
    spreadsheet_id = standin.create_spreadsheet("Dates", {"Leads": [[typed]]}, locale=locale)
    serial = (dt.date(2020, 1, 2) - dt.date(1899, 12, 30)).days
    assert standin.values(spreadsheet_id, "Leads") == [[serial]]
    assert tab(standin, spreadsheet_id).get("A1") == [[shown]]


def test_answers_leave_out_trailing_empty_cells_and_rows(standin: StandIn) -> None:
    grid = [["a", "", ""], ["", "", ""], ["", "b", ""], ["", "", ""]]
    spreadsheet_id = standin.create_spreadsheet("Trim", {"Leads": grid})
    api = http(standin)
    url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1:C4"
    trimmed = {"range": "Leads!A1:C4", "majorDimension": "ROWS", "values": [["a"], [], ["", "b"]]}
    assert api.get(url).json() == trimmed
    by_column = api.get(url, params={"majorDimension": "COLUMNS"}).json()
    assert by_column["values"] == [["a"], ["", "", "b"]]
    assert "values" not in api.get(f"{SHEETS}/{spreadsheet_id}/values/Leads!D1:E9").json()


def test_ranges_name_quoted_tabs_whole_columns_rows_and_whole_tabs(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Q", {"It's a tab": [["a", "b"], ["c", "d"]]})
    api = http(standin)

    def answered(text: str) -> Any:
        return api.get(f"{SHEETS}/{spreadsheet_id}/values/{text}").json()

    assert answered("'It''s a tab'!A1:B2")["range"] == "'It''s a tab'!A1:B2"
    column = answered("'It''s a tab'!B:B")
    assert (column["range"], column["values"]) == ("'It''s a tab'!B1:B1000", [["b"], ["d"]])
    assert answered("'It''s a tab'!2:3")["values"] == [["c", "d"]]
    assert answered("'It''s a tab'")["range"] == "'It''s a tab'!A1:Z1000"
    assert answered("Nope!A1")["error"]["message"] == "Unable to parse range: Nope!A1"
    assert tab(standin, spreadsheet_id, "It's a tab").get_all_values() == [["a", "b"], ["c", "d"]]


def test_writes_past_the_grid_are_refused_but_appends_grow_it(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Grid", {"Leads": [["ID"]]}, rows=3, cols=2)
    leads = tab(standin, spreadsheet_id)
    refused = error_of(lambda: leads.update([["x"]], "A4"))
    assert refused["message"] == "Range (Leads!A4) exceeds grid limits. Max rows: 3, max columns: 2"
    wide = error_of(lambda: leads.update([["a", "b", "c"]], "A2:B2"))
    expected = "Requested writing within range ['Leads'!A2:B2], but tried writing to column [C]"
    assert wide["message"] == expected
    batch = error_of(lambda: leads.batch_update([{"range": "A9", "values": [["x"]]}]))
    assert batch["message"].startswith("Invalid data[0]: Range (Leads!A9) exceeds grid limits")

    leads.append_rows([["1", "a", "x"], ["2", "b"], ["3", "c"]])
    grid = standin.sheet_properties(spreadsheet_id, "Leads")["gridProperties"]
    assert grid == {"rowCount": 4, "columnCount": 3}
    assert standin.values(spreadsheet_id, "Leads")[-1] == ["3", "c"]


def test_append_finds_the_table_and_inserts_or_overwrites(standin: StandIn) -> None:
    rows = [["ID", "Name"], ["L-1", "a"], [], ["total"]]
    spreadsheet_id = standin.create_spreadsheet("Append", {"Leads": rows})
    api = http(standin)
    url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1:B2:append"
    params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
    inserted = api.post(url, params=params, json={"values": [["L-2", "b"]]}).json()
    assert inserted["tableRange"] == "Leads!A1:B2"
    assert inserted["updates"]["updatedRange"] == "Leads!A3:B3"
    assert standin.values(spreadsheet_id, "Leads") == [*rows[:2], ["L-2", "b"], [], ["total"]]
    params["insertDataOption"] = "OVERWRITE"
    api.post(url, params=params, json={"values": [["L-3", "c"], ["L-4", "d"]]})
    assert standin.values(spreadsheet_id, "Leads")[3:] == [["L-3", "c"], ["L-4", "d"]]


def test_quota_is_per_user_per_minute_with_separate_read_and_write_buckets() -> None:
    now = [0.0]
    with StandIn(quota_per_minute=2, clock=lambda: now[0]) as sheets:
        spreadsheet_id = sheets.create_spreadsheet("Quota", {"Leads": [["a"]]})
        api, other = http(sheets), http(sheets, "bob@example.com")
        url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1"
        assert [api.get(url).status_code for _ in range(2)] == [200, 200]
        refused = api.get(url)
        assert refused.status_code == 429
        assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert refused.json()["error"]["message"].startswith(
            "Quota exceeded for quota metric 'Read requests' and limit "
            "'Read requests per minute per user' of service 'sheets.googleapis.com'"
        )
        write = api.put(url, params={"valueInputOption": "RAW"}, json={"values": [["b"]]})
        assert write.status_code == 200
        assert other.get(url).status_code == 200
        now[0] += 60
        assert api.get(url).status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "applied"),
    [("500", 500, False), ("429", 429, False), ("drop", None, False), ("drop_after", None, True)],
)
def test_faults_fail_the_nth_request(
    standin: StandIn, kind: str, status: int | None, applied: bool
) -> None:
    spreadsheet_id = standin.create_spreadsheet("Faults", {"Leads": [["before"]]})
    api = http(standin)
    url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1"
    standin.fail(2, kind)
    assert api.get(url).status_code == 200
    body = {"values": [["after"]]}
    if status is None:
        with pytest.raises(requests.ConnectionError):
            api.put(url, params={"valueInputOption": "RAW"}, json=body)
    else:
        answer = api.put(url, params={"valueInputOption": "RAW"}, json=body)
        assert answer.status_code == status
        assert answer.json()["error"]["code"] == status
    assert standin.values(spreadsheet_id, "Leads") == [["after" if applied else "before"]]
    assert standin.log[-1].status == (status or 0)
    assert api.get(url).status_code == 200


def test_a_person_can_change_the_data_between_two_requests(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Sort", {"Leads": [["Name"], ["b"], ["c"], ["a"]]})
    leads = tab(standin, spreadsheet_id)
    seen: list[int] = []

    def person(index: int) -> None:
        seen.append(index)
        if len(seen) == 2:
            standin.sort_rows(spreadsheet_id, "Leads", 0)

    standin.before_request(person)
    assert leads.get_values("A2:A4") == [["b"], ["c"], ["a"]]
    assert leads.get_values("A2:A4") == [["a"], ["b"], ["c"]]
    assert seen[1] == seen[0] + 1


def test_batch_update_applies_all_requests_or_none(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Atomic", {"Leads": [["ID"], ["L-1"]]})
    book = tab(standin, spreadsheet_id).spreadsheet
    a2 = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2, "endColumnIndex": 1}
    value = {"userEnteredValue": {"stringValue": "changed"}}
    write = {
        "updateCells": {"range": a2, "rows": [{"values": [value]}], "fields": "userEnteredValue"}
    }
    bad = {"deleteSheet": {"sheetId": 99}}
    failed = error_of(lambda: book.batch_update({"requests": [write, bad]}))
    message = "Invalid requests[1].deleteSheet: No grid with id: 99"
    assert failed == {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    assert standin.values(spreadsheet_id, "Leads") == [["ID"], ["L-1"]]
    answer = book.batch_update({"requests": [write]})
    assert answer == {"spreadsheetId": spreadsheet_id, "replies": [{}]}
    assert standin.values(spreadsheet_id, "Leads") == [["ID"], ["changed"]]


def test_find_replace_replies_count_what_changed(standin: StandIn) -> None:
    rows = [["Acme", "acme corp", '="acme"'], ["Globex", "ACME"], ["Initech"]]
    spreadsheet_id = standin.create_spreadsheet("Find", {"Leads": rows, "Other": [["acme"]]})
    book = tab(standin, spreadsheet_id).spreadsheet

    def replace(**request: Any) -> Any:
        return book.batch_update({"requests": [{"findReplace": request}]})["replies"][0]

    def changed(**counts: int) -> dict[str, Any]:
        return {"findReplace": counts}

    exact = replace(
        find="Acme", replacement="ACME Inc", matchCase=True, matchEntireCell=True, sheetId=0
    )
    assert exact == changed(valuesChanged=1, rowsChanged=1, sheetsChanged=1, occurrencesChanged=1)
    regex = replace(find=r"^(\w+) corp$", replacement="$1 Ltd", searchByRegex=True, allSheets=True)
    assert regex["findReplace"]["valuesChanged"] == 1
    assert standin.values(spreadsheet_id, "Leads")[0][:2] == ["ACME Inc", "acme Ltd"]
    everywhere = replace(find="acme", replacement="Umbrella", allSheets=True, includeFormulas=True)
    assert everywhere == changed(
        valuesChanged=4, formulasChanged=1, rowsChanged=3, sheetsChanged=2, occurrencesChanged=5
    )
    assert replace(find="nowhere", replacement="x", allSheets=True) == {"findReplace": {}}


@pytest.fixture(scope="module")
def robot_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    public = key.public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def robot(standin: StandIn, key: rsa.RSAPrivateKey) -> service_account.Credentials:
    """google-auth service-account credentials whose token endpoint is the stand-in's."""
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {"client_email": ROBOT, "private_key": private, "token_uri": standin.url + "/token"}
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    return service_account.Credentials.from_service_account_info(info, scopes=scopes)


def error_parts(answer: requests.Response) -> tuple[int, str, str]:
    error = answer.json()["error"]
    return error["code"], error["message"], error["status"]


def test_callers_need_a_token_and_a_shared_spreadsheet(
    standin: StandIn, robot_key: rsa.RSAPrivateKey
) -> None:
    standin.add_service_account(ROBOT, public_pem(robot_key))
    credentials = robot(standin, robot_key)
    credentials.refresh(google.auth.transport.requests.Request())
    shared = standin.create_spreadsheet("Shared", {"Leads": [["ok"]]}, shared_with=[ROBOT])
    private = standin.create_spreadsheet("Private", {"Leads": []}, shared_with=[ANN])
    api = RedirectSession(standin.url, credentials.token)
    client = gspread.Client(auth=None, session=api)
    assert client.open_by_key(shared).sheet1.get_all_values() == [["ok"]]
    with pytest.raises(PermissionError):
        client.open_by_key(private)
    denied = (403, "The caller does not have permission", "PERMISSION_DENIED")
    assert error_parts(api.get(f"{SHEETS}/{private}")) == denied
    missing = (404, "Requested entity was not found.", "NOT_FOUND")
    assert error_parts(api.get(f"{SHEETS}/{'x' * 44}")) == missing
    code, _, status = error_parts(requests.get(f"{standin.url}/v4/spreadsheets/{shared}"))
    assert (code, status) == (401, "UNAUTHENTICATED")
    _, forged, _ = error_parts(
        RedirectSession(standin.url, "ya29.forged").get(f"{SHEETS}/{shared}")
    )
    assert forged.startswith("Request had invalid authentication credentials.")


def test_a_wrong_key_or_unknown_refresh_token_gets_no_token(
    standin: StandIn, robot_key: rsa.RSAPrivateKey
) -> None:
    standin.add_service_account(ROBOT, public_pem(robot_key))
    impostor = robot(standin, rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid JWT Signature"):
        impostor.refresh(google.auth.transport.requests.Request())
    standin.add_user(ANN, "good-refresh-token")

    def person(refresh_token: str) -> user_credentials.Credentials:
        token_uri = standin.url + "/token"
        return user_credentials.Credentials(
            None, refresh_token, token_uri=token_uri, client_id="c", client_secret="s"
        )

    signed_in = person("good-refresh-token")
    signed_in.refresh(google.auth.transport.requests.Request())
    assert signed_in.token
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        person("revoked").refresh(google.auth.transport.requests.Request())


def test_row_metadata_follows_inserted_rows_and_fields_trim_answers(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Meta", {"Leads": [["ID"], ["L-1"], ["L-2"]]})
    book = tab(standin, spreadsheet_id).spreadsheet
    row = {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}

    def create(key: str, location: dict[str, Any]) -> dict[str, Any]:
        made = {"metadataKey": key, "metadataValue": "1", "location": location}
        return {"createDeveloperMetadata": {"developerMetadata": made | {"visibility": "DOCUMENT"}}}

    book.batch_update({"requests": [create("lead", row), create("schema", {"spreadsheet": True})]})
    standin.insert_rows(spreadsheet_id, "Leads", 2, [["L-0"]])
    lead = next(m for m in standin.developer_metadata(spreadsheet_id) if m["metadataKey"] == "lead")
    moved = {"sheetId": 0, "dimension": "ROWS", "startIndex": 3, "endIndex": 4}
    assert lead["location"] == {"locationType": "ROW", "dimensionRange": moved}

    mask = "properties(timeZone,locale),sheets.properties,developerMetadata"
    answer = book.fetch_sheet_metadata({"fields": mask})
    assert answer["properties"] == {"locale": "en_US", "timeZone": "Etc/GMT"}
    assert answer["sheets"] == [{"properties": standin.sheet_properties(spreadsheet_id, "Leads")}]
    assert [m["metadataKey"] for m in answer["developerMetadata"]] == ["schema"]
    book.batch_update({"requests": [{"deleteDimension": {"range": moved}}]})
    assert [m["metadataKey"] for m in standin.developer_metadata(spreadsheet_id)] == ["schema"]


def test_batch_update_can_answer_with_the_updated_grid(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Grid", {"Leads": [["ID"], ["L-1"]]})
    book = tab(standin, spreadsheet_id).spreadsheet

    def cell(row: int, col: int) -> dict[str, int]:
        return dict(
            startRowIndex=row, endRowIndex=row + 1, startColumnIndex=col, endColumnIndex=col + 1
        )

    struck = {"userEnteredFormat": {"textFormat": {"strikethrough": True}}}
    strike = {"range": cell(1, 0), "cell": struck, "fields": "userEnteredFormat.textFormat"}
    formula = {
        "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 1},
        "rows": [{"values": [{"userEnteredValue": {"formulaValue": "=1+1"}}]}],
        "fields": "userEnteredValue",
    }
    rule = {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "+"}]}}
    validate = {"range": cell(1, 2), "rule": rule | {"strict": True, "showCustomUi": False}}
    requests_ = [{"repeatCell": strike}, {"updateCells": formula}, {"setDataValidation": validate}]
    answer = book.batch_update(
        {"requests": requests_, "includeSpreadsheetInResponse": True}
        | {"responseRanges": ["Leads!A2:B2"], "responseIncludeGridData": True}
    )
    cells = answer["updatedSpreadsheet"]["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[0]["userEnteredFormat"] == struck["userEnteredFormat"]
    shown = [cells[1][k] for k in ("userEnteredValue", "effectiveValue", "formattedValue")]
    assert shown == [{"formulaValue": "=1+1"}, {"numberValue": 2}, "2"]
    assert standin.cell_format(spreadsheet_id, "Leads", "A2") == struck["userEnteredFormat"]
    assert standin.validation(spreadsheet_id, "Leads", "C2") == rule | {"strict": True}


def test_bad_requests_are_answered_in_googles_words(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Bad", {"Leads": []})
    api = http(standin)
    url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1"
    raw = {"valueInputOption": "RAW"}
    not_json = api.put(
        url, params=raw, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert not_json.json()["error"]["message"].startswith("Invalid JSON payload received.")
    not_rows = api.put(url, params=raw, json={"values": "X"}).json()["error"]
    expected = (
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    )
    assert (not_rows["code"], not_rows["message"]) == (400, expected)
    no_option = api.put(url, json={"values": [["x"]]}).json()["error"]["message"]
    assert no_option == "'valueInputOption' is required but not specified"


def test_every_call_is_logged_with_its_bytes_over_one_connection(standin: StandIn) -> None:
    spreadsheet_id = standin.create_spreadsheet("Log", {"Leads": [["a"]]})
    api = http(standin)
    url = f"{SHEETS}/{spreadsheet_id}/values/Leads!A1"
    standin.clear_log()
    read = api.get(url)
    write = api.put(url, params={"valueInputOption": "RAW"}, json={"values": [["b"]]})
    calls = [(e.method, e.status, e.user) for e in standin.log]
    assert calls == [("GET", 200, ANN), ("PUT", 200, ANN)]
    assert standin.log[0].response_bytes == len(read.content)
    assert standin.log[1].request_bytes == len(write.request.body or b"")
    assert standin.token_log == []
    pools = api.get_adapter(standin.url).poolmanager.pools
    (only,) = pools.keys()  # one host, and on it one connection kept alive
    assert pools[only].num_connections == 1


def test_told_to_keep_bodies_the_log_holds_each_answer_as_sent() -> None:
    with StandIn(keep_bodies=True) as kept:
        spreadsheet_id = kept.create_spreadsheet("Bodies", {"Leads": [["a", 2]]}, shared_with=[ANN])
        api = http(kept)
        read = api.get(f"{SHEETS}/{spreadsheet_id}/values/Leads!A1:B1")
        missing = api.get(f"{SHEETS}/nope/values/Leads!A1")
        assert [e.response_body for e in kept.log] == [read.content, missing.content]
        assert read.json()["values"] == [["a", "2"]]
    with StandIn() as plain:  # by default the log keeps sizes only
        spreadsheet_id = plain.create_spreadsheet("Bodies", {"Leads": [["a"]]}, shared_with=[ANN])
        http(plain).get(f"{SHEETS}/{spreadsheet_id}/values/Leads!A1")
        assert [e.status for e in plain.log] == [200]
        assert [e.response_body for e in plain.log] == [b""]
