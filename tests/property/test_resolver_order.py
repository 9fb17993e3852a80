"""Clusters do not depend on arrival order: the same fragments added one at a time in two
orders, or as one batch, give the same partition (ids may differ, membership may not)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from identilink import Resolver
from identilink.fragments import Fragment, FragmentBuilder
from identilink.store import MemoryStore

NAMES = ("Jane Doe", "Jane Dole", "John Doe", "Jane", "Ann Lee", "")
EMAILS = ("jane@doe.io", "jd@work.io", "ann@lee.io", "test@test.com")
PHONES = ("4152704859", "2127365000", "6505550123")
TWITTER = ("11", "22")
DOBS = ("", "1980-01-02", "1991-05-06")


@st.composite
def fragments(draw: st.DrawFn) -> list[Fragment]:
    count = draw(st.integers(1, 9))
    out = []
    for i in range(count):
        b = FragmentBuilder(draw(st.sampled_from(("crm", "email", "twitter", "sms"))), i)
        if name := draw(st.sampled_from(NAMES)):
            b.name(name)
        for e in draw(st.lists(st.sampled_from(EMAILS), max_size=2)):
            b.email(e)
        for p in draw(st.lists(st.sampled_from(PHONES), max_size=2)):
            b.phone(p)
        if draw(st.booleans()):
            b.user_id("twitter", draw(st.sampled_from(TWITTER)))
            b.handle("twitter", "janedo")
        if dob := draw(st.sampled_from(DOBS)):
            b.attribute("dob", dob)
        out.append(b.build())
    return out


def _partition(resolver: Resolver) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for fid, cid in resolver.clusters().items():
        groups.setdefault(cid, set()).add(fid)
    return {frozenset(g) for g in groups.values()}


def _one_by_one(items: list[Fragment]) -> Resolver:
    resolver = Resolver(MemoryStore())
    for f in items:
        resolver.add(f)
    assert resolver.verify() == []
    return resolver


@given(fragments(), st.randoms(use_true_random=False))
def test_arrival_order_does_not_change_the_clusters(items: list[Fragment], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    first = _partition(_one_by_one(items))
    assert _partition(_one_by_one(shuffled)) == first
    batch = Resolver(MemoryStore())
    batch.add_many(shuffled)
    assert _partition(batch) == first


@given(fragments(), st.data())
def test_deleting_gives_what_never_adding_would(items: list[Fragment], data: st.DataObject) -> None:
    victim = data.draw(st.sampled_from(items))
    resolver = _one_by_one(items)
    resolver.delete(victim.fragment_id)
    assert resolver.verify() == []
    rest = [f for f in items if f.fragment_id != victim.fragment_id]
    assert _partition(resolver) == _partition(_one_by_one(rest))
