"""`leadsync serve`: the HTTP service the Google Sheets add-in calls (an ASGI app, Starlette).

    GET  /healthz       -> 200 {"ok": true}
    POST /v1/sync       {"spreadsheet": ID, "request_id": "…"}
    POST /v1/convert    {"spreadsheet": ID, "rows": [12, 13], "tab": "Prospects", "request_id": "…"}
    POST /v1/strike     same as convert

`tab` is optional when the spreadsheet has one prospect tab in its leadsync.toml; `request_id`
is optional and, when given, must equal the X-Leadsync-Request-Id header. Every /v1 call is
signed (sheets_addin/signing.py). Answers are JSON: 200 with the pass's counts, its problems
as row references (never cell contents) and, for convert/strike, the rows marked and skipped;
otherwise {"ok": false, "error": "short message"} with 400 (bad request), 401 (signature,
timestamp or replay), 403 (spreadsheet not in serve.toml), 409 (tracker busy), 413 (body too
large), 429 (rate limit, with Retry-After), 500/502 (configuration or Google trouble), 503 (the
request ID could not be recorded, so no pass runs).

Checks run in this order: size, JSON shape, known spreadsheet (403: its secret is needed to
check anything else), signature and timestamp (401), the caller's identity token when serve.toml
has an [identity] section (401, or 403 for an account not allowed), rate limit (429), replay
(401). The rate limit comes before the replay record so that a call refused for rate costs no
Sheets request (with `replay = "sheets"` the record is a write). Nothing of a body, header value
or secret is logged; log lines name the spreadsheet, the action and the outcome.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sheets_addin.guards import RateLimiter, ReplayStore, ReplayUnavailable, SqliteReplayStore
from sheets_addin.identity import IdentityRefused, check_identity
from sheets_addin.passes import FLAGS, Busy, Marks, Outcome, PassRunner, Refused, prospect_tab
from sheets_addin.replay_sheets import SheetsReplayStore, tracker_clients
from sheets_addin.settings import ServeSettings
from sheets_addin.signing import Unauthorized, verify
from sync import leases
from sync.config import Config
from sync.errors import BackendError, ConfigError, LeadsyncError, SheetLayoutError
from sync.google_lease import LeaseHeld

log = logging.getLogger("leadsync.serve")
MAX_BODY = 64 * 1024
MAX_ROWS = 1000

Runner = Callable[[Config, Marks | None], Outcome]


class CallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spreadsheet: str = Field(min_length=1, max_length=200)
    rows: list[int] | None = Field(default=None, max_length=MAX_ROWS)
    tab: str | None = Field(default=None, min_length=1, max_length=200)
    request_id: str | None = None


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)


def replay_store(settings: ServeSettings) -> ReplayStore:
    """The store serve.toml's `replay` names (see sheets_addin/guards.py)."""
    if settings.replay == "sqlite":
        return SqliteReplayStore(settings.replay_db)
    return SheetsReplayStore(tracker_clients(settings.trackers))


def create_app(
    settings: ServeSettings,
    *,
    replay: ReplayStore | None = None,
    limiter: RateLimiter | None = None,
    runner: Runner | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    seen = replay or replay_store(settings)
    bucket = limiter or RateLimiter()
    passes: Runner = runner or PassRunner()

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def call(request: Request) -> JSONResponse:
        action = request.url.path.rsplit("/", 1)[-1]
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "body too large")
        try:
            parsed = CallBody.model_validate_json(body)
        except ValidationError:
            return _error(400, "body must be JSON: {spreadsheet, rows?, tab?, request_id?}")
        tracker = settings.trackers.get(parsed.spreadsheet)
        if tracker is None:
            log.warning("refused %s: spreadsheet not configured", action)
            return _error(403, "spreadsheet not configured on this server")
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            request_id = verify(
                tracker.secret.get_secret_value(),
                request.method,
                request.url.path,
                headers,
                body,
                clock(),
            )
        except Unauthorized as error:
            log.warning("refused %s for %s: %s", action, parsed.spreadsheet, error)
            return _error(401, str(error))
        if parsed.request_id is not None and parsed.request_id != request_id:
            return _error(400, "request_id differs from the X-Leadsync-Request-Id header")
        if settings.identity is not None:
            wanted = settings.identity
            try:
                await run_in_threadpool(
                    check_identity,
                    headers.get("authorization"),
                    wanted.audience,
                    wanted.allowed_emails,
                    wanted.certs_url,
                )
            except IdentityRefused as error:
                log.warning("refused %s for %s: %s", action, parsed.spreadsheet, error)
                return _error(error.status, str(error))
        wait = bucket.take(parsed.spreadsheet)
        if wait > 0:
            retry = str(max(1, int(wait + 0.999)))
            return _error(429, "too many calls for this spreadsheet", {"Retry-After": retry})
        try:
            first = await run_in_threadpool(
                seen.first_time, parsed.spreadsheet, request_id, clock()
            )
        except ReplayUnavailable:
            log.error("refused %s for %s: request id not recorded", action, parsed.spreadsheet)
            return _error(
                503,
                "could not record this request in Google Sheets; try again shortly",
                {"Retry-After": "30"},
            )
        if not first:
            log.warning("refused %s for %s: replayed request id", action, parsed.spreadsheet)
            return _error(401, "request id already used")
        marks: Marks | None = None
        if action in FLAGS:
            if not parsed.rows:
                return _error(400, "rows: give the prospect row numbers")
            try:
                tab = prospect_tab(tracker.config, parsed.spreadsheet, parsed.tab)
            except Refused as error:
                return _error(400, str(error))
            rows = tuple(dict.fromkeys(parsed.rows))
            marks = Marks(parsed.spreadsheet, tab, rows, FLAGS[action])
        elif parsed.rows is not None or parsed.tab is not None:
            return _error(400, "rows and tab are for convert and strike only")
        try:
            outcome = await run_in_threadpool(passes, tracker.config, marks)
        except Refused as error:
            return _error(400, str(error))
        except (Busy, LeaseHeld):
            log.info("%s for %s: tracker busy", action, parsed.spreadsheet)
            return _error(409, "another pass is working on this tracker; try again shortly")
        except (ConfigError, SheetLayoutError) as error:
            log.error("%s for %s stopped: %s", action, parsed.spreadsheet, type(error).__name__)
            return _error(
                500,
                "the tracker's configuration or layout needs fixing; run "
                "leadsync doctor on the server",
            )
        except BackendError as error:
            log.error("%s for %s stopped: %s", action, parsed.spreadsheet, type(error).__name__)
            return _error(502, "Google Sheets could not be read or written; try again later")
        except LeadsyncError as error:
            log.error("%s for %s stopped: %s", action, parsed.spreadsheet, type(error).__name__)
            return _error(500, "the pass stopped; see the server's log")
        answer: dict[str, Any] = outcome.answer()
        answer["action"] = action
        answer["request_id"] = request_id
        counts = json.dumps(answer["counts"], sort_keys=True)
        log.info("%s for %s: ok %s", action, parsed.spreadsheet, counts)
        return JSONResponse(answer)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            leases.release_all()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/sync", call, methods=["POST"]),
        Route("/v1/convert", call, methods=["POST"]),
        Route("/v1/strike", call, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
