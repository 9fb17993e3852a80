"""Stores that keep resolved fragments, customers, lineage and steward decisions.

``open_store("customers.db")`` opens (or creates) the embedded SQLite default;
``open_store(":memory:")`` gives an in-memory store and ``open_store("postgresql://...")``
a PostgreSQL one (psycopg 3, the ``postgres`` extra). Any object with the :class:`Store`
methods works with :class:`identilink.Resolver`; all three pass one contract suite.
"""

from __future__ import annotations

from pathlib import Path

from identilink.store._base import Customer, Decision, Event, Link, Store, StoredFragment
from identilink.store._memory import MemoryStore
from identilink.store._postgres import PostgresStore
from identilink.store._sqlite import SQLiteStore

__all__ = [
    "Customer",
    "Decision",
    "Event",
    "Link",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StoredFragment",
    "open_store",
]


def open_store(location: str | Path, /) -> Store:
    """A store for ``location``: ``":memory:"``, a ``postgresql://`` URL or a SQLite path."""
    text = str(location)
    if text == ":memory:":
        return MemoryStore()
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresStore(text)
    return SQLiteStore(location)
