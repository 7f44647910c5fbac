"""One pass at a time on a Google tracker: a lease written into the tracker itself.

The lease is a developer metadata entry of the tracker spreadsheet with a fixed ID, holding its
owner's random token and the time it expires. Google keeps developer metadata IDs unique in a
spreadsheet, which makes "create it with this ID" an atomic take-if-free: of two runners, the
second is refused. Taking over an expired lease deletes the entry by its exact old value and
creates the new one in the same (atomic) batchUpdate, so of two runners taking over the same
stale lease only one succeeds. A runner that crashes leaves a lease that simply expires.

The lease spares the spreadsheet two passes' worth of work at once; exactly-once never depends
on it (see google_write: a pass that overlaps another anyway still writes each lead once).
"""

from __future__ import annotations

import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync import leases
from sync.errors import BackendError, RequestRejected, RetryPass
from sync.google_client import SheetsClient
from sync.google_write import CLAIM_BASE, create_metadata, delete_metadata

LEASE_ID = CLAIM_BASE - 1  # below every lead-number claim
LEASE_KEY = "leadsync.lease"
LEASE_SECONDS = 300.0  # a pass takes seconds; a crashed runner blocks for at most this long
# Costs: 2 requests a pass (take, give back) when the lease is free, as it nearly always is.
WAIT_SECONDS = 120.0  # as long as the Excel path waits for its file lock
POLL_SECONDS = 5.0  # each look costs one read request of the per-minute quota
REPLY = "spreadsheetId"  # the reply's content is not needed, only whether it succeeded


class LeaseHeld(BackendError):
    """Another runner holds the tracker's lease and did not let go within the wait."""


@dataclass(frozen=True)
class Lease:
    owner: str  # a random token of the runner, nothing about the person or machine
    until: float  # expiry, seconds since the epoch

    def value(self) -> str:
        return json.dumps({"owner": self.owner, "until": self.until}, sort_keys=True)

    @staticmethod
    def parse(value: str) -> Lease | None:
        try:
            data = json.loads(value)
            return Lease(str(data["owner"]), float(data["until"]))
        except (ValueError, TypeError, KeyError):
            return None  # not ours to read: treated as expired, and replaced


def lease_of(metadata: list[dict[str, Any]]) -> Lease | None:
    """The lease a tracker's developer metadata holds, expired or not (for `leadsync status`)."""
    raw = _entry(metadata)
    return Lease.parse(raw) if raw is not None else None


def _entry(metadata: list[dict[str, Any]]) -> str | None:
    for item in metadata:
        if item.get("metadataId") == LEASE_ID:
            return str(item.get("metadataValue", ""))
    return None


# Leases this process keeps between passes, by tracker (see GoogleLease's `keep`).
_HELD: dict[str, Lease] = {}


def _key(spreadsheet: str) -> str:
    return f"google:{spreadsheet}"


def _give_back(client: SheetsClient, spreadsheet: str, value: str) -> None:
    request = delete_metadata(LEASE_ID, value)
    client.batch_update(spreadsheet, {"requests": [request]}, fields=REPLY)
    _HELD.pop(spreadsheet, None)


class GoogleLease:
    def __init__(
        self,
        client: SheetsClient,
        spreadsheet: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        seconds: float | None = None,
        wait: float | None = None,
        keep: bool = False,
    ) -> None:
        """`seconds`: how long a lease lasts; `wait`: how long to wait for a held one; `keep`:
        release() keeps the lease for this process's next pass, which renews it with one
        request (sync/leases.py gives it back when the process stops)."""
        self.keep = keep
        self.client = client
        self.spreadsheet = spreadsheet
        self.clock = clock
        self.sleep = sleep
        # Looked up now, not at import, so a deployment (or a test) can change them.
        self.seconds = LEASE_SECONDS if seconds is None else seconds
        self.wait = WAIT_SECONDS if wait is None else wait
        self.owner = secrets.token_hex(8)
        self.held: Lease | None = None

    def _current(self) -> str | None:
        meta = self.client.metadata(self.spreadsheet, "developerMetadata")
        return _entry(meta.get("developerMetadata", []))

    def acquire(self) -> None:
        deadline = self.clock() + self.wait
        kept = _HELD.pop(self.spreadsheet, None) if self.keep else None
        if kept is not None:
            leases.forget(_key(self.spreadsheet))
            self.owner = kept.owner
            renewed = Lease(self.owner, self.clock() + self.seconds)
            if self._take(kept.value(), renewed):
                self.held = renewed
                return
        # Mostly the lease is free (the last runner gave it back): one create, with no look
        # first, takes it. Only when that is refused is it worth reading who holds it.
        first = Lease(self.owner, self.clock() + self.seconds)
        if self._take(None, first):
            self.held = first
            return
        while True:
            raw = self._current()
            now = self.clock()
            current = Lease.parse(raw) if raw is not None else None
            if current is not None and current.owner == self.owner:
                self.held = current  # an earlier try that Google did not confirm got it
                return
            if current is None or current.until <= now:
                mine = Lease(self.owner, now + self.seconds)
                if self._take(raw, mine):
                    self.held = mine
                    return
            elif now >= deadline:
                moment = datetime.fromtimestamp(current.until, UTC).strftime("%H:%M:%S UTC")
                raise LeaseHeld(
                    f"another leadsync pass is working on tracker {self.spreadsheet} (its lease "
                    f"runs until {moment}); this pass waited {self.wait:.0f} s and stopped "
                    "without writing. It will be done by the next run."
                )
            # Spread out, so runners that wait together do not all look at the same moment.
            self.sleep(min(POLL_SECONDS * random.uniform(0.5, 1.5), max(deadline - now, 0.1)))

    def _take(self, old: str | None, mine: Lease) -> bool:
        requests: list[dict[str, Any]] = []
        if old is not None:
            requests.append(delete_metadata(LEASE_ID, old))
        requests.append(create_metadata(LEASE_ID, LEASE_KEY, mine.value()))
        try:
            self.client.batch_update(self.spreadsheet, {"requests": requests}, fields=REPLY)
        except RequestRejected:
            return False  # the ID was taken meanwhile: someone else holds it now
        except RetryPass:
            return False  # unknown: the next look tells (it may be ours)
        return True

    def release(self) -> None:
        """Let go early (or keep it for the next pass); if this fails the lease expires."""
        if self.held is None:
            return
        if self.keep:
            _HELD[self.spreadsheet] = self.held
            client, spreadsheet, value = self.client, self.spreadsheet, self.held.value()
            leases.keep(_key(spreadsheet), lambda: _give_back(client, spreadsheet, value))
            self.held = None
            return
        try:
            _give_back(self.client, self.spreadsheet, self.held.value())
        except BackendError:
            pass
        finally:
            self.held = None


def current_lease(client: SheetsClient, spreadsheet: str) -> Lease | None:
    """The tracker's lease as it stands (for `leadsync status`); one read request."""
    meta = client.metadata(spreadsheet, "developerMetadata")
    return lease_of(meta.get("developerMetadata", []))
