"""The in-memory state of one mock: keys and aliases per account and region, one clock.

``Backend.region(account, region)`` returns the ``RegionBackend`` holding that account's
resources in that region, creating it on first use.
"""

from __future__ import annotations

import heapq
import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_kms.core.clock import Clock
from mock_kms.core.errors import InvalidArnException, NotFoundException
from mock_kms.core.keys import Key, partition_for

KEY_ID_RE = re.compile(r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)$")


@dataclass(eq=False)
class Alias:
    name: str  # "alias/…"
    target_key_id: str
    arn: str
    creation_date: datetime
    last_updated_date: datetime


@dataclass(eq=False)
class RegionBackend:
    """One account's KMS resources in one region."""

    account: str
    region: str
    keys: dict[str, Key] = field(default_factory=dict)
    aliases: dict[str, Alias] = field(default_factory=dict)
    # Extension slots for later features (custom key stores, …).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return partition_for(self.region)

    def key_arn(self, key_id: str) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{key_id}"

    def alias_arn(self, name: str) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:{name}"

    def aliases_of(self, key_id: str) -> list[Alias]:
        return [alias for alias in self.aliases.values() if alias.target_key_id == key_id]

    def remove_key(self, key_id: str) -> None:
        """Delete a key for good, with the aliases that point to it."""
        self.keys.pop(key_id, None)
        for alias in self.aliases_of(key_id):
            del self.aliases[alias.name]


class Backend:
    """All state of one mock activation. One re-entrant lock serializes requests."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self._regions: dict[tuple[str, str], RegionBackend] = {}
        self._events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._event_seq = itertools.count()
        # Hooks and feature state (``add_hook``/``hooks``; e.g. "missing_alias_resolver").
        self.extras: dict[str, Any] = {}

    def region(self, account: str, region: str) -> RegionBackend:
        backend = self._regions.get((account, region))
        if backend is None:
            backend = self._regions[(account, region)] = RegionBackend(account, region)
        return backend

    def regions(self) -> list[RegionBackend]:
        return list(self._regions.values())

    # -- hooks ------------------------------------------------------------------------
    def add_hook(self, name: str, hook: Callable[..., Any]) -> None:
        """Register one more callback under ``extras[name]``, keeping those registered before.

        ``extras[name]`` becomes a list; a single callable put there directly is kept in it.
        """
        existing = self.extras.get(name)
        if existing is None:
            self.extras[name] = [hook]
        elif isinstance(existing, list):
            existing.append(hook)
        else:
            self.extras[name] = [existing, hook]

    def hooks(self, name: str) -> list[Callable[..., Any]]:
        """The callbacks registered under ``extras[name]`` (a list or a single callable)."""
        existing = self.extras.get(name)
        if existing is None:
            return []
        return list(existing) if isinstance(existing, list) else [existing]

    # -- time -------------------------------------------------------------------------
    def schedule(self, when: datetime, action: Callable[[datetime], None]) -> None:
        """Run ``action(now)`` on the first request at or after ``when``.

        Actions must re-check that they still apply (a cancelled deletion leaves its
        event in the queue; the action sees the key is no longer pending and does nothing).
        """
        heapq.heappush(self._events, (when, next(self._event_seq), action))

    def run_due_events(self) -> None:
        """Apply every time-based transition that is due. Cheap when nothing is due."""
        events = self._events
        if not events:
            return
        now = self.clock.now()
        while events and events[0][0] <= now:
            when, _, action = heapq.heappop(events)
            action(when)

    # -- key identifiers --------------------------------------------------------------
    def find_key(self, here: RegionBackend, key_id: str, *, allow_alias: bool = True) -> Key:
        """Resolve a KeyId parameter as AWS does, from the caller's account and region.

        Accepts a key ID, key ARN, and (where ``allow_alias``) an alias name or alias ARN.
        An ARN naming another region is never resolved to a local key.
        """
        if key_id.startswith("arn:"):
            match = _ARN_RE.match(key_id)
            if match is None:
                raise InvalidArnException(f"Invalid arn {key_id}")
            _, region, account, kind, name = match.groups()
            if region != here.region:
                raise NotFoundException(f"Invalid arn {region}")
            owner = self.region(account, region) if account != here.account else here
            if kind == "alias":
                if not allow_alias:
                    raise NotFoundException(f"Invalid keyId '{key_id}'")
                return self._key_for_alias(owner, "alias/" + name, first_use=owner is here)
            key = owner.keys.get(name)
            if key is None:
                raise NotFoundException(f"Key '{key_id}' does not exist")
            return key
        if key_id.startswith("alias/"):
            if not allow_alias:
                raise NotFoundException(f"Invalid keyId '{key_id}'")
            return self._key_for_alias(here, key_id)
        key = here.keys.get(key_id)
        if key is not None:
            return key
        if KEY_ID_RE.match(key_id):
            raise NotFoundException(f"Key '{here.key_arn(key_id)}' does not exist")
        raise NotFoundException(f"Invalid keyId '{key_id}'")

    def _key_for_alias(self, owner: RegionBackend, name: str, *, first_use: bool = True) -> Key:
        alias = owner.aliases.get(name)
        if alias is None:
            # AWS managed keys (core/managed_keys.py): created on first use by their own
            # account only; another account's alias ARN finds them only once they exist.
            resolver = self.extras.get("missing_alias_resolver")
            key = resolver(owner, name, create=first_use) if resolver else None
            if key is not None:
                return key
            raise NotFoundException(f"Alias {owner.alias_arn(name)} is not found.")
        key = owner.keys.get(alias.target_key_id)
        if key is None:  # the alias outlived its key: cannot happen unless state was edited
            raise NotFoundException(f"Key '{owner.key_arn(alias.target_key_id)}' does not exist")
        return key
