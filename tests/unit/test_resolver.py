from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from identilink import Resolver, Rules, StoreError, UnknownFragmentError
from identilink.errors import ConfigurationError
from identilink.fragments import Fragment
from identilink.resolver import build_golden
from identilink.store import MemoryStore, SQLiteStore, Store
from tests.helpers import fragment as frag


@pytest.fixture
def store(any_store: Store) -> Store:
    return any_store


def test_shared_email_links_and_the_id_is_stable(store: Store) -> None:
    r = Resolver(store)
    first = r.add(frag("crm", "1", name="Jane Doe", emails=("jane@doe.io",)))
    assert r.add(frag("email", "m1", name="Jane Doe", emails=("jane@doe.io",))) == first
    other = r.add(frag("crm", "2", name="Ann Lee", emails=("ann@lee.io",)))
    assert other != first
    assert r.members(first) == ["crm:1", "email:m1"]
    assert r.verify() == []
    assert [e.kind for e in r.events(first)] == ["create"]


def test_merge_keeps_the_older_id_and_the_old_one_resolves_to_it(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Jane Doe", emails=("jane@doe.io",)))
    b = r.add(frag("sms", "s1", phones=("415 270 4859",)))
    assert a != b
    merged = r.add(
        frag("webchat", "w1", name="Jane Doe", emails=("jane@doe.io",), phones=("4152704859",))
    )
    assert merged == a
    assert r.customer_of("sms:s1") == a
    assert r.current_id(b) == a
    assert [(e.kind, e.other) for e in r.events(b)] == [("create", ""), ("merge", b)]
    assert r.verify() == []


def test_deleting_the_only_bridge_splits_and_the_bigger_part_keeps_the_id(store: Store) -> None:
    r = Resolver(store)
    cid = r.add(frag("crm", "1", name="Jane Doe", emails=("jane@doe.io",)))
    r.add(frag("email", "m1", name="Jane Doe", emails=("jane@doe.io",)))
    r.add(frag("webchat", "w1", name="Jane Doe", emails=("jane@doe.io",), phones=("4152704859",)))
    r.add(frag("sms", "s1", phones=("4152704859",)))
    assert len(r.members(cid)) == 4
    r.delete("webchat:w1")
    assert r.members(cid) == ["crm:1", "email:m1"]
    split = r.customer_of("sms:s1")
    assert split != cid
    assert ("split", split) in [(e.kind, e.other) for e in r.events(cid)]
    assert r.verify() == []
    with pytest.raises(UnknownFragmentError, match="no fragment"):
        r.delete("webchat:w1")


def test_placeholders_and_shared_values_link_no_one(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Ann Lee", emails=("test@test.com",)))
    assert r.add(frag("crm", "2", name="Bo Chan", emails=("test@test.com",))) != a
    jane = r.add(frag("crm", "3", name="Jane Doe", phones=("212 736 5000",), emails=("j@d.io",)))
    # John arrives on the same landline: the number turns out to be shared, nobody links
    john = r.add(frag("crm", "4", name="John Doe", phones=("212 736 5000",), emails=("jo@d.io",)))
    assert john != jane
    assert (
        store.shared(
            "id\tphone\t+12127365000",
        )
        is not None
    )
    assert r.verify() == []


def test_a_value_that_becomes_shared_unlinks_what_it_linked(store: Store) -> None:
    r = Resolver(store)
    jane = r.add(frag("crm", "1", name="Jane Doe", phones=("2127365000",)))
    assert r.add(frag("call", "c1", name="Jane Doe", phones=("2127365000",))) == jane
    r.add(frag("crm", "2", name="John Doe", phones=("2127365000",)))
    assert len({r.customer_of(f) for f in ("crm:1", "call:c1", "crm:2")}) == 3


def test_limits_refuse_a_second_user_id_and_record_why(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("twitter", "t1", name="Jane Doe", twitter="111", emails=("jane@doe.io",)))
    b = r.add(frag("twitter", "t2", name="Jane Doe", twitter="222", emails=("jane@doe.io",)))
    assert a != b
    refused = r.explain(a).refused
    assert refused
    assert "twitter" in refused[0].reason
    assert "refused" in r.explain(a).to_text()


def test_different_dates_of_birth_refuse_a_merge(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), dob="1980-01-02"))
    b = r.add(frag("crm", "2", name="Jane Doe", emails=("jd@x.io",), dob="1991-05-06"))
    assert a != b
    with pytest.raises(ConfigurationError, match="at least 1"):
        Rules(limits={"email": 0})


def test_steward_decisions_win_over_the_model_later(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))
    r.add(frag("email", "m1", name="Jane Doe", emails=("jd@x.io",)))
    r.unlink("crm:1", "email:m1")
    assert r.customer_of("crm:1") != r.customer_of("email:m1")
    r.add(frag("email", "m2", name="Jane Doe", emails=("jd@x.io",)))  # still apart
    assert r.customer_of("crm:1") != r.customer_of("email:m1")
    c = r.add(frag("crm", "9", name="Someone Else", emails=("else@x.io",)))
    assert r.link("crm:9", "crm:1") == r.customer_of("crm:1")
    assert r.customer_of("crm:9") in (a, c)
    assert r.verify() == []


def test_a_locked_customer_takes_no_model_links(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))
    r.lock(a)
    assert r.add(frag("email", "m1", name="Jane Doe", emails=("jd@x.io",))) != a
    r.unlock(a)
    assert r.customer_of("email:m1") == a


def test_accounts_join_the_unique_anchor_of_their_name(store: Store) -> None:
    r = Resolver(store)
    anchor = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)))
    assert r.add(frag("twitter", "t1", name="Jane Doe", twitter="77")) == anchor
    # a first-name-only account whose username is built from the anchor's name; refused
    # while the anchor already has a Twitter id (one per platform), taken once it is gone
    assert r.add(frag("twitter", "t2", name="Jane", twitter="88", handle="janedo")) != anchor
    assert any("user_id:twitter" in k.reason for k in r.explain(anchor).refused)
    r.delete("twitter:t1")
    assert r.customer_of("twitter:t2") == anchor
    # a second anchor of the same name makes the name ambiguous: the account leaves
    r.add(frag("crm", "2", name="Jane Doe", emails=("other@x.io",), phones=("2127365000",)))
    assert r.customer_of("twitter:t2") != anchor
    assert r.verify() == []


def test_an_account_refused_by_an_anchor_joins_once_an_add_removes_the_reason(
    store: Store,
) -> None:
    r = Resolver(store)
    anchor = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io", "jane@doe.io")))
    r.add(frag("email", "2", name="Jane Doe", emails=("jd@x.io",), twitter="22"))
    account = r.add(frag("twitter", "3", name="Jane Doe", twitter="11"))
    assert account != anchor  # one Twitter id per customer: the anchor holds 22 already
    # jd@x.io becomes shared by two names: email:2 (Twitter id 22) leaves the anchor, and
    # the account it kept out joins, though the add touched neither it nor its name
    r.add(frag("crm", "4", name="John Doe", emails=("jd@x.io",)))
    assert r.customer_of("twitter:3") == anchor
    assert r.customer_of("email:2") != anchor
    assert r.verify() == []


def test_update_re_resolves(store: Store) -> None:
    r = Resolver(store)
    a = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))
    b = r.add(frag("crm", "2", name="Jane Doe", emails=("other@x.io",)))
    assert a != b
    assert r.update(frag("crm", "2", name="Jane Doe", emails=("jd@x.io",))) == a
    with pytest.raises(UnknownFragmentError):
        r.update(frag("crm", "404"))
    with pytest.raises(UnknownFragmentError):
        r.customer_of("crm:404")
    with pytest.raises(UnknownFragmentError):
        r.current_id("cus_missing")


def test_explain_gives_the_path_and_a_waterfall(store: Store) -> None:
    r = Resolver(store)
    cid = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))
    r.add(frag("webchat", "w1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)))
    r.add(frag("sms", "s1", phones=("4152704859",)))
    path = r.explain("crm:1", "sms:s1")
    assert [(k.kind) for k in path.links] == ["email", "phone"]
    assert path.total_weight == 25.0
    text = r.explain(cid).to_text()
    assert "email=jd@x.io" in text
    assert "phone=+14152704859" in text
    assert '<div class="bar"' in path.to_html()
    r.add(frag("crm", "2", name="Ann Lee", emails=("ann@x.io",)))
    assert r.explain("crm:1", "crm:2").links == ()


def test_golden_records_follow_survivorship_rules(store: Store) -> None:
    r = Resolver(store)
    cid = r.add(frag("email", "m1", name="Jane Doe", emails=("jd@x.io",), at="2024-05-01"))
    r.add(frag("crm", "1", name="Janet Doe", emails=("jd@x.io",), at="2023-01-01"))
    r.add(frag("webchat", "w1", name="Jane Doe", emails=("jd@x.io",), at="2022-01-01"))
    golden = r.golden(cid)
    assert golden.values["first_name"].value == "jane"  # most frequent
    recent = r.golden(cid, {"first_name": "most_recent"}).values["first_name"]
    assert (recent.value, recent.fragment_id) == ("jane", "email:m1")
    source = r.golden(cid, {"first_name": "source_priority"}).values["first_name"]
    assert (source.value, source.fragment_id) == ("janet", "crm:1")
    assert r.golden(cid, {"first_name": "longest"}).values["first_name"].value == "janet"
    custom = r.golden(cid, {"first_name": lambda found: (found[-1][0].upper(), found[-1][1])})
    assert custom.values["first_name"].value == "JANE"
    assert golden.to_dict()["emails"] == ["jd@x.io"]
    assert golden.to_dict()["first_name_source"] in golden.fragment_ids
    assert len(r.golden_records()) == 1
    with pytest.raises(ConfigurationError, match="unknown survivorship rule"):
        build_golden("c", [frag("crm", "1", name="Jane Doe")], {"first_name": "newest"})


def test_add_many_is_one_transaction(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    r = Resolver(store)
    r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))

    class Boom(Exception):
        pass

    def fragments() -> Iterator[Fragment]:
        yield frag("crm", "2", name="Ann Lee", emails=("ann@x.io",))
        raise Boom

    with pytest.raises(Boom):
        r.add_many(fragments())
    assert store.count() == 1
    out = r.add_many([frag("crm", "2", emails=("jd@x.io",)), frag("crm", "3", emails=("x@y.io",))])
    assert out["crm:2"] == r.customer_of("crm:1") != out["crm:3"]


def test_graph_views_and_diagnostics(store: Store) -> None:
    r = Resolver(store)
    cid = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",)))
    r.add(frag("webchat", "w1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)))
    r.add(frag("sms", "s1", phones=("4152704859",)))
    graph = r.graph(cid)
    assert sorted(graph.nodes) == ["crm:1", "sms:s1", "webchat:w1"]
    assert graph.nodes["sms:s1"]["channel"] == "sms"
    report = r.diagnostics(cid)
    assert report["fragments"] == 3
    assert report["links_by_kind"] == {"email": 1, "phone": 1}
    assert len(report["bridges"]) == 2  # a chain: either link's loss splits it
    assert report["channels"] == {"crm": 1, "sms": 1, "webchat": 1}


def test_load_fills_an_empty_store_as_adding_would(store: Store) -> None:
    fragments = [
        frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)),
        frag("email", "m1", name="Jane Doe", emails=("jd@x.io",)),
        frag("twitter", "t1", name="Jane Doe", twitter="7"),
        frag("crm", "2", name="Ann Lee", emails=("test@test.com",)),
        frag("crm", "3", name="John Doe", phones=("2127365000",)),
        frag("crm", "4", name="Jane Doe", phones=("2127365000",), emails=("jd@x.io",)),
    ]
    loaded = Resolver(store)
    assigned = loaded.load(fragments)
    assert set(assigned) == {f.fragment_id for f in fragments}
    one_by_one = Resolver(MemoryStore())
    for f in fragments:
        one_by_one.add(f)

    def partition(r: Resolver) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {}
        for fid, cid in r.clusters().items():
            groups.setdefault(cid, set()).add(fid)
        return {frozenset(g) for g in groups.values()}

    assert partition(loaded) == partition(one_by_one)
    assert loaded.verify() == []
    assert store.shared("id\tphone\t+12127365000") is not None
    assert loaded.explain(loaded.customer_of("crm:1")).links
    new = loaded.add(frag("sms", "s1", phones=("4152704859",)))  # counters carried over
    assert new == loaded.customer_of("crm:1")
    assert loaded.add(frag("crm", "9", emails=("z@z.io",))) not in set(assigned.values())
    with pytest.raises(StoreError, match="empty store"):
        loaded.load(fragments)


def test_a_trained_model_scores_every_link_comparison_by_comparison(
    store: Store, examples_dir: Path
) -> None:
    import json

    import identilink

    model = identilink.dedupe(identilink.read_table(examples_dir / "customers.csv")).model
    r = Resolver(store, model=model)
    cid = r.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), dob="1980-01-02"))
    r.add(frag("webchat", "w1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)))
    link = r.explain(cid).links[0]
    steps = json.loads(link.evidence)
    assert steps[0][0] == "prior"
    labels = [label for label, _ in steps]
    assert "first_name: exact" in labels
    assert "email: exact" in labels
    assert "dob" not in " ".join(labels)  # null on one side: no evidence either way
    text = r.explain(cid).to_text()
    assert "model match weight" in text
    assert 'class="row step"' in r.explain(cid).to_html()
    # the model is saved with the store and comes back on open
    if isinstance(store, SQLiteStore):
        again = Resolver.open(store.path, model=model)
        assert Resolver.open(store.path).model == again.model == model


def test_the_model_vetoes_links_it_scores_below_the_floor(examples_dir: Path) -> None:
    import identilink
    from identilink.resolver import score_pair

    model = identilink.dedupe(identilink.read_table(examples_dir / "customers.csv")).model
    with pytest.raises(ConfigurationError, match="needs a trained model"):
        Resolver(MemoryStore(), Rules(min_match_weight=0.0))
    assert Rules.from_json(Rules(min_match_weight=1.5).to_json()).min_match_weight == 1.5
    crm = frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",))
    chat = frag("webchat", "w1", name="Jane Doe", emails=("jd@x.io",), dob="1980-01-02")
    weight = sum(w for _, w in score_pair(model, crm, chat))
    for floor, linked in ((weight - 0.5, True), (weight + 0.5, False)):
        r = Resolver(MemoryStore(), Rules(min_match_weight=floor), model=model)
        jane = r.add(crm)
        assert (r.add(chat) == jane) is linked
        refused = [k.reason for k in r.explain(jane).refused]
        assert refused == ([] if linked else [f"model match weight {weight:+.2f} < {floor:+.2f}"])
        assert r.verify() == []


def test_two_writers_on_one_store_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first, second = Resolver(SQLiteStore(path)), Resolver(SQLiteStore(path))
    jane = first.add(frag("crm", "1", name="Jane Doe", emails=("jd@x.io",), phones=("4152704859",)))
    first.add(frag("twitter", "t1", name="Jane Doe", twitter="7"))  # joins Jane by name
    # the other process learns of a second Jane: the name is ambiguous, the account leaves
    second.add(frag("crm", "2", name="Jane Doe", emails=("j2@x.io",), phones=("2127365000",)))
    assert first.customer_of("twitter:t1") != jane
    # and the first process, whose cached views are now stale, still resolves correctly
    assert first.add(frag("email", "m1", name="Jane Doe", emails=("jd@x.io",))) == jane
    assert first.verify() == []
    assert second.verify() == []


def test_load_keeps_the_rules_saved_in_the_store(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    resolver = Resolver.open(path, Rules(limits={"email": 3}))
    resolver.load([frag("crm", "1", name="Jane Doe", emails=("a@x.io",))])
    resolver.store.close()
    assert Resolver.open(path).rules.limits["email"] == 3
