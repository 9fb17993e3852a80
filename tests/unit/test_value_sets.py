"""Records holding several values of a role (list cells, or e-mails and phones separated by
``;``): normalised value by value, blocked on any of them, compared at their best pair,
united in golden records."""

from __future__ import annotations

import warnings
from itertools import combinations, product

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import identilink
from identilink import BlockingRule, Comparison, ConfigurationError, Level, Settings
from identilink._table import IdentilinkWarning, normalizer_for
from identilink.blocking import block, count_pairs
from identilink.compare import gammas, reference_gamma
from identilink.normalize._column import normalized_value_sets
from tests.helpers import make_table

EMAIL = normalizer_for("email", Settings())


def _sets(cells: list[object], separators: str = ";,") -> tuple[object, ...]:
    series = pd.Series(cells, dtype=object)
    return normalized_value_sets(series, EMAIL, column="email", role="email", separators=separators)


def test_each_value_of_a_cell_is_normalised_and_counted() -> None:
    codes, uniques, report, sets = _sets(
        [["A@x.com", "b@y.com"], "c@z.com; a@x.com", ("bad", "b@y.com"), None, "d@w.com"]
    )
    values = [None if c < 0 else uniques[c] for c in codes]
    # a record's value is its first valid one
    assert values == ["a@x.com", "c@z.com", "b@y.com", None, "d@w.com"]
    assert sets is not None
    rows, value_codes = sets
    held = {}
    for r, c in zip(rows.tolist(), value_codes.tolist(), strict=True):
        held.setdefault(r, []).append(uniques[c])
    # the records holding more than one valid value, each value once, in the order given
    assert held == {0: ["a@x.com", "b@y.com"], 1: ["c@z.com", "a@x.com"]}
    # eight values, the empty cell one of them (null): one rejected, with its reason
    assert (report.n_values, report.n_null, report.n_invalid) == (8, 1, 1)
    assert report.examples[0][0] == "bad"


def test_lists_inside_a_cell_and_dicts_are_rejected_as_nested() -> None:
    codes, _, report, sets = _sets([[["a@x.com", "q"], ["b@y.com", "z"]], {"a": 1}, "c@z.com"])
    assert codes.tolist() == [-1, -1, 0]
    assert (report.n_values, report.n_invalid, sets) == (4, 3, None)
    assert report.examples[0][1] == "a nested value, not a scalar"


def test_a_column_without_several_values_is_unchanged() -> None:
    codes, _, report, sets = _sets(["a@x.com", None, "a@x.com"])
    assert sets is None
    assert codes.tolist() == [0, -1, 0]
    assert report.n_values == 3


def test_separators_are_only_for_the_roles_that_take_them() -> None:
    table = make_table(
        [
            {"id": 1, "first_name": "ann; bob", "email": "a@x.com; b@y.com"},
            {"id": 2, "first_name": ["cy", "di"], "email": None},
        ]
    )
    assert "first_name" in table.value_sets  # from the list cell, not the ';' text
    assert table.values["first_name"].tolist() == ["ann bob", "cy"]  # one name, punctuation gone
    assert "email" in table.value_sets


PEOPLE = [
    {"id": 1, "first_name": "ann", "last_name": "lee", "email": ["ann@x.com", "al@work.com"]},
    {"id": 2, "first_name": "ann", "last_name": "lee", "email": "al@work.com"},
    {"id": 3, "first_name": "bob", "last_name": "ray", "email": "bob@x.com; bray@work.com"},
    {"id": 4, "first_name": "bob", "last_name": "ray", "email": ["bray@work.com"]},
    {"id": 5, "first_name": "cy", "last_name": "fox", "email": None},
]


def test_blocking_on_a_role_with_several_values_pairs_any_shared_value() -> None:
    table = make_table(PEOPLE)
    result = block(table, [BlockingRule(["email"])], max_block_size=None)
    pairs = set(zip(table.ids[result.left].tolist(), table.ids[result.right].tolist(), strict=True))
    assert pairs == {(1, 2), (3, 4)}
    counted = count_pairs(table, [BlockingRule(["email"])])
    assert counted["pairs"].tolist() == [2]


def test_a_rule_with_two_keys_of_several_values_is_refused() -> None:
    rows = [dict(p, phone=["4152704859", "4152704860"]) for p in PEOPLE]
    table = make_table(rows)
    with pytest.raises(ConfigurationError, match="more than one key with several values"):
        block(table, [BlockingRule(["email", "phone"])], max_block_size=None)


def test_dedupe_links_through_a_second_value_and_unites_them_in_golden_records() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        result = identilink.dedupe(
            PEOPLE,
            Settings(
                blocking_rules=[BlockingRule(["email"])],
                must_link=[("email",)],
                threshold=0.99,
            ),
        )
    pairs = result.pairs.set_index(["left_id", "right_id"])
    assert pairs.loc[(1, 2), "gamma_email"] == 0  # al@work.com: shared, so exact
    assert pairs.loc[(1, 2), "rule"] == "must_link:email"
    clusters = result.clusters.groupby("cluster_id")["record_id"].apply(frozenset)
    assert set(clusters) == {frozenset({1, 2}), frozenset({3, 4}), frozenset({5})}
    golden = result.golden.set_index("cluster_id")
    by_member = {frozenset(members): golden.loc[cid] for cid, members in clusters.items()}
    ann = by_member[frozenset({1, 2})]
    assert ann["email__all"] == ["al@work.com", "ann@x.com"]  # the most frequent first
    assert ann["email"] == "al@work.com"
    assert by_member[frozenset({5})]["email__all"] is None


# -- against references: every value pair, every record pair --------------------------------

emails = st.sampled_from(["a@x.com", "b@x.com", "ab@x.com", "a@y.com", "bad", None])
cells = st.one_of(emails, st.lists(emails, max_size=3))


@given(st.lists(st.tuples(cells, st.sampled_from(["lee", "ray"])), min_size=2, max_size=12))
def test_blocking_and_gammas_agree_with_every_pair_of_values(rows: list[object]) -> None:
    records = [{"id": i, "email": e, "last_name": n} for i, (e, n) in enumerate(rows)]
    table = make_table(records, roles=["email", "last_name"])
    if "email" not in table.values:
        return
    # each record's valid values, as the normaliser reads them
    held: list[set[str]] = []
    for record in records:
        cell = record["email"]
        values = cell if isinstance(cell, list) else [cell]
        normal = set()
        for v in values:
            if v is not None and v != "bad":  # the others are valid addresses
                normal.add(EMAIL(v))
        held.append(normal)
    rule = BlockingRule(["email", "last_name"])
    result = block(table, [rule], max_block_size=None)
    got = set(zip(result.left.tolist(), result.right.tolist(), strict=True))
    want = {
        (i, j)
        for i, j in combinations(range(len(records)), 2)
        if held[i] & held[j] and records[i]["last_name"] == records[j]["last_name"]
    }
    assert got == want
    comparison = Comparison("email", [Level("exact"), Level("levenshtein", 1)])
    pairs = list(combinations(range(len(records)), 2))
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    fast = gammas(table, [comparison], a, b)[:, 0].tolist()
    for k, (i, j) in enumerate(pairs):
        levels = [
            reference_gamma(comparison, {"email": x}, {"email": y})
            for x, y in product(sorted(held[i]), sorted(held[j]))
        ]
        assert fast[k] == (min(levels) if levels else -1)


def test_linking_pairs_records_across_inputs_through_any_value() -> None:
    left = [
        {"id": "a", "first_name": "ann", "email": ["ann@x.com", "al@work.com"]},
        {"id": "b", "first_name": "bob", "email": "bob@x.com"},
    ]
    right = [
        {"id": "c", "first_name": "ann", "email": "al@work.com"},
        {"id": "d", "first_name": "bob", "email": ["bray@work.com", "bob@x.com"]},
        {"id": "e", "first_name": "cy", "email": "ann@x.com; cy@x.com"},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        result = identilink.link(left, right, {"blocking_rules": [["email"]]})
    pairs = result.pairs.set_index(["left_id", "right_id"])["gamma_email"].to_dict()
    assert pairs == {("a", "c"): 0, ("b", "d"): 0, ("a", "e"): 0}
