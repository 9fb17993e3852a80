"""A store in dictionaries: for tests, notebooks and short-lived services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from identilink.store._base import Customer, Decision, Event, Link, StoredFragment

__all__ = ["MemoryStore"]


class MemoryStore:
    """Everything in process memory; ``transaction()`` rolls back through an undo log."""

    def __init__(self) -> None:
        self._fragments: dict[str, StoredFragment] = {}
        self._keys: dict[str, dict[str, None]] = defaultdict(dict)
        self._keys_of: dict[str, list[str]] = {}
        self._components: dict[str, dict[str, None]] = defaultdict(dict)
        self._customer_members: dict[str, dict[str, None]] = defaultdict(dict)
        self._customers: dict[str, Customer] = {}
        self._events: list[Event] = []
        self._decisions: list[Decision] = []
        self._links: dict[str, dict[tuple[str, str, str, str], Link]] = defaultdict(dict)
        self._shared: dict[str, str] = {}
        self._meta: dict[str, str] = {}
        self._depth = 0
        self._undo: list[Callable[[], object]] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        except BaseException:
            if self._depth == 1:
                undo, self._undo = self._undo, []
                self._depth = -(10**9)  # nothing logs while rolling back
                try:
                    for step in reversed(undo):
                        step()
                finally:
                    self._depth = 1
            raise
        finally:
            self._depth -= 1
            if not self._depth:
                self._undo.clear()

    def _log(self, undo: Callable[[], object]) -> None:
        if self._depth > 0:
            self._undo.append(undo)

    def next_number(self, counter: str) -> int:
        value = int(self._meta.get(f"counter:{counter}", "0")) + 1
        self.set_meta(f"counter:{counter}", str(value))
        return value

    def put_fragment(self, stored: StoredFragment, keys: Iterable[str]) -> None:
        fid = stored.fragment.fragment_id
        if fid in self._fragments:
            self.delete_fragment(fid)
        self._log(lambda: self.delete_fragment(fid))
        self._fragments[fid] = stored
        key_list = list(dict.fromkeys(keys))
        self._keys_of[fid] = key_list
        for key in key_list:
            self._keys[key][fid] = None
        self._components[stored.component][fid] = None
        self._customer_members[stored.customer][fid] = None

    def get_fragments(self, fragment_ids: Iterable[str]) -> dict[str, StoredFragment]:
        return {f: self._fragments[f] for f in fragment_ids if f in self._fragments}

    def delete_fragment(self, fragment_id: str) -> None:
        stored = self._fragments.pop(fragment_id, None)
        if stored is None:
            return
        keys = self._keys_of.get(fragment_id, [])
        self._log(lambda: self.put_fragment(stored, keys))
        for key in self._keys_of.pop(fragment_id, ()):
            self._keys[key].pop(fragment_id, None)
        self._components[stored.component].pop(fragment_id, None)
        self._customer_members[stored.customer].pop(fragment_id, None)

    def holders(self, key: str) -> list[str]:
        return list(self._keys.get(key, ()))

    def members(self, *, component: str | None = None, customer: str | None = None) -> list[str]:
        if component is not None:
            return list(self._components.get(component, ()))
        return list(self._customer_members.get(customer or "", ()))

    def placement(self, fragment_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        out = {}
        for fid in fragment_ids:
            stored = self._fragments.get(fid)
            if stored is not None:
                out[fid] = (stored.component, stored.customer)
        return out

    def component_keys(self, component: str) -> list[tuple[str, str]]:
        return [
            (fid, key)
            for fid in self._components.get(component, ())
            for key in (self._keys_of.get(fid) or [""])
        ]

    def assign(self, rows: Iterable[tuple[str, str, str]]) -> None:
        for fid, component, customer in rows:
            old = self._fragments[fid]
            self._log(self._reassign(fid, old.component, old.customer))
            self._components[old.component].pop(fid, None)
            self._customer_members[old.customer].pop(fid, None)
            self._fragments[fid] = StoredFragment(old.fragment, old.seq, component, customer)
            self._components[component][fid] = None
            self._customer_members[customer][fid] = None

    def _reassign(self, fid: str, component: str, customer: str) -> Callable[[], None]:
        return lambda: self.assign([(fid, component, customer)])

    def _restore(self, table: dict[str, Any], key: str) -> Callable[[], None]:
        prior = table.get(key)

        def undo() -> None:
            if prior is None:
                table.pop(key, None)
            else:
                table[key] = prior

        return undo

    def put_customer(self, customer: Customer) -> None:
        self._log(self._restore(self._customers, customer.customer_id))
        self._customers[customer.customer_id] = customer

    def get_customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id)

    def add_event(self, event: Event) -> None:
        self._log(self._events.pop)
        self._events.append(_with_seq(event, len(self._events) + 1))

    def events(self, customer_id: str | None = None) -> list[Event]:
        return [
            e
            for e in self._events
            if customer_id is None or customer_id in (e.customer_id, e.other)
        ]

    def add_decision(self, decision: Decision) -> None:
        self._log(self._decisions.pop)
        self._decisions.append(_with_seq(decision, len(self._decisions) + 1))

    def decisions(self, fragment_ids: Iterable[str] | None = None) -> list[Decision]:
        if fragment_ids is None:
            return list(self._decisions)
        wanted = set(fragment_ids)
        return [
            d
            for d in self._decisions
            if d.left in wanted or d.right in wanted or wanted & set(d.right.split("\t"))
        ]

    def replace_links(self, fragment_ids: Iterable[str], links: Iterable[Link]) -> None:
        removed = self.links(fragment_ids)
        for link in removed:
            self._unlink(link)
        added = list(links)
        for link in added:
            self._link(link)

        def undo() -> None:
            for link in added:
                self._unlink(link)
            for link in removed:
                self._link(link)

        self._log(undo)

    def _link(self, link: Link) -> None:
        key = (link.left, link.right, link.kind, link.value)
        self._links[link.left][key] = link
        self._links[link.right][key] = link

    def _unlink(self, link: Link) -> None:
        key = (link.left, link.right, link.kind, link.value)
        self._links[link.left].pop(key, None)
        self._links[link.right].pop(key, None)

    def links(self, fragment_ids: Iterable[str]) -> list[Link]:
        out: dict[tuple[str, str, str, str], Link] = {}
        for fid in fragment_ids:
            out.update(self._links.get(fid, {}))
        return list(out.values())

    def set_shared(self, key: str, reason: str | None) -> None:
        self._log(self._restore(self._shared, key))
        if reason is None:
            self._shared.pop(key, None)
        else:
            self._shared[key] = reason

    def shared(self, key: str) -> str | None:
        return self._shared.get(key)

    def get_meta(self, name: str) -> str | None:
        return self._meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        self._log(self._restore(self._meta, name))
        self._meta[name] = value

    def fragment_ids(self) -> Iterator[str]:
        return iter(list(self._fragments))

    def customer_ids(self) -> Iterator[str]:
        return iter([c for c, members in self._customer_members.items() if members])

    def count(self) -> int:
        return len(self._fragments)

    def close(self) -> None:
        return None

    def copy_into(self, target: Any) -> None:
        """Write everything this store holds into ``target`` (another store), in one
        transaction: how :meth:`identilink.Resolver.load` bulk-loads a durable store."""
        with target.transaction():
            for stored in self._fragments.values():
                target.put_fragment(stored, self._keys_of.get(stored.fragment.fragment_id, []))
            for customer in self._customers.values():
                target.put_customer(customer)
            for event in self._events:
                target.add_event(event)
            for decision in self._decisions:
                target.add_decision(decision)
            links = {key: link for per in self._links.values() for key, link in per.items()}
            target.replace_links([], links.values())
            for key, reason in self._shared.items():
                target.set_shared(key, reason)
            for name, value in self._meta.items():
                target.set_meta(name, value)


def _with_seq(record: Any, seq: int) -> Any:
    import attrs

    return attrs.evolve(record, seq=seq)
