"""Invariants on generated records: the fast paths agree with slow references."""

from __future__ import annotations

import warnings
from itertools import combinations
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from identilink import BlockingRule, Comparison, Level, Settings
from identilink._table import IdentilinkWarning, prepare
from identilink.blocking import block, iter_pairs, rule_pairs
from identilink.cluster import components, reference_components
from identilink.compare import _PARALLEL_PAIRS, gammas, reference_gamma
from identilink.roles import default_comparisons
from tests.helpers import make_table
from tests.strategies import records

COMPARISONS = (
    *default_comparisons(["first_name", "last_name", "dob", "postcode"]),
    Comparison("postcode", [Level("numeric_distance", 10), Level("token_sort", 0.5)]),
    Comparison("first_name", [Level("jaro", 0.7), Level("damerau_levenshtein", 1)]),
)
RULES = [
    BlockingRule(["first_name", "last_name"]),
    BlockingRule(["dob", "soundex(last_name)"]),
    BlockingRule(["first(postcode, 2)"]),
]


def _all_pairs(table):
    pairs = list(combinations(range(table.n), 2))
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    return pairs, a, b


def _rows(table):  # normalised role -> value per record
    return [{r: table.values[r][i] for r in table.values} for i in range(table.n)]


@given(records())
@example(  # Jaro-Winkler("x", "xaa") is 0.8: rapidfuzz's score_cutoff once dropped it
    [
        {"id": 0, "first_name": "anna", "last_name": "anna", "dob": "2000-01-01", "postcode": "0"},
        {"id": 1, "first_name": "xaa", "last_name": None, "dob": None, "postcode": None},
        {"id": 2, "first_name": "x", "last_name": None, "dob": None, "postcode": None},
    ]
)
@example(  # 336 days apart past 2262, where pandas' timestamps end: days came out NaN
    [
        {"id": 0, "first_name": "a", "last_name": "b", "dob": "2261-06-01", "postcode": "0"},
        {"id": 1, "first_name": None, "last_name": None, "dob": "2262-05-02", "postcode": None},
    ]
)
def test_vectorised_gammas_agree_with_reference(rows) -> None:
    table = make_table(rows, roles=["first_name", "last_name", "dob", "postcode"])
    comparisons = [c for c in COMPARISONS if c.role in table.values]
    pairs, a, b = _all_pairs(table)
    normal = _rows(table)
    # both ways of scoring string metrics (each distinct pair of values once, or every
    # pair), the second with pairs in chunks of two and metrics in chunks of three; and
    # that on two threads, chunks and comparisons taken as the threads free up
    for repeated, chunk, threads in ((True, 500_000, False), (False, 3, False), (False, 3, True)):
        table.drop_caches()  # the decision on repeats is kept per table: judge afresh
        with (
            mock.patch("identilink.compare._mostly_repeated", return_value=repeated),
            mock.patch("identilink.compare._CHUNK", chunk),
            mock.patch("identilink.compare._PAIR_CHUNK", chunk - 1),
            mock.patch("identilink.compare._PARALLEL_PAIRS", 0 if threads else _PARALLEL_PAIRS),
        ):
            fast = gammas(table, comparisons, a, b)
        for k, (i, j) in enumerate(pairs):
            expected = [reference_gamma(c, normal[i], normal[j]) for c in comparisons]
            assert fast[k].tolist() == expected


def _pair_set(a: np.ndarray, b: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(a.tolist(), b.tolist(), strict=True))


CHUNKED_RULES = [
    BlockingRule(["last_name"]),
    BlockingRule(["tokens(first_name)"]),
    BlockingRule(["first(postcode, 1)"]),
    BlockingRule(["window(dob, 3)"]),
    BlockingRule(["first_name"]),
]


@given(records(), st.integers(1, 7), st.sampled_from([None, 2, 3]), st.booleans())
def test_pairs_in_chunks_are_each_pair_once_credited_to_its_first_rule(
    rows, chunk_pairs: int, max_block_size: int | None, linking: bool
) -> None:
    """iter_pairs against every rule's own pairs: each pair once, in the chunk of the first
    rule that makes it; block() the same pairs, whatever the chunk size."""
    roles = ["first_name", "last_name", "dob", "postcode"]
    if linking:
        half = len(rows) // 2
        frames = [pd.DataFrame(rows[:half] or rows[:1]), pd.DataFrame(rows[half:])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IdentilinkWarning)
            table = prepare(frames, Settings(), {r: r for r in roles}, None, names=["l", "r"])
    else:
        table = make_table(rows, roles=roles)
    rules = [r for r in CHUNKED_RULES if all(k.role in table.values for k in r.keys)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        chunks = list(
            iter_pairs(table, rules, max_block_size=max_block_size, chunk_pairs=chunk_pairs)
        )
        own = [_pair_set(*rule_pairs(table, r, max_block_size=max_block_size)) for r in rules]
        whole = block(table, rules, max_block_size=max_block_size)
        small = block(table, rules, max_block_size=max_block_size, chunk_pairs=chunk_pairs)
    got = [
        (pair, chunk.rule)
        for chunk in chunks
        for pair in zip(chunk.left.tolist(), chunk.right.tolist(), strict=True)
    ]
    pairs = [pair for pair, _ in got]
    assert len(pairs) == len(set(pairs))  # each pair once
    expected = {}
    for number, made in enumerate(own):
        for pair in made:
            expected.setdefault(pair, number)
    assert dict(got) == expected
    assert sorted(pairs) == list(zip(whole.left.tolist(), whole.right.tolist(), strict=True))
    assert small.left.tolist() == whole.left.tolist()
    assert small.right.tolist() == whole.right.tolist()
    assert small.rule_stats.equals(whole.rule_stats)
    assert whole.rule_stats["pairs"].tolist() == [len(m) for m in own]
    assert whole.rule_stats["new_pairs"].tolist() == [
        sum(1 for v in expected.values() if v == k) for k in range(len(rules))
    ]


@given(records())
def test_comparisons_are_symmetric_and_bounded(rows) -> None:
    table = make_table(rows, roles=["first_name", "last_name", "dob", "postcode"])
    comparisons = [c for c in COMPARISONS if c.role in table.values]
    _, a, b = _all_pairs(table)
    forward, backward = gammas(table, comparisons, a, b), gammas(table, comparisons, b, a)
    assert (forward == backward).all()
    for j, c in enumerate(comparisons):
        assert forward[:, j].min(initial=0) >= -1
        assert forward[:, j].max(initial=0) <= len(c.levels)


@given(records())
def test_blocked_pairs_are_exactly_the_brute_force_pairs(rows) -> None:
    table = make_table(rows, roles=["first_name", "last_name", "dob", "postcode"])
    rules = [r for r in RULES if all(k.role in table.values for k in r.keys)]
    result = block(table, rules, max_block_size=None)
    got = set(zip(result.left.tolist(), result.right.tolist(), strict=True))
    assert len(got) == len(result.left)  # no pair twice
    keys = [[table.key_codes(k) for k in r.keys] for r in rules]
    expected = {
        (i, j)
        for i, j in combinations(range(table.n), 2)
        if any(all(c[i] >= 0 and c[i] == c[j] for c in rule) for rule in keys)
    }
    assert got == expected  # so in particular a subset of all pairs


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        )
    )
)
def test_clusters_partition_records_and_match_union_find(case) -> None:
    n, edges = case
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    labels = components(n, a, b)
    assert len(labels) == n  # every record in exactly one cluster
    assert labels.tolist() == reference_components(n, a, b).tolist()
    for x, y in edges:
        assert labels[x] == labels[y]
