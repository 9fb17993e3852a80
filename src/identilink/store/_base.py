"""What a store keeps, and the protocol every store implements.

A store is dumb on purpose: it keeps fragments with their cluster assignment, an index from
keys (identifier values and name keys) to fragments, customers with their successor and lock,
lineage events, steward decisions, links with their evidence and the values found to be
shared. Everything that decides, the resolver does; so a new backend is a page of code and
passes the same contract suite (``tests/unit/test_store_contract.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, runtime_checkable

import attrs

from identilink.fragments import Fragment

__all__ = ["Customer", "Decision", "Event", "Link", "Nested", "Store", "StoredFragment"]


@attrs.frozen
class StoredFragment:
    """A fragment as stored: arrival sequence, component and customer."""

    fragment: Fragment
    seq: int
    component: str
    customer: str


@attrs.frozen
class Customer:
    """A customer id, when it was created (a sequence number), what replaced it, its lock."""

    customer_id: str
    created: int
    successor: str | None = None
    locked: bool = False


@attrs.frozen
class Event:
    """A lineage event: ``create``, ``merge`` (``other`` merged into ``customer_id``),
    ``split`` (``other`` split off ``customer_id``), ``retire`` (no fragments left)."""

    kind: str
    customer_id: str
    other: str
    reason: str
    at: str
    seq: int = 0


@attrs.frozen
class Decision:
    """A data steward's decision: ``link`` / ``unlink`` two fragments, ``lock`` a customer
    (``right`` holds the locked members, tab-separated) or ``unlock`` it."""

    kind: str
    left: str
    right: str
    at: str
    seq: int = 0


@attrs.frozen
class Link:
    """An edge between two fragments and its evidence.

    ``kind`` is the identifier kind it rests on (``email``, ``phone``, ``handle``,
    ``user_id``), ``name`` or ``steward``; ``status`` is ``used`` or ``refused``, and a
    refused link says which rule refused it in ``reason``. With a trained model, ``evidence``
    is its waterfall as JSON: ``[["prior", w], ["first_name: exact", w], ...]``.
    """

    left: str
    right: str
    kind: str
    value: str
    weight: float
    status: str = "used"
    reason: str = ""
    evidence: str = ""


@runtime_checkable
class Store(Protocol):
    """Persistence for the resolver. Every mutating call happens inside ``transaction()``;
    an exception inside it rolls everything back."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def next_number(self, counter: str) -> int:
        """The next value of a named counter (1, 2, ...), inside the transaction."""
        ...

    def put_fragment(self, stored: StoredFragment, keys: Iterable[str]) -> None: ...

    def get_fragments(self, fragment_ids: Iterable[str]) -> dict[str, StoredFragment]: ...

    def delete_fragment(self, fragment_id: str) -> None: ...

    def holders(self, key: str) -> list[str]:
        """Fragment ids indexed under ``key``."""
        ...

    def members(self, *, component: str | None = None, customer: str | None = None) -> list[str]:
        """Fragment ids of a component or of a customer."""
        ...

    def placement(self, fragment_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """``fragment_id -> (component, customer)`` for the stored ones, without loading them."""
        ...

    def component_keys(self, component: str) -> list[tuple[str, str]]:
        """``(fragment_id, key)`` for every member of a component and each of its index keys
        (``""`` for a member with none): what the resolver needs of a component it does
        not recompute, read from the index alone."""
        ...

    def assign(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Set ``(fragment_id, component, customer)`` for stored fragments."""
        ...

    def put_customer(self, customer: Customer) -> None: ...

    def get_customer(self, customer_id: str) -> Customer | None: ...

    def add_event(self, event: Event) -> None: ...

    def events(self, customer_id: str | None = None) -> list[Event]: ...

    def add_decision(self, decision: Decision) -> None: ...

    def decisions(self, fragment_ids: Iterable[str] | None = None) -> list[Decision]:
        """Decisions naming any of ``fragment_ids`` (all of them for ``None``)."""
        ...

    def replace_links(self, fragment_ids: Iterable[str], links: Iterable[Link]) -> None:
        """Drop every link touching ``fragment_ids``, then store ``links``."""
        ...

    def links(self, fragment_ids: Iterable[str]) -> list[Link]: ...

    def set_shared(self, key: str, reason: str | None) -> None: ...

    def shared(self, key: str) -> str | None: ...

    def get_meta(self, name: str) -> str | None: ...

    def set_meta(self, name: str, value: str) -> None: ...

    def fragment_ids(self) -> Iterator[str]: ...

    def customer_ids(self) -> Iterator[str]:
        """Ids of customers that have fragments."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class Nested:
    """``transaction()`` for database stores: nested calls join the outermost one, which
    :meth:`_outermost` opens (commit on success, roll back on any exception)."""

    _depth = 0

    def _outermost(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._outermost():
                yield
        finally:
            self._depth = 0
