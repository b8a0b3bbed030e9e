"""Partition leases in a JetStream key-value bucket: which central instance consumes which
partition. No consensus of our own: the bucket is Raft-replicated by NATS, and every
change is a revision-checked write.

- ``park_members``: one key per live instance, rewritten every step; the bucket's TTL
  removes an instance that stopped writing (crashed, cut off).
- ``park_leases``: key ``p<N>`` holds the owning instance. ``create`` takes a free one
  (refused if somebody holds it), ``update(last=revision)`` renews it (refused if it was
  lost meanwhile), ``delete(last=revision)`` gives one back. The bucket's TTL frees the
  leases of an instance that stopped renewing: a survivor takes them at its next step.

Each instance aims at its fair share, ceil(partitions / live instances), and gives back
what is above it, so a new instance gets work and a dead one's share moves within about
``ttl`` + one step.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Awaitable, Callable

import nats
from nats.js import JetStreamContext
from nats.js.errors import (
    BadRequestError,
    BucketNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
)
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)

MEMBERS = "park_members"
LEASES = "park_leases"

OnChange = Callable[[int], Awaitable[None]]


async def bucket(js: JetStreamContext, name: str, *, ttl: float | None, replicas: int) -> KeyValue:
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        pass
    try:
        return await js.create_key_value(bucket=name, history=1, ttl=ttl, replicas=replicas)
    except BadRequestError:
        # Another instance created it between our look and our create: use theirs.
        return await js.key_value(name)


class Leases:
    def __init__(self, js: JetStreamContext, instance: str, partitions: int, ttl: float,
                 replicas: int) -> None:
        self._js = js
        self.instance = instance
        self.partitions = partitions
        self.ttl = ttl
        self._replicas = replicas
        self._members: KeyValue | None = None
        self._leases: KeyValue | None = None
        self.owned: dict[int, int] = {}  # partition -> revision of our lease
        self.members = 1

    async def open(self) -> None:
        self._members = await bucket(self._js, MEMBERS, ttl=self.ttl, replicas=self._replicas)
        self._leases = await bucket(self._js, LEASES, ttl=self.ttl, replicas=self._replicas)

    async def step(self, gained: OnChange, lost: OnChange) -> None:
        """One round: announce ourselves, renew, give back above the share, claim free."""
        members, leases = self._members, self._leases
        assert members is not None and leases is not None
        me = self.instance.encode()
        await members.put(self.instance, me)
        # One message per live member (history 1; the TTL removes the silent ones): the
        # stream's message count, without the consumer that listing the keys would create.
        info = await self._js.stream_info(f"KV_{MEMBERS}")
        self.members = max(1, info.state.messages)
        share = math.ceil(self.partitions / self.members)

        for partition, revision in list(self.owned.items()):
            try:
                self.owned[partition] = await leases.update(f"p{partition}", me, last=revision)
            except (KeyWrongLastSequenceError, NotFoundError):
                log.warning("%s: lost the lease of partition %d", self.instance, partition)
                del self.owned[partition]
                await lost(partition)

        while len(self.owned) > share:
            partition = max(self.owned)
            revision = self.owned.pop(partition)
            await lost(partition)
            with contextlib.suppress(KeyWrongLastSequenceError, NotFoundError):
                await leases.delete(f"p{partition}", last=revision)  # gone already: fine
            log.info("%s: gave back partition %d (share %d)", self.instance, partition, share)

        for partition in range(self.partitions):
            if len(self.owned) >= share:
                break
            if partition in self.owned:
                continue
            try:
                self.owned[partition] = await leases.create(f"p{partition}", me)
            except KeyWrongLastSequenceError:
                continue  # held by another instance
            log.info("%s: took partition %d", self.instance, partition)
            await gained(partition)

    async def release_all(self) -> None:
        """On a clean stop: give every lease back so survivors take them at once."""
        leases, members = self._leases, self._members
        if leases is None or members is None:
            return
        for partition, revision in list(self.owned.items()):
            with contextlib.suppress(nats.errors.Error, OSError):  # the TTL frees it anyway
                await leases.delete(f"p{partition}", last=revision)
        self.owned.clear()
        # The member key is left to expire: a delete marker would count as a member.
