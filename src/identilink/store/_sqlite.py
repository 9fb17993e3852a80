"""The embedded default store: one SQLite file, WAL journal, every change in one transaction."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Literal

from identilink.errors import ConfigurationError, StoreError
from identilink.fragments import Fragment
from identilink.store._base import Customer, Decision, Event, Link, Nested, StoredFragment

__all__ = ["SQLiteStore"]

SCHEMA_VERSION = "3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fragments (
    fid TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL,
    component TEXT NOT NULL, customer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fragments_component ON fragments (component);
CREATE INDEX IF NOT EXISTS fragments_customer ON fragments (customer);
CREATE TABLE IF NOT EXISTS keys (key TEXT NOT NULL, fid TEXT NOT NULL, PRIMARY KEY (key, fid))
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_fid ON keys (fid);
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, created INTEGER NOT NULL, successor TEXT, locked INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, customer TEXT NOT NULL,
    other TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_customer ON events (customer);
CREATE INDEX IF NOT EXISTS events_other ON events (other);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, lhs TEXT NOT NULL,
    rhs TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decision_fragments (fid TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS decision_fragments_fid ON decision_fragments (fid);
CREATE TABLE IF NOT EXISTS links (
    lhs TEXT NOT NULL, rhs TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
    weight REAL NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL,
    PRIMARY KEY (lhs, rhs, kind, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_rhs ON links (rhs);
CREATE TABLE IF NOT EXISTS shared (key TEXT PRIMARY KEY, reason TEXT NOT NULL);
"""


_WAL_LIMIT = 16 * 2**20
_CHECKPOINT_EVERY = 0.25  # seconds between passive rounds


def _checkpoints(path: str, stop: threading.Event, restart: threading.Event, every: float) -> None:
    """Copy committed WAL pages into the database file until ``stop`` is set (a thread).

    Passive rounds copy without blocking anyone. A writer that never pauses keeps them a
    little behind, so the log cannot start over and grows; past ``_WAL_LIMIT`` the thread
    sets ``restart`` and the writer's next change first copies the little that is left
    (:meth:`SQLiteStore._outermost`), after which the log starts over.
    """
    # SQLite syncs the database file only after a checkpoint that copied the whole log,
    # which a busy writer never lets a passive round do: the round syncs what it copied
    # itself, or the restart's sync would write out the whole log's pages at once.
    try:
        with closing(sqlite3.connect(path, isolation_level=None, check_same_thread=False)) as db:
            db.execute("PRAGMA synchronous=NORMAL")
            page = int(db.execute("PRAGMA page_size").fetchone()[0])
            fd = os.open(path, os.O_RDONLY)
            try:
                while not stop.wait(every):
                    try:
                        _busy, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        os.fsync(fd)
                    except (sqlite3.Error, OSError):  # busy or closing: try the next round
                        continue
                    if frames * page > _WAL_LIMIT:
                        restart.set()
            finally:
                os.close(fd)
    except (sqlite3.Error, OSError):
        return  # the store falls back to inline checkpoints (see SQLiteStore._outermost)


class SQLiteStore(Nested):
    """A store in one SQLite file (``":memory:"`` for a throwaway one).

    Opened in WAL mode with ``synchronous=NORMAL``: a committed change survives a killed
    process; the file is always consistent because every change is one transaction.

    ``checkpoint``: who copies the write-ahead log back into the database file. SQLite's
    default (``"inline"``) has the commit that crosses 1,000 log pages do it, so about one
    change in fifty waits for it (20-30 ms at a million fragments). ``"background"`` (the
    default for files) does it on a thread of the store's own, a few times a second, with
    its own connection; a change waits only when a writer that never pauses let the log pass
    16 MiB, for the little the thread has not copied yet.
    """

    def __init__(
        self,
        path: str | Path,
        /,
        *,
        checkpoint: Literal["background", "inline"] = "background",
    ) -> None:
        self.path = str(path)
        if checkpoint not in ("background", "inline"):
            raise ConfigurationError(
                f"checkpoint must be 'background' or 'inline', got {checkpoint!r}"
            )
        self._stop = threading.Event()
        self._restart = threading.Event()
        self._checkpointer: threading.Thread | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=OFF")
            self._db.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache at most
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema {row[0]}, expected {SCHEMA_VERSION}")
        if checkpoint == "background" and self.path != ":memory:" and self.path:
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            thread = threading.Thread(
                target=_checkpoints,
                args=(self.path, self._stop, self._restart, _CHECKPOINT_EVERY),
                name=f"identilink-checkpoint:{self.path}",
                daemon=True,
            )
            thread.start()
            self._checkpointer = thread
            weakref.finalize(self, self._stop.set)  # a store dropped unclosed stops it too

    @contextmanager
    def _outermost(self) -> Iterator[None]:
        if self._checkpointer is not None and not self._checkpointer.is_alive():
            # the thread could not go on (its connection failed): SQLite's own way again
            self._db.execute("PRAGMA wal_autocheckpoint=1000")
            self._checkpointer = None
        if self._restart.is_set():
            self._restart.clear()
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def next_number(self, counter: str) -> int:
        name = f"counter:{counter}"
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        value = int(row[0]) + 1 if row else 1
        self.set_meta(name, str(value))
        return value

    def put_fragment(self, stored: StoredFragment, keys: Iterable[str]) -> None:
        fid = stored.fragment.fragment_id
        self.delete_fragment(fid)
        self._db.execute(
            "INSERT INTO fragments VALUES (?, ?, ?, ?, ?)",
            (
                fid,
                stored.seq,
                json.dumps(stored.fragment.to_dict(), separators=(",", ":")),
                stored.component,
                stored.customer,
            ),
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO keys VALUES (?, ?)", [(k, fid) for k in dict.fromkeys(keys)]
        )

    def _where_in(self, sql: str, column: str, ids: Iterable[str]) -> Iterator[Any]:
        """Rows of ``sql`` + ``WHERE column IN (...)``, 500 ids per statement."""
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(f"{sql} WHERE {column} IN ({marks})", chunk)

    def get_fragments(self, fragment_ids: Iterable[str]) -> dict[str, StoredFragment]:
        rows = self._where_in(
            "SELECT fid, seq, data, component, customer FROM fragments", "fid", fragment_ids
        )
        return {
            fid: StoredFragment(Fragment.from_dict(json.loads(data)), seq, component, customer)
            for fid, seq, data, component, customer in rows
        }

    def delete_fragment(self, fragment_id: str) -> None:
        self._db.execute("DELETE FROM fragments WHERE fid=?", (fragment_id,))
        self._db.execute("DELETE FROM keys WHERE fid=?", (fragment_id,))

    def holders(self, key: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT fid FROM keys WHERE key=?", (key,))]

    def members(self, *, component: str | None = None, customer: str | None = None) -> list[str]:
        if component is not None:
            sql, arg = "SELECT fid FROM fragments WHERE component=?", component
        else:
            sql, arg = "SELECT fid FROM fragments WHERE customer=?", customer or ""
        return [r[0] for r in self._db.execute(sql, (arg,))]

    def placement(self, fragment_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        rows = self._where_in("SELECT fid, component, customer FROM fragments", "fid", fragment_ids)
        return {fid: (component, customer) for fid, component, customer in rows}

    def component_keys(self, component: str) -> list[tuple[str, str]]:
        rows = self._db.execute(
            "SELECT f.fid, coalesce(k.key, '') FROM fragments f LEFT JOIN keys k "
            "ON k.fid = f.fid WHERE f.component = ?",
            (component,),
        )
        return [(fid, key) for fid, key in rows]

    def assign(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._db.executemany(
            "UPDATE fragments SET component=?, customer=? WHERE fid=?",
            [(component, customer, fid) for fid, component, customer in rows],
        )

    def put_customer(self, customer: Customer) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO customers VALUES (?, ?, ?, ?)",
            (customer.customer_id, customer.created, customer.successor, int(customer.locked)),
        )

    def get_customer(self, customer_id: str) -> Customer | None:
        row = self._db.execute(
            "SELECT id, created, successor, locked FROM customers WHERE id=?", (customer_id,)
        ).fetchone()
        return Customer(row[0], row[1], row[2], bool(row[3])) if row else None

    def add_event(self, event: Event) -> None:
        self._db.execute(
            "INSERT INTO events (kind, customer, other, reason, at) VALUES (?, ?, ?, ?, ?)",
            (event.kind, event.customer_id, event.other, event.reason, event.at),
        )

    def events(self, customer_id: str | None = None) -> list[Event]:
        sql = "SELECT kind, customer, other, reason, at, seq FROM events"
        if customer_id is None:
            rows = self._db.execute(sql + " ORDER BY seq")
        else:
            rows = self._db.execute(
                sql + " WHERE customer=? OR other=? ORDER BY seq", (customer_id, customer_id)
            )
        return [Event(*row) for row in rows]

    def add_decision(self, decision: Decision) -> None:
        cursor = self._db.execute(
            "INSERT INTO decisions (kind, lhs, rhs, at) VALUES (?, ?, ?, ?)",
            (decision.kind, decision.left, decision.right, decision.at),
        )
        named = {decision.left, *decision.right.split("\t")} - {""}
        self._db.executemany(
            "INSERT INTO decision_fragments VALUES (?, ?)",
            [(fid, cursor.lastrowid) for fid in named],
        )

    def decisions(self, fragment_ids: Iterable[str] | None = None) -> list[Decision]:
        sql = "SELECT kind, lhs, rhs, at, seq FROM decisions"
        if fragment_ids is None:
            return [Decision(*r) for r in self._db.execute(sql + " ORDER BY seq")]
        seqs = {
            r[0] for r in self._where_in("SELECT seq FROM decision_fragments", "fid", fragment_ids)
        }
        if not seqs:
            return []
        rows = self._db.execute(
            sql + f" WHERE seq IN ({','.join('?' * len(seqs))}) ORDER BY seq", sorted(seqs)
        )
        return [Decision(*r) for r in rows]

    def replace_links(self, fragment_ids: Iterable[str], links: Iterable[Link]) -> None:
        # Only the difference is written: most changes leave most of a region's links as
        # they were, and every page written is copied to the WAL and back.
        old = {(k.left, k.right, k.kind, k.value): k for k in self.links(fragment_ids)}
        new = {(k.left, k.right, k.kind, k.value): k for k in links}
        self._db.executemany(
            "DELETE FROM links WHERE lhs=? AND rhs=? AND kind=? AND value=?",
            [key for key, link in old.items() if key not in new],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (k.left, k.right, k.kind, k.value, k.weight, k.status, k.reason, k.evidence)
                for key, k in new.items()
                if old.get(key) != k
            ],
        )

    def links(self, fragment_ids: Iterable[str]) -> list[Link]:
        out: dict[tuple[str, str, str, str], Link] = {}
        unique = list(dict.fromkeys(fragment_ids))
        sql = "SELECT lhs, rhs, kind, value, weight, status, reason, evidence FROM links"
        for start in range(0, len(unique), 400):  # one statement for both ends
            chunk = unique[start : start + 400]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"{sql} WHERE lhs IN ({marks}) OR rhs IN ({marks})", chunk * 2)
            for row in rows:
                out[row[:4]] = Link(*row)
        return list(out.values())

    def set_shared(self, key: str, reason: str | None) -> None:
        if reason is None:
            self._db.execute("DELETE FROM shared WHERE key=?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO shared VALUES (?, ?)", (key, reason))

    def shared(self, key: str) -> str | None:
        row = self._db.execute("SELECT reason FROM shared WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def fragment_ids(self) -> Iterator[str]:
        return iter([r[0] for r in self._db.execute("SELECT fid FROM fragments ORDER BY seq")])

    def customer_ids(self) -> Iterator[str]:
        rows = self._db.execute("SELECT DISTINCT customer FROM fragments ORDER BY customer")
        return iter([r[0] for r in rows])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM fragments").fetchone()[0])

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
        self._db.close()
