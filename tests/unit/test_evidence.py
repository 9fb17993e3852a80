"""The evidence stage: customers that share no identifier, joined by name and attributes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from identilink import _evidence
from identilink.errors import ConfigurationError
from identilink.fragments import Fragment, FragmentBuilder
from identilink.resolve import resolve_fragments

_SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "de", "po", "gu", "fe")


def _names(n: int, length: int) -> list[str]:
    words = ("".join(p) for p in itertools.product(_SYLLABLES, repeat=length))
    return list(itertools.islice(words, n))


def _crm(i: int, name: str, *, city: str = "", dob: str = "") -> Fragment:
    b = FragmentBuilder("crm", f"c{i}")
    b.name(name)
    b.email(f"person{i}@acme-mail.com")
    b.phone(f"+1415{2700000 + i:07d}")
    if city:
        b.attribute("city", city)
    if dob:
        b.attribute("dob", dob)
    return b.build()


def _mail(i: int, name: str, *, dob: str = "") -> Fragment:
    """A message from a work address the CRM never saw: a name and one e-mail."""
    b = FragmentBuilder("email", f"m{i}")
    b.name(name)
    b.email(f"work{i}@globex-corp.com")
    if dob:
        b.attribute("dob", dob)
    return b.build()


def _population(n: int = 140) -> tuple[list[Fragment], list[str]]:
    """n people with rare names (distinct given names and surnames), each a CRM contact
    (an anchor); every second one also wrote from a work address."""
    firsts, lasts = _names(n, 2), _names(n, 3)
    people = [f"{f} {s}" for f, s in zip(firsts, lasts, strict=True)]
    fragments = [_crm(i, name) for i, name in enumerate(people)]
    fragments += [_mail(i, name) for i, name in enumerate(people) if i % 2 == 0]
    return fragments, people


def _customer_of(result: object) -> dict[str, str]:
    clusters = result.clusters  # type: ignore[attr-defined]
    return dict(zip(clusters["fragment_id"], clusters["customer_id"], strict=True))


def test_a_rare_name_joins_customers_that_share_no_identifier() -> None:
    fragments, _ = _population()
    result = resolve_fragments(fragments)
    customer = _customer_of(result)
    assert all(customer[f"email:m{i}"] == customer[f"crm:c{i}"] for i in range(0, 140, 2))
    assert len(set(customer.values())) == 140  # and no two people became one
    evidence = result.links[result.links["kind"] == "evidence"]
    assert len(evidence) == 70
    assert evidence["value"].str.contains(r"\(p=0\.9\d\d|\(p=1\.000", regex=True).all()
    # without the stage the work addresses stay customers of their own
    plain = _customer_of(resolve_fragments(fragments, evidence=False))
    assert len(set(plain.values())) == 210


def test_two_anchors_of_one_name_leave_a_third_customer_alone() -> None:
    fragments, _ = _population()
    fragments += [
        _crm(1001, "Jane Doe", city="springfield"),
        _crm(1002, "Jane Doe", city="dover"),
        _mail(1003, "Jane Doe"),
    ]
    customer = _customer_of(resolve_fragments(fragments))
    assert len({customer["crm:c1001"], customer["crm:c1002"], customer["email:m1003"]}) == 3


def test_different_dates_of_birth_never_join() -> None:
    fragments, _ = _population()
    fragments += [_crm(2001, "Zora Quillfeather", dob="1980-01-02")]
    fragments += [_mail(2001, "Zora Quillfeather", dob="1975-06-07")]
    customer = _customer_of(resolve_fragments(fragments))
    assert customer["crm:c2001"] != customer["email:m2001"]


def test_threshold_must_be_a_probability() -> None:
    fragments, _ = _population(20)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ConfigurationError, match="threshold"):
            resolve_fragments(fragments, threshold=bad)
    assert resolve_fragments([], threshold=0.5).clusters.empty


def test_fragments_without_names_are_left_to_the_identifiers() -> None:
    b = FragmentBuilder("sms", "s1")
    b.phone("+14155550123")
    c = FragmentBuilder("sms", "s2")
    c.phone("+14155550199")
    result = resolve_fragments([b.build(), c.build()])
    assert result.clusters["customer_id"].nunique() == 2
    assert result.links.empty


def _measured(fragments: list[Fragment]) -> _evidence._Model:
    """The stage's model and rates with every fragment a customer of its own."""
    labels = np.arange(len(fragments))
    profiles = _evidence._customers(fragments, labels)
    members = {i: [i] for i in range(len(fragments))}
    model = _evidence._measure(fragments, members, profiles, 0)
    model.rates = _evidence._rates(model, profiles)
    return model


def test_a_caller_giving_surname_and_initial_joins_the_one_anchor_it_fits() -> None:
    fragments, _ = _population()
    b = FragmentBuilder("call", "k1")
    b.name("KANE J", initial_last=True)  # the directories' form of a caller-id name
    b.phone("+14155550142")
    fragments += [_crm(3001, "Jorinda Kane"), b.build()]
    result = resolve_fragments(fragments)
    customer = _customer_of(result)
    assert customer["call:k1"] == customer["crm:c3001"]
    why = result.links.loc[result.links["kind"] == "evidence", "value"]
    assert why.str.contains("jorinda kane as j kane").any()
    # an initial that fits no anchor of the surname joins no one
    c = FragmentBuilder("call", "k2")
    c.name("KANE M", initial_last=True)
    c.phone("+14155550143")
    customer = _customer_of(resolve_fragments([*fragments, c.build()]))
    assert customer["call:k2"] not in {customer[f.fragment_id] for f in fragments}


@pytest.mark.parametrize("local", ["jorinda.kane", "jkane"])
def test_a_first_name_joins_through_the_mailbox_it_writes_from(local: str) -> None:
    """A mailbox is a username its holder chose: ``jorinda.kane@`` or ``jkane@`` spells the
    surname a customer giving only its first name leaves out."""
    fragments, _ = _population()
    b = FragmentBuilder("webchat", "w1")
    b.name("Jorinda")
    b.email(f"{local}@fastmail-x.com")
    fragments += [_crm(3001, "Jorinda Kane"), b.build()]
    result = resolve_fragments(fragments)
    customer = _customer_of(result)
    assert customer["webchat:w1"] == customer["crm:c3001"]
    why = result.links.loc[result.links["kind"] == "evidence", "value"]
    assert why.str.contains(f"jorinda kane as @{local.replace('.', '')}").any()
    # a mailbox spelling another surname joins no one
    c = FragmentBuilder("webchat", "w2")
    c.name("Jorinda")
    c.email("jmoss@fastmail-x.com")
    customer = _customer_of(resolve_fragments([*fragments, c.build()]))
    assert customer["webchat:w2"] not in {customer[f.fragment_id] for f in fragments}


def test_rates_count_a_typo_of_a_rare_name_as_its_person() -> None:
    """A satellite with a mistyped given name (``kallo`` for ``kalo``) is one person's customer,
    not a second person with no anchor: the share of people without one stays as it is."""
    fragments, people = _population()
    plain = _measured(fragments).rates
    first, last = people[1].split()
    typo = _mail(4001, f"{first[:3]}{first[2:]} {last}")
    rates = _measured([*fragments, typo]).rates
    assert rates.hidden == plain.hidden
    assert rates.satellites["contact"] > plain.satellites["contact"]


def test_a_year_in_an_address_is_compared_with_a_year_of_birth() -> None:
    def profile(name: str, email: str, dob: str = "") -> _evidence._Profile:
        b = FragmentBuilder("email", email)
        b.name(name)
        b.email(email)
        if dob:
            b.attribute("dob", dob)
        p = _evidence._Profile()
        p.add(b.build())
        return p

    crm = profile("Jane Doe", "jd@acme-mail.com", dob="1983-04-18")
    assert crm.years == {"83"}
    assert profile("Jane Doe", "jane83@mail.com").years == {"83"}
    assert profile("Jane Doe", "jane2@mail.com").years == set()  # one digit: no year
    assert profile("Jane Doe", "83jane@mail.com").years == set()
    assert _evidence._levels(crm, profile("Jane Doe", "jane83@mail.com"))[2] == "year"
    assert _evidence._levels(crm, profile("Jane Doe", "jane71@mail.com"))[2] == "year differs"
    # two dates of birth say it all: no year level beside the date-of-birth one
    other = profile("Jane Doe", "jane83@mail.com", dob="1983-04-18")
    assert _evidence._levels(crm, other)[1:] == ("dob", None)


def test_the_prior_counts_people_not_their_customers() -> None:
    """600 people, every second one with a second customer: 1.5 customers a person, so a name
    held by one customer in a hundred is expected of 0.67% of the people, not 1%."""
    words = _names(1200, 3)
    people = [f"{f} {s}" for f, s in zip(words[:600], words[600:], strict=True)]
    fragments = [_crm(i, name) for i, name in enumerate(people)]
    fragments += [_mail(i, name) for i, name in enumerate(people) if i % 2 == 0]
    model = _measured(fragments)
    assert model.named == 900
    assert model.rates.per_person == pytest.approx((900 + 1) / (600 + 1))
    share = 0.1  # a given name and a surname each held by one customer in ten
    expected = 900 / model.rates.per_person * share * share
    alone = model.rates.alone["account"]
    assert model.prior(share, share, "account", "account") == pytest.approx(
        math.log(max(alone - 1, 1e-3) / (expected * model.rates.hidden * max(alone, 1e-3)))
    )


def test_a_slip_in_the_surname_is_scored_as_the_same_name_mistyped() -> None:
    """``quilfeather`` for ``quillfeather``: a candidate pair, scored with the share of
    surnames that close and the chance of such a slip between one person's fragments; two
    slips apart is another name."""
    fragments, _ = _population()
    fragments += [_crm(5001, "Zora Quillfeather"), _mail(5001, "Zora Quilfeather")]
    fragments += [_mail(5002, "Zora Quilfaether")]
    model = _measured(fragments)
    profiles = _evidence._customers(fragments, np.arange(len(fragments)))
    crm, slip, two = len(fragments) - 3, len(fragments) - 2, len(fragments) - 1
    assert (crm, slip) in _evidence._candidates(profiles, model.slips)
    scored = model.score(profiles[crm], profiles[slip])
    assert scored is not None
    assert scored[1] == "zora quillfeather as quilfeather"
    # a stranger comes this close with a surname a slip from either: quilfeather is one from
    # quillfeather and from quilfaether (two letters swapped), each held once
    assert model.slips["quilfeather"] == {"quillfeather", "quilfaether"}
    share = 2 * model.last_share["quillfeather"]
    prior = model.prior(model.first_share["zora"], share, "anchor", "contact")
    expected = prior + math.log(model.exact_m) + math.log(model.last_slip_m)
    assert scored[0] == pytest.approx(expected)
    assert model.last_slip_m < 0.05  # nothing measured: a slip is taken to be rare
    assert model.score(profiles[crm], profiles[two]) is None


@given(st.lists(st.text(alphabet="abcd", max_size=6), max_size=25))
@example(["pierce", "pirce", "price", "prcie", "pice"])
def test_slips_are_the_surnames_one_slip_apart(lasts: list[str]) -> None:
    """The index of one-letter-dropped spellings against comparing every two surnames."""
    from rapidfuzz.distance import OSA

    from identilink.normalize.names import SLIP_LENGTH

    slips = _evidence._slips(lasts)
    long = sorted({x for x in lasts if len(x) >= SLIP_LENGTH})
    for x, y in itertools.permutations(long, 2):
        assert (y in slips.get(x, set())) == (OSA.distance(x, y) <= 1), (x, y)
    assert set(slips) <= set(long)


def test_a_rival_likely_the_best_ones_person_counts_for_the_link() -> None:
    """``a``'s candidates ``b`` and ``c``: where ``c`` is likely ``b``'s person (their own
    score is high) it supports joining ``a`` to ``b``; where they are strangers it competes."""
    kin: _evidence.Scores = {
        0: {1: (3.0, ""), 2: (2.0, "")},
        1: {0: (3.0, ""), 2: (8.0, "")},
        2: {0: (2.0, ""), 1: (8.0, "")},
    }
    strangers: _evidence.Scores = {
        0: {1: (3.0, ""), 2: (2.0, "")},
        1: {0: (3.0, "")},
        2: {0: (2.0, "")},
    }
    alone: _evidence.Scores = {0: {1: (3.0, "")}, 1: {0: (3.0, "")}}
    e3, e2 = math.exp(3.0), math.exp(2.0)
    assert _evidence._probability(alone, 0, 1) == pytest.approx(e3 / (1 + e3))
    assert _evidence._probability(strangers, 0, 1) == pytest.approx(e3 / (1 + e3 + e2))
    q = 1 / (1 + math.exp(8.0))  # that c is someone else than b's person
    assert _evidence._probability(kin, 0, 1) == pytest.approx((e3 + (1 - q) * e2) / (1 + e3 + e2))
    assert _evidence._probability(kin, 0, 1) > _evidence._probability(alone, 0, 1)
