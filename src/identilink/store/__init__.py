"""Stores that keep resolved fragments, customers, lineage and steward decisions.

``open_store("customers.db")`` opens (or creates) the embedded SQLite default;
``open_store(":memory:")`` gives an in-memory store. Any object with the :class:`Store`
methods works with :class:`identilink.Resolver`.
"""

from __future__ import annotations

from pathlib import Path

from identilink.store._base import Customer, Decision, Event, Link, Store, StoredFragment
from identilink.store._memory import MemoryStore
from identilink.store._sqlite import SQLiteStore

__all__ = [
    "Customer",
    "Decision",
    "Event",
    "Link",
    "MemoryStore",
    "SQLiteStore",
    "Store",
    "StoredFragment",
    "open_store",
]


def open_store(location: str | Path, /) -> Store:
    """A store for ``location``: ``":memory:"`` or a SQLite file path."""
    if str(location) == ":memory:":
        return MemoryStore()
    return SQLiteStore(location)
