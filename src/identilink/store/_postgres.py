"""A store in PostgreSQL through psycopg 3: what CRM backends run in production.

Tables live in one PostgreSQL schema (``identilink`` unless the URL says ``?schema=name``),
so several stores can share a database. Every change is one transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from identilink.errors import ConfigurationError, StoreError
from identilink.fragments import Fragment
from identilink.store._base import Customer, Decision, Event, Link, Nested, StoredFragment

__all__ = ["PostgresStore"]

SCHEMA_VERSION = "3"

_TABLES = """
CREATE TABLE IF NOT EXISTS {s}.meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.fragments (
    fid TEXT PRIMARY KEY, seq BIGINT NOT NULL, data TEXT NOT NULL,
    component TEXT NOT NULL, customer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fragments_component ON {s}.fragments (component);
CREATE INDEX IF NOT EXISTS fragments_customer ON {s}.fragments (customer);
CREATE TABLE IF NOT EXISTS {s}.keys (key TEXT NOT NULL, fid TEXT NOT NULL, PRIMARY KEY (key, fid));
CREATE INDEX IF NOT EXISTS keys_fid ON {s}.keys (fid);
CREATE TABLE IF NOT EXISTS {s}.customers (
    id TEXT PRIMARY KEY, created BIGINT NOT NULL, successor TEXT, locked BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.events (
    seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, customer TEXT NOT NULL,
    other TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_customer ON {s}.events (customer);
CREATE INDEX IF NOT EXISTS events_other ON {s}.events (other);
CREATE TABLE IF NOT EXISTS {s}.decisions (
    seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, lhs TEXT NOT NULL, rhs TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.decision_fragments (fid TEXT NOT NULL, seq BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS decision_fragments_fid ON {s}.decision_fragments (fid);
CREATE TABLE IF NOT EXISTS {s}.links (
    lhs TEXT NOT NULL, rhs TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (lhs, rhs, kind, value));
CREATE INDEX IF NOT EXISTS links_rhs ON {s}.links (rhs);
CREATE TABLE IF NOT EXISTS {s}.shared (key TEXT PRIMARY KEY, reason TEXT NOT NULL);
"""

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresStore(Nested):
    """A store in a PostgreSQL database, ``postgresql://user@host:port/db[?schema=name]``."""

    def __init__(self, url: str, /) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigurationError(
                "a postgresql:// store needs psycopg 3: pip install 'identilink[postgres]'"
            ) from None
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", "identilink")
        if not _SCHEMA_NAME.match(schema):
            raise ConfigurationError(f"schema name {schema!r} must match {_SCHEMA_NAME.pattern}")
        self.schema = schema
        self.url = urlunsplit(parts._replace(query=urlencode(query)))
        try:
            self._db = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open store {_redacted(url)}: {exc}".strip()) from None
        self._error = psycopg.Error
        with self._db.transaction():
            self._db.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            self._db.execute(_TABLES.format(s=schema))
            row = self._one("SELECT value FROM {s}.meta WHERE name='schema'")
            if row is None:
                self._x("INSERT INTO {s}.meta VALUES ('schema', %s)", (SCHEMA_VERSION,))
        if row is not None and row[0] != SCHEMA_VERSION:
            raise StoreError(f"store schema {schema} has version {row[0]}, not {SCHEMA_VERSION}")

    def _x(self, sql: str, args: Any = ()) -> Any:
        return self._db.execute(sql.format(s=self.schema), args)

    def _one(self, sql: str, args: Any = ()) -> Any:
        return self._x(sql, args).fetchone()

    def _many(self, sql: str, rows: list[Any]) -> None:
        if rows:
            with self._db.cursor() as cursor:
                cursor.executemany(sql.format(s=self.schema), rows)

    def _outermost(self) -> AbstractContextManager[None]:
        return cast("AbstractContextManager[None]", self._db.transaction())

    def next_number(self, counter: str) -> int:
        row = self._one(
            "INSERT INTO {s}.meta VALUES (%s, '1') ON CONFLICT (name) DO UPDATE "
            "SET value = (({s}.meta.value)::bigint + 1)::text RETURNING value",
            (f"counter:{counter}",),
        )
        return int(row[0])

    def put_fragment(self, stored: StoredFragment, keys: Iterable[str]) -> None:
        fid = stored.fragment.fragment_id
        self.delete_fragment(fid)
        self._x(
            "INSERT INTO {s}.fragments VALUES (%s, %s, %s, %s, %s)",
            (
                fid,
                stored.seq,
                json.dumps(stored.fragment.to_dict(), separators=(",", ":")),
                stored.component,
                stored.customer,
            ),
        )
        self._many(
            "INSERT INTO {s}.keys VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(k, fid) for k in dict.fromkeys(keys)],
        )

    def get_fragments(self, fragment_ids: Iterable[str]) -> dict[str, StoredFragment]:
        ids = list(dict.fromkeys(fragment_ids))
        if not ids:
            return {}
        rows = self._x(
            "SELECT fid, seq, data, component, customer FROM {s}.fragments WHERE fid = ANY(%s)",
            (ids,),
        )
        return {
            fid: StoredFragment(Fragment.from_dict(json.loads(data)), seq, component, customer)
            for fid, seq, data, component, customer in rows
        }

    def delete_fragment(self, fragment_id: str) -> None:
        self._x("DELETE FROM {s}.fragments WHERE fid=%s", (fragment_id,))
        self._x("DELETE FROM {s}.keys WHERE fid=%s", (fragment_id,))

    def holders(self, key: str) -> list[str]:
        return [r[0] for r in self._x("SELECT fid FROM {s}.keys WHERE key=%s", (key,))]

    def members(self, *, component: str | None = None, customer: str | None = None) -> list[str]:
        if component is not None:
            sql, arg = "SELECT fid FROM {s}.fragments WHERE component=%s", component
        else:
            sql, arg = "SELECT fid FROM {s}.fragments WHERE customer=%s", customer or ""
        return [r[0] for r in self._x(sql, (arg,))]

    def placement(self, fragment_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        ids = list(dict.fromkeys(fragment_ids))
        if not ids:
            return {}
        rows = self._x(
            "SELECT fid, component, customer FROM {s}.fragments WHERE fid = ANY(%s)", (ids,)
        )
        return {fid: (component, customer) for fid, component, customer in rows}

    def component_keys(self, component: str) -> list[tuple[str, str]]:
        rows = self._x(
            "SELECT f.fid, coalesce(k.key, '') FROM {s}.fragments f LEFT JOIN {s}.keys k "
            "ON k.fid = f.fid WHERE f.component = %s",
            (component,),
        )
        return [(fid, key) for fid, key in rows]

    def assign(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._many(
            "UPDATE {s}.fragments SET component=%s, customer=%s WHERE fid=%s",
            [(component, customer, fid) for fid, component, customer in rows],
        )

    def put_customer(self, customer: Customer) -> None:
        self._x(
            "INSERT INTO {s}.customers VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "created=EXCLUDED.created, successor=EXCLUDED.successor, locked=EXCLUDED.locked",
            (customer.customer_id, customer.created, customer.successor, customer.locked),
        )

    def get_customer(self, customer_id: str) -> Customer | None:
        row = self._one(
            "SELECT id, created, successor, locked FROM {s}.customers WHERE id=%s", (customer_id,)
        )
        return Customer(row[0], row[1], row[2], bool(row[3])) if row else None

    def add_event(self, event: Event) -> None:
        self._x(
            "INSERT INTO {s}.events (kind, customer, other, reason, at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (event.kind, event.customer_id, event.other, event.reason, event.at),
        )

    def events(self, customer_id: str | None = None) -> list[Event]:
        sql = "SELECT kind, customer, other, reason, at, seq FROM {s}.events"
        if customer_id is None:
            rows = self._x(sql + " ORDER BY seq")
        else:
            rows = self._x(
                sql + " WHERE customer=%s OR other=%s ORDER BY seq", (customer_id, customer_id)
            )
        return [Event(*row) for row in rows]

    def add_decision(self, decision: Decision) -> None:
        row = self._one(
            "INSERT INTO {s}.decisions (kind, lhs, rhs, at) VALUES (%s, %s, %s, %s) RETURNING seq",
            (decision.kind, decision.left, decision.right, decision.at),
        )
        named = {decision.left, *decision.right.split("\t")} - {""}
        self._many(
            "INSERT INTO {s}.decision_fragments VALUES (%s, %s)", [(f, row[0]) for f in named]
        )

    def decisions(self, fragment_ids: Iterable[str] | None = None) -> list[Decision]:
        sql = "SELECT kind, lhs, rhs, at, seq FROM {s}.decisions"
        if fragment_ids is None:
            return [Decision(*r) for r in self._x(sql + " ORDER BY seq")]
        ids = list(set(fragment_ids))
        if not ids:
            return []
        rows = self._x(
            sql + " WHERE seq IN (SELECT seq FROM {s}.decision_fragments WHERE fid = ANY(%s)) "
            "ORDER BY seq",
            (ids,),
        )
        return [Decision(*r) for r in rows]

    def replace_links(self, fragment_ids: Iterable[str], links: Iterable[Link]) -> None:
        ids = list(set(fragment_ids))
        if ids:
            self._x("DELETE FROM {s}.links WHERE lhs = ANY(%s) OR rhs = ANY(%s)", (ids, ids))
        self._many(
            "INSERT INTO {s}.links VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (lhs, rhs, kind, value) DO UPDATE SET weight=EXCLUDED.weight, "
            "status=EXCLUDED.status, reason=EXCLUDED.reason, evidence=EXCLUDED.evidence",
            [
                (k.left, k.right, k.kind, k.value, k.weight, k.status, k.reason, k.evidence)
                for k in links
            ],
        )

    def links(self, fragment_ids: Iterable[str]) -> list[Link]:
        ids = list(set(fragment_ids))
        if not ids:
            return []
        rows = self._x(
            "SELECT lhs, rhs, kind, value, weight, status, reason, evidence FROM {s}.links "
            "WHERE lhs = ANY(%s) OR rhs = ANY(%s)",
            (ids, ids),
        )
        return [Link(*row) for row in rows]

    def set_shared(self, key: str, reason: str | None) -> None:
        if reason is None:
            self._x("DELETE FROM {s}.shared WHERE key=%s", (key,))
        else:
            self._x(
                "INSERT INTO {s}.shared VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET reason=EXCLUDED.reason",
                (key, reason),
            )

    def shared(self, key: str) -> str | None:
        row = self._one("SELECT reason FROM {s}.shared WHERE key=%s", (key,))
        return row[0] if row else None

    def get_meta(self, name: str) -> str | None:
        row = self._one("SELECT value FROM {s}.meta WHERE name=%s", (name,))
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._x(
            "INSERT INTO {s}.meta VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
            "SET value=EXCLUDED.value",
            (name, value),
        )

    def fragment_ids(self) -> Iterator[str]:
        return iter([r[0] for r in self._x("SELECT fid FROM {s}.fragments ORDER BY seq")])

    def customer_ids(self) -> Iterator[str]:
        rows = self._x("SELECT DISTINCT customer FROM {s}.fragments ORDER BY customer")
        return iter([r[0] for r in rows])

    def count(self) -> int:
        return int(self._one("SELECT count(*) FROM {s}.fragments")[0])

    def close(self) -> None:
        self._db.close()


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
