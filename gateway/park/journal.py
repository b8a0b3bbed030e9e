"""The park journal: one entry per park alarm in the ``park_journal`` key-value bucket
(R3, like the other buckets), written by every central instance, each fact exactly once.

Every instance computes the same park alarms from the same streams, so every instance
may write the same entry. The bucket's revision check makes that safe without an owner:
a raise is a ``create`` (only the first succeeds; the loser reads the winner's entry),
and every later fact is an ``update(last=revision)`` of ``merge(stored, mine)``, which
keeps every fact already stored. A writer that lost a race reads again and merges again;
a writer whose merge adds nothing writes nothing. So a raise, an officer's record, an
enterprise's acknowledgement and a clearing are each stored once, whoever saw them first,
and a central instance that restarts (and raises its alarms anew) only adds what is new.

The revision check is not enough on its own with nats-server 2.9 in a cluster: it is a
pre-check outside the Raft proposal, so two updates in flight with the same expected
revision may both be accepted, the later one overwriting the earlier one's fact
(nats-server#4320, measured here in tests/gateway/park/test_park_journal_races.py). Hence
the mirror holds the bucket's word exactly, and every instance compares what it knows with
it at every tick: a fact lost that way is missing from the mirror and written again, so the
journal converges within a tick or two while any instance still knows the fact (every
instance knows every fact: responses through ``park_calls``, acknowledgements through the
heartbeats, raises and clearings by the same rules).

The keys are a hash of the alarm id (alarm ids hold points' tags, and a bucket key allows
only letters, digits and ``-_=./``); the id itself is in the entry. Every instance keeps
a mirror of the bucket (a watch from its beginning) for the ledger and the shift report.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

import nats
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from collectors.backoff import backoff_delays
from collectors.cancelling import honour_cancel
from dashboard.park import JournalEntry
from dashboard.parkledger import entry_from_json, entry_to_json, merge

log = logging.getLogger(__name__)

BUCKET = "park_journal"
KEEP = 400 * 86400.0  # an entry lives this long after its last write (a year's reports)
TRIES = 10  # read-merge-write rounds before a write is left to the next tick


class JournalConflict(Exception):
    """Every round lost a race: another writer kept changing the entry."""


def journal_key(alarm_id: str) -> str:
    return "a." + hashlib.sha256(alarm_id.encode()).hexdigest()[:40]


def _encode(entry: JournalEntry) -> bytes:
    return json.dumps(entry_to_json(entry), ensure_ascii=False).encode()


def _decode(value: bytes) -> JournalEntry:
    return entry_from_json(json.loads(value))


class ParkJournal:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv
        self.entries: dict[str, JournalEntry] = {}  # the bucket as this instance last saw it
        self.writes = 0  # creates and updates that succeeded (for the tests)
        self.conflicts = 0  # rounds lost to another writer
        self.loaded = asyncio.Event()  # the mirror holds what the bucket held at the start

    def needs(self, entry: JournalEntry) -> bool:
        """Whether ``entry`` brings a fact the journal (as last seen) does not hold."""
        known = self.entries.get(entry.id)
        return merge(known, entry) != known

    async def record(self, entry: JournalEntry) -> JournalEntry:
        """Add what ``entry`` knows to the journal; returns the entry as stored."""
        key = journal_key(entry.id)
        for _ in range(TRIES):
            try:
                stored = await self._kv.get(key)
            except KeyNotFoundError:
                stored = None
            if stored is None or stored.value is None:
                try:
                    await self._kv.create(key, _encode(entry))
                except KeyWrongLastSequenceError:
                    self.conflicts += 1  # another instance raised it first: merge into theirs
                    continue
                self.writes += 1
                self.entries[entry.id] = entry
                return entry
            old = _decode(stored.value)
            merged = merge(old, entry)
            if merged != old:
                try:
                    await self._kv.update(key, _encode(merged), last=stored.revision)
                except KeyWrongLastSequenceError:
                    self.conflicts += 1
                    continue
                self.writes += 1
            self.entries[entry.id] = merged
            return merged
        raise JournalConflict(f"{entry.id}: {TRIES} rounds lost to other writers")

    async def follow(self) -> None:
        """Mirror the bucket, from its first entry on, for as long as the instance runs. A
        watch that fails (a node gone, the bucket's leader moving) is made again after a
        pause; the new one delivers every entry again, which merging makes harmless."""
        delays = backoff_delays(initial=0.5, cap=5.0)
        while True:
            honour_cancel()
            try:
                watcher = await self._kv.watchall()
                async for item in watcher:
                    self._apply(item)
            except (nats.errors.Error, OSError) as exc:
                log.warning("%s: the watch failed (%r); watching again", BUCKET, exc)
            await asyncio.sleep(next(delays))

    def _apply(self, item: KeyValue.Entry | None) -> None:
        if item is None:
            self.loaded.set()  # the end of the entries present when the watch began
            return
        if item.value is None:
            return
        try:
            entry = _decode(item.value)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("%s/%s: not a journal entry: %s", BUCKET, item.key, exc)
            return
        # The bucket's word, not merged with ours: a fact of ours that a racing write lost
        # must show as missing here, so that the next tick writes it again.
        self.entries[entry.id] = entry
