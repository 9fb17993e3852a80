"""One contract every store passes: what goes in comes out, and a failed transaction
leaves no trace. Add a backend to ``STORES`` and it is held to the same suite."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from identilink.errors import ConfigurationError, StoreError
from identilink.fragments import FragmentBuilder
from identilink.store import (
    Customer,
    Decision,
    Event,
    Link,
    MemoryStore,
    SQLiteStore,
    Store,
    StoredFragment,
    open_store,
)


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def _stored(sid: str, email: str, component: str = "", customer: str = "c1") -> StoredFragment:
    b = FragmentBuilder("crm", sid)
    b.email(email)
    b.name("Jane Doe")
    return StoredFragment(b.build(), int(sid), component or f"crm:{sid}", customer)


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_fragments_round_trip_with_their_index(store: Store) -> None:
    with store.transaction():
        store.put_fragment(
            _stored("1", "jane@doe.io"), ["id\temail\tjane@doe.io", "full\tjane doe"]
        )
        store.put_fragment(_stored("2", "jane@doe.io"), ["id\temail\tjane@doe.io"])
    got = store.get_fragments(["crm:1", "crm:2", "crm:9"])
    assert set(got) == {"crm:1", "crm:2"}
    assert got["crm:1"] == _stored("1", "jane@doe.io")
    assert sorted(store.holders("id\temail\tjane@doe.io")) == ["crm:1", "crm:2"]
    assert store.holders("full\tjane doe") == ["crm:1"]
    assert store.holders("nothing") == []
    assert store.count() == 2
    assert list(store.fragment_ids()) == ["crm:1", "crm:2"]


def test_put_replaces_and_delete_removes_index_entries(store: Store) -> None:
    with store.transaction():
        store.put_fragment(_stored("1", "a@x.io"), ["k1", "k2"])
        store.put_fragment(_stored("1", "b@x.io"), ["k2", "k3"])
    assert store.holders("k1") == []
    assert store.holders("k3") == ["crm:1"]
    assert store.get_fragments(["crm:1"])["crm:1"].fragment.values("email") == ["b@x.io"]
    with store.transaction():
        store.delete_fragment("crm:1")
        store.delete_fragment("crm:404")  # absent: nothing happens
    assert store.holders("k2") == []
    assert store.count() == 0


def test_members_follow_assignment(store: Store) -> None:
    with store.transaction():
        for sid in "123":
            store.put_fragment(_stored(sid, f"{sid}@x.io", customer=f"c{sid}"), [])
        store.assign([("crm:2", "crm:1", "c1"), ("crm:3", "crm:1", "c1")])
    assert sorted(store.members(customer="c1")) == ["crm:1", "crm:2", "crm:3"]
    assert sorted(store.members(component="crm:1")) == ["crm:1", "crm:2", "crm:3"]
    assert store.members(customer="c2") == []
    assert list(store.customer_ids()) == ["c1"]


def test_customers_events_decisions_links_shared_meta(store: Store) -> None:
    with store.transaction():
        store.put_customer(Customer("c1", 1))
        store.put_customer(Customer("c2", 2, successor="c1", locked=True))
        store.add_event(Event("merge", "c1", "c2", "linked", "2026-01-01T00:00:00"))
        store.add_event(Event("create", "c3", "", "new", "2026-01-01T00:00:00"))
        store.add_decision(Decision("unlink", "crm:1", "crm:2", "2026-01-01T00:00:00"))
        store.add_decision(Decision("lock", "c1", "crm:3\tcrm:4", "2026-01-01T00:00:00"))
        store.replace_links([], [Link("crm:1", "crm:2", "email", "a@x.io", 15.0)])
        store.replace_links([], [Link("crm:2", "crm:3", "phone", "+1", 10.0, "refused", "x")])
        store.set_shared("id\tphone\t+1", "shared by different names")
        store.set_meta("model", "{}")
        assert store.next_number("customer") == 1
        assert store.next_number("customer") == 2
    assert store.get_customer("c2") == Customer("c2", 2, "c1", True)
    assert store.get_customer("nope") is None
    assert [e.kind for e in store.events("c2")] == ["merge"]
    assert [e.seq for e in store.events()] == [1, 2]
    assert [d.kind for d in store.decisions(["crm:2"])] == ["unlink"]
    assert [d.kind for d in store.decisions(["crm:4"])] == ["lock"]
    assert len(store.decisions()) == 2
    assert len(store.links(["crm:2"])) == 2
    with store.transaction():
        store.replace_links(["crm:1"], [])
    assert [k.kind for k in store.links(["crm:2"])] == ["phone"]
    assert store.shared("id\tphone\t+1") == "shared by different names"
    with store.transaction():
        store.set_shared("id\tphone\t+1", None)
    assert store.shared("id\tphone\t+1") is None
    assert store.get_meta("model") == "{}"
    assert store.get_meta("other") is None


def test_a_failed_transaction_leaves_no_trace(store: Store) -> None:
    with store.transaction():
        store.put_fragment(_stored("1", "a@x.io"), ["k1"])
        store.put_customer(Customer("c1", 1))
        store.set_meta("m", "1")
    with pytest.raises(RuntimeError, match="boom"), store.transaction():  # noqa: PT012
        store.put_fragment(_stored("1", "changed@x.io"), ["k9"])
        store.put_fragment(_stored("2", "b@x.io"), ["k1"])
        store.assign([("crm:1", "crm:2", "c2")])
        store.put_customer(Customer("c1", 5, locked=True))
        store.add_event(Event("create", "c2", "", "new", "t"))
        store.add_decision(Decision("link", "crm:1", "crm:2", "t"))
        store.replace_links([], [Link("crm:1", "crm:2", "email", "a", 1.0)])
        store.set_shared("k1", "x")
        store.set_meta("m", "2")
        store.next_number("customer")
        store.delete_fragment("crm:1")
        raise RuntimeError("boom")
    assert store.get_fragments(["crm:1"])["crm:1"] == _stored("1", "a@x.io")
    assert store.count() == 1
    assert store.holders("k1") == ["crm:1"]
    assert store.holders("k9") == []
    assert store.get_customer("c1") == Customer("c1", 1)
    assert store.events() == []
    assert store.decisions() == []
    assert store.links(["crm:1"]) == []
    assert store.shared("k1") is None
    assert store.get_meta("m") == "1"
    with store.transaction():
        assert store.next_number("customer") == 1


def test_sqlite_store_persists_and_checks_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SQLiteStore(path)
    with first.transaction():
        first.put_fragment(_stored("1", "a@x.io"), ["k"])
    first.close()
    again = open_store(path)
    assert again.holders("k") == ["crm:1"]
    assert isinstance(open_store(":memory:"), MemoryStore)
    again.set_meta("schema", "999")
    again.close()
    with pytest.raises(StoreError, match="schema 999"):
        SQLiteStore(path)
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        SQLiteStore(tmp_path / "junk.db")


def test_sqlite_checkpoints_in_the_background_and_keeps_the_log_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import identilink.store._sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "_WAL_LIMIT", 64 * 1024)
    monkeypatch.setattr(sqlite_module, "_CHECKPOINT_EVERY", 0.005)
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    wal = Path(f"{path}-wal")
    largest = 0
    for i in range(300):
        with store.transaction():
            store.put_fragment(_stored(str(i), f"{i}@x.io"), [f"k{i}", "x" * 500 + str(i)])
        size = wal.stat().st_size
        largest = max(largest, size)
        if size > 4 * 64 * 1024:
            # how soon the thread notices depends on the machine (an fsync a round): give
            # it the pause a real writer has now and then, so what is tested is that the
            # log starts over, not how fast
            deadline = time.monotonic() + 5
            while not store._restart.is_set() and time.monotonic() < deadline:
                time.sleep(0.005)
        time.sleep(0.001)
    store.close()
    assert store._checkpointer is not None
    assert not store._checkpointer.is_alive()
    # the log started over (a few limits' worth at most), and nothing was lost
    assert largest < 16 * 64 * 1024
    again = SQLiteStore(path, checkpoint="inline")
    assert again.count() == 300
    assert again.holders("k299") == ["crm:299"]
    with pytest.raises(ConfigurationError, match="checkpoint"):
        SQLiteStore(path, checkpoint="never")  # type: ignore[arg-type]


def test_sqlite_falls_back_to_inline_checkpoints_when_its_thread_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import identilink.store._sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "_checkpoints", lambda *args: None)  # dies at once
    store = SQLiteStore(tmp_path / "s.db")
    assert store._checkpointer is not None
    store._checkpointer.join()
    with store.transaction():
        store.put_fragment(_stored("1", "a@x.io"), ["k"])
    assert store._checkpointer is None
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    store.close()


def test_postgres_store_says_what_is_wrong() -> None:
    from identilink.errors import ConfigurationError
    from identilink.store import PostgresStore

    with pytest.raises(StoreError, match="cannot open store") as info:
        PostgresStore("postgresql://someone:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert "secret" not in str(info.value)
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStore("postgresql://127.0.0.1:1/x?schema=Robert');DROP")


def test_placement_and_component_keys_come_from_the_index(store: Store) -> None:
    with store.transaction():
        store.put_fragment(_stored("1", "a@x.io", component="crm:1", customer="c1"), ["k1", "k2"])
        store.put_fragment(_stored("2", "b@x.io", component="crm:1", customer="c1"), [])
        store.put_fragment(_stored("3", "c@x.io", component="crm:3", customer="c2"), ["k3"])
    assert store.placement(["crm:1", "crm:3", "crm:404"]) == {
        "crm:1": ("crm:1", "c1"),
        "crm:3": ("crm:3", "c2"),
    }
    assert sorted(store.component_keys("crm:1")) == [
        ("crm:1", "k1"),
        ("crm:1", "k2"),
        ("crm:2", ""),
    ]
    assert store.component_keys("nothing") == []
