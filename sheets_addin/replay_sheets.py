"""Replay protection that holds across replicas on any number of hosts: the spreadsheet keeps it.

Every replica of `leadsync serve` already talks to the spreadsheet a call names, so an accepted
request ID is recorded there: a developer metadata entry (spreadsheet-wide, key
`leadsync.replay`) whose metadataId is derived from the request ID. Google keeps metadata IDs
unique in a spreadsheet and refuses to create an entry whose ID is taken, so "create it" is an
atomic first-wins, on whatever replica and host a call reaches, as the tracker's lease relies
on (sync/google_lease.py). The replay of an accepted call fails to create it and gets 401.

- **IDs**: SHA-256 of the request ID, into 1 .. LEASE_ID - 1, below the lease and every
  lead-number claim. An ID already held by another request's entry, or by metadata someone
  else made, is no replay: the entry holds the request ID, so on a refusal the spreadsheet is
  read and the next derived ID (up to PROBES) is tried.
- **Unconfirmed writes**: each record carries a random nonce. When Google does not confirm the
  create (5xx, a lost connection), the entry is looked up: this attempt's nonce means it landed.
- **Fail closed**: when the spreadsheet cannot be written or read (Google down, quota, the
  spreadsheet not shared), ReplayUnavailable: serve answers 503 and runs no pass, since an
  unrecorded request could be replayed.
- **Expiry**: an ID matters only while its timestamp could be accepted (signing.MAX_SKEW either
  way). Entries are swept, by ID and exact value, when older than KEEP_SECONDS: at most once
  every SWEEP_EVERY seconds per spreadsheet and process, after an accepted call (one read, and
  one write when there is something to delete). A failed sweep is retried by the next one.

Cost: one write request per accepted call (the create); a replay costs one refused write and one
read; the sweep one read (and mostly one write) per five minutes of traffic. Refusals for
signature, identity or rate never reach the store, so they cost no request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sheets_addin.guards import ReplayUnavailable
from sheets_addin.settings import Tracker
from sheets_addin.signing import MAX_SKEW
from sync.errors import LeadsyncError, RequestRejected, RetryPass
from sync.google_auth import load_credentials, who
from sync.google_client import SheetsClient
from sync.google_lease import LEASE_ID
from sync.google_write import create_metadata, delete_metadata
from sync.retry import Backoff

log = logging.getLogger("leadsync.serve")

REPLAY_KEY = "leadsync.replay"
PROBES = 3  # derived IDs tried when others' entries hold the first ones
TRIES = 5  # create attempts in all (a write Google did not confirm is sent again)
# Entries are recorded with the recording replica's clock; twice the signature's allowance,
# plus as much again for clocks of replicas that disagree.
KEEP_SECONDS = 3 * MAX_SKEW
SWEEP_EVERY = float(MAX_SKEW)
REPLY = "spreadsheetId"  # the reply's content is not needed, only whether it succeeded

ClientFor = Callable[[str], SheetsClient]


def metadata_id(request_id: str, probe: int = 0) -> int:
    """The metadataId a request ID is recorded under, on its `probe`-th try."""
    digest = hashlib.sha256(f"{probe}:{request_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (LEASE_ID - 1) + 1


@dataclass(frozen=True)
class Record:
    request_id: str
    at: float  # seconds since the epoch, the recording replica's clock
    nonce: str  # this attempt's, to know our own create when Google did not confirm it

    def value(self) -> str:
        return json.dumps({"at": self.at, "id": self.request_id, "nonce": self.nonce})

    @staticmethod
    def parse(value: str) -> Record | None:
        try:
            data = json.loads(value)
            return Record(str(data["id"]), float(data["at"]), str(data["nonce"]))
        except (ValueError, TypeError, KeyError):
            return None


class SheetsReplayStore:
    """ReplayStore on the spreadsheets themselves (see the module docstring)."""

    def __init__(
        self,
        client_for: ClientFor,
        keep: float = KEEP_SECONDS,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.client_for = client_for
        self.keep = keep
        self.sweep_every = sweep_every
        self._swept: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, spreadsheet: str, request_id: str, now: float) -> bool:
        mine = Record(request_id, now, secrets.token_hex(8))
        try:
            client = self.client_for(spreadsheet)
            first = self._record(client, spreadsheet, mine)
        except LeadsyncError as error:
            log.error("replay record for %s failed: %s", spreadsheet, type(error).__name__)
            raise ReplayUnavailable(
                "could not record this request in Google Sheets; try again shortly"
            ) from None
        if first and self._sweep_due(spreadsheet, now):
            self.sweep(client, spreadsheet, now)
        return first

    def _record(self, client: SheetsClient, spreadsheet: str, mine: Record) -> bool:
        probe = 0
        for _ in range(TRIES):
            number = metadata_id(mine.request_id, probe)
            create = create_metadata(number, REPLAY_KEY, mine.value())
            try:
                client.batch_update(spreadsheet, {"requests": [create]}, fields=REPLY)
                return True
            except RequestRejected:
                refused = True  # the ID is taken: by this request before, or by another entry
            except RetryPass:
                refused = False  # Google did not confirm it: it may have landed
            taken, held = _held(client, spreadsheet, number)
            if held is not None and held.request_id == mine.request_id:
                return held.nonce == mine.nonce
            if refused or taken:
                probe += 1
                if probe == PROBES:
                    break
        raise ReplayUnavailable("the request could not be recorded")

    def _sweep_due(self, spreadsheet: str, now: float) -> bool:
        with self._lock:
            if now - self._swept.get(spreadsheet, -math.inf) < self.sweep_every:
                return False
            self._swept[spreadsheet] = now
            return True

    def sweep(self, client: SheetsClient, spreadsheet: str, now: float) -> int:
        """Delete the entries older than `keep`; how many were asked to go (0 on failure)."""
        try:
            meta = client.metadata(spreadsheet, "developerMetadata")
            stale = [
                delete_metadata(int(entry["metadataId"]), str(entry.get("metadataValue", "")))
                for entry in meta.get("developerMetadata", [])
                if entry.get("metadataKey") == REPLAY_KEY and _expired(entry, now - self.keep)
            ]
            if stale:
                client.batch_update(spreadsheet, {"requests": stale}, fields=REPLY)
        except LeadsyncError as error:
            # Another replica may have swept the same entries first; the next sweep tries again.
            log.info("replay sweep of %s skipped: %s", spreadsheet, type(error).__name__)
            return 0
        return len(stale)


def _expired(entry: dict[str, Any], before: float) -> bool:
    record = Record.parse(str(entry.get("metadataValue", "")))
    return record is None or record.at < before


def _held(client: SheetsClient, spreadsheet: str, number: int) -> tuple[bool, Record | None]:
    """Whether a spreadsheet-wide entry has this ID, and the replay record it holds if any."""
    meta = client.metadata(spreadsheet, "developerMetadata")
    for entry in meta.get("developerMetadata", []):
        if entry.get("metadataId") == number:
            if entry.get("metadataKey") != REPLAY_KEY:
                return True, None
            return True, Record.parse(str(entry.get("metadataValue", "")))
    return False, None


def quick_backoff() -> Backoff:
    """A call waits for its record: a few quick retries, then 503, not a pass's long backoff."""
    return Backoff(attempts=3, base=0.25, cap=2.0)


def tracker_clients(trackers: dict[str, Tracker]) -> ClientFor:
    """Sheets clients by spreadsheet, with the credentials of its tracker's leadsync.toml (the
    account the engine writes that spreadsheet with), made once and kept."""
    made: dict[str, SheetsClient] = {}
    lock = threading.Lock()

    def client_for(spreadsheet: str) -> SheetsClient:
        with lock:
            if spreadsheet not in made:
                config = trackers[spreadsheet].config
                credentials = load_credentials(config.resolve_optional_credentials(), write=True)
                made[spreadsheet] = SheetsClient(credentials, who(credentials), quick_backoff())
            return made[spreadsheet]

    return client_for
