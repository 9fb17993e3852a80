from __future__ import annotations

import numpy as np
import pytest

from identilink import BlockingRule, IdentilinkWarning
from identilink._table import prepare
from identilink.blocking import block, count_pairs, pairs_between, pairs_within
from identilink.config import Settings
from tests.helpers import make_table, people_with_lists


def test_pairs_within_small() -> None:
    codes = np.array([0, 1, 0, -1, 0, 1], dtype=np.int64)
    a, b, big = pairs_within(codes)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 2), (0, 4), (1, 5), (2, 4)]
    assert len(big) == 0


def test_pairs_within_skips_oversized_blocks() -> None:
    codes = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    a, b, big = pairs_within(codes, max_block_size=2)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [(3, 4)]
    assert big.tolist() == [0]


def test_pairs_between_only_crosses_sides() -> None:
    codes = np.array([0, 0, 1, 0, 1, 1], dtype=np.int64)
    right = np.array([False, False, False, True, True, True])
    a, b, _ = pairs_between(codes, right)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 3), (1, 3), (2, 4), (2, 5)]


ROWS = [
    {"id": 1, "first_name": "anna", "last_name": "smith", "dob": "2000-01-01"},
    {"id": 2, "first_name": "anna", "last_name": "smith", "dob": None},
    {"id": 3, "first_name": "ann", "last_name": "smyth", "dob": "2000-01-01"},
    {"id": 4, "first_name": "bob", "last_name": "jones", "dob": "1990-05-05"},
]


def test_block_or_of_rules_dedupes_pairs() -> None:
    table = make_table(ROWS)
    rules = [BlockingRule(["first_name", "last_name"]), BlockingRule(["soundex(last_name)"])]
    result = block(table, rules, max_block_size=None)
    pairs = set(zip(result.left.tolist(), result.right.tolist(), strict=True))
    assert pairs == {(0, 1), (0, 2), (1, 2)}
    stats = result.rule_stats
    assert stats["pairs"].tolist() == [1, 3]
    assert stats["new_pairs"].tolist() == [1, 2]
    assert stats["cumulative_pairs"].tolist() == [1, 3]


def test_block_warns_naming_the_rule() -> None:
    table = make_table(ROWS)
    with pytest.warns(
        IdentilinkWarning, match="soundex\\(last_name\\).*3 records with last_name='smith'"
    ):
        result = block(table, [BlockingRule(["soundex(last_name)"])], max_block_size=2)
    assert result.oversized == {"soundex(last_name)": 1}


def test_count_pairs_matches_generation() -> None:
    table = make_table(ROWS)
    rules = [
        BlockingRule(["first_name"]),
        BlockingRule(["dob"]),
        BlockingRule(["first(first_name, 1)"]),
    ]
    counts = count_pairs(table, rules)
    for rule, expected in zip(rules, counts["pairs"], strict=True):
        assert len(block(table, [rule], max_block_size=None).left) == expected
    assert counts["largest_block"].tolist() == [2, 2, 3]


def test_link_blocking_counts_cross_pairs_only() -> None:
    import pandas as pd

    left = pd.DataFrame({"id": [1, 2], "last_name": ["smith", "smith"]})
    right = pd.DataFrame({"id": [1, 2], "last_name": ["smith", "jones"]})
    table = prepare([left, right], Settings(), {"last_name": "last_name"}, "id", names=["l", "r"])
    assert count_pairs(table, [BlockingRule(["last_name"])])["pairs"].tolist() == [2]
    result = block(table, [BlockingRule(["last_name"])], max_block_size=None)
    assert sorted(zip(result.left.tolist(), result.right.tolist(), strict=True)) == [(0, 2), (1, 2)]


def test_cumulative_pairs_exact_and_estimated() -> None:
    from identilink.bench.people import generate_people
    from identilink.blocking import block, cumulative_pairs

    frame = generate_people(6000, seed=3).drop(columns=["person_id"])
    table = make_table(frame.rename(columns={"record_id": "id"}).to_dict("records"))
    rules = (
        BlockingRule(("email",)),
        BlockingRule(("dob", "soundex(last_name)")),
        BlockingRule(("last_name", "city")),
    )
    exact, estimated = cumulative_pairs(table, rules)
    assert not estimated
    assert exact[-1] == len(block(table, rules, max_block_size=None).left)
    sampled, estimated = cumulative_pairs(table, rules, sample=3000)
    assert estimated
    assert abs(sampled[-1] / exact[-1] - 1) < 0.15


def _partition(codes: np.ndarray) -> list[int]:
    """Codes relabelled in order of first appearance (-1 kept): equal lists, same groups."""
    first: dict[int, int] = {}
    return [-1 if c < 0 else first.setdefault(int(c), len(first)) for c in codes]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_taken_table_is_the_table_of_its_records_in_that_order(seed: int) -> None:
    """``Table.take`` gives the records in that order the values, value lists, keys' codes
    and rules' codes that preparing them in that order gives, numbered alike where a role
    holds one value a record (numbering a record's second value is the taker's choice)."""
    from identilink._pipeline import prepare_one
    from identilink.blocking import rule_codes

    frame = people_with_lists(400, seed=seed)
    order = np.random.default_rng(seed).permutation(len(frame))
    settings, table = prepare_one(frame, Settings(), None)
    rules = settings.blocking_rules
    assert rules is not None
    for rule in rules:  # computed before the take: carried over
        rule_codes(table, rule)
    taken = table.take(order)
    _, fresh = prepare_one(frame.iloc[order].reset_index(drop=True), Settings(), None)
    assert taken.ids.tolist() == [table.ids[i] for i in order]
    assert set(taken.value_sets) == set(fresh.value_sets) == {"email"}
    for role in fresh.values:
        (mine, my_values), (theirs, their_values) = taken.codes(role), fresh.codes(role)
        assert taken.values[role].tolist() == fresh.values[role].tolist()
        if role not in fresh.value_sets:
            assert mine.tolist() == theirs.tolist()
            assert my_values.tolist() == their_values.tolist()
    rows, values = taken.value_sets["email"]
    their_rows, their_values = fresh.value_sets["email"]
    assert rows.tolist() == their_rows.tolist()
    assert (
        taken.codes("email")[1][values].tolist() == fresh.codes("email")[1][their_values].tolist()
    )
    for rule in rules:
        assert _partition(rule_codes(taken, rule)) == _partition(rule_codes(fresh, rule))
        for key in rule.keys:
            assert _partition(taken.key_codes(key)) == _partition(fresh.key_codes(key))


@pytest.mark.parametrize("linking", [False, True])
def test_block_order_counts_given_rules_as_count_pairs_does(monkeypatch, linking: bool) -> None:
    """Without the budget's counts, the order counts each equality rule's pairs itself (0 for
    the others), as ``count_pairs`` counts them, and groups the largest rule's blocks."""
    from identilink import blocking
    from identilink._table import prepare
    from identilink.blocking import _equal_pairs, block_order, rule_codes

    frame = people_with_lists(600, seed=3).drop(columns=["email"])
    frames = [frame.iloc[:250], frame.iloc[250:]] if linking else [frame]
    roles = {r: r for r in ("first_name", "last_name", "dob", "postcode", "city")}
    table = prepare(frames, Settings(), roles, "record_id", names=["l", "r"][: len(frames)])
    rules = [
        BlockingRule(["dob"]),
        BlockingRule(["first_name"]),
        BlockingRule(["window(last_name, 3)"]),
    ]
    counted = count_pairs(table, rules)["pairs"].tolist()
    assert [_equal_pairs(table, r) for r in rules] == [*counted[:2], 0]
    monkeypatch.setattr(blocking, "_LOCAL_RECORDS", 0)
    monkeypatch.setattr(blocking, "_LOCAL_PAIRS", 0)
    order = block_order(table, rules)
    assert order is not None
    biggest = rules[int(np.argmax(counted[:2]))]
    codes = rule_codes(table, biggest)[order]
    runs = codes[1:] != codes[:-1]
    if linking:  # left records first, then right ones, each in blocks
        assert table.source is not None
        assert table.source[order].tolist() == sorted(table.source.tolist())
    assert int(runs.sum()) + 1 <= len(np.unique(codes)) * (2 if linking else 1)
