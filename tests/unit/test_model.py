from __future__ import annotations

import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from identilink import Comparison, FellegiSunterModel, Level, ModelError, Settings
from identilink.model import ComparisonModel, _distinct_rows, compress, em

COMPARISON = Comparison("dob", [Level("exact")])


def test_compress_counts_distinct_rows() -> None:
    g = np.array([[0, -1], [0, -1], [1, 0], [0, -1]], dtype=np.int8)
    patterns, counts = compress(g)
    as_dict = {tuple(p): c for p, c in zip(patterns.tolist(), counts.tolist(), strict=True)}
    assert as_dict == {(0, -1): 3.0, (1, 0): 1.0}


@given(
    st.lists(st.tuples(*[st.integers(-1, 3)] * 4), min_size=1, max_size=60),
    st.lists(st.booleans(), min_size=60, max_size=60),
    st.sets(st.integers(0, 3), min_size=1),
)
def test_a_session_counted_from_distinct_rows_equals_one_sorted_from_its_pairs(
    rows: list[tuple[int, ...]], in_session: list[bool], free_set: set[int]
) -> None:
    """The fast path of training's EM sessions against compressing the session's own pairs."""
    g = np.array(rows, dtype=np.int8)
    mask = np.array(in_session[: len(rows)])
    free = sorted(free_set)
    if not mask.any():
        return
    expected_rows, expected_counts = compress(g[mask][:, free])
    patterns, inverse = _distinct_rows(g)
    per_row = np.bincount(inverse[mask], minlength=len(patterns)).astype(np.float64)
    present = per_row > 0
    got_rows, got_counts = compress(patterns[present][:, free], per_row[present])
    np.testing.assert_array_equal(got_rows, expected_rows)
    np.testing.assert_array_equal(got_counts, expected_counts)


@given(
    st.lists(st.tuples(*[st.integers(-1, 5)] * 3), min_size=1, max_size=60),
    st.booleans(),
)
def test_distinct_rows_agree_with_numpy_unique(rows: list[tuple[int, ...]], dense: bool) -> None:
    """Both fast paths (counting in a table of possible rows, or sorting packed rows)."""
    g = np.array(rows, dtype=np.int8)
    expected, expected_inverse = np.unique(g, axis=0, return_inverse=True)
    with mock.patch("identilink.model._DENSE_ROWS", 1 << 24 if dense else 0):
        patterns, inverse = _distinct_rows(g)
    np.testing.assert_array_equal(patterns, expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())
    assert patterns.dtype == np.int8


def test_em_recovers_known_parameters() -> None:
    # two comparisons, each exact (0) or else (1); simulate a mixture with known m, u, prior
    rng = np.random.default_rng(1)
    n, prior = 200_000, 0.2
    m, u = [0.9, 0.8], [0.05, 0.1]
    match = rng.random(n) < prior
    g = np.empty((n, 2), dtype=np.int8)
    for j in range(2):
        agree = np.where(match, rng.random(n) < m[j], rng.random(n) < u[j])
        g[:, j] = np.where(agree, 0, 1)
    patterns, counts = compress(g)
    u_arrays = [np.array([u[j], 1 - u[j]]) for j in range(2)]
    m_hat, prior_hat, _, converged = em(patterns, counts, u_arrays, max_iterations=500)
    assert converged
    assert prior_hat == pytest.approx(prior, abs=0.02)
    for j in range(2):
        assert m_hat[j][0] == pytest.approx(m[j], abs=0.02)


def _model() -> FellegiSunterModel:
    return FellegiSunterModel(
        comparisons=(ComparisonModel(COMPARISON, (0.9, 0.1), (0.01, 0.99)),),
        prior=0.001,
        settings=Settings(),
    )


def test_weights_and_probability() -> None:
    model = _model()
    bf = model.comparisons[0].log2_bayes_factors()
    assert bf[0] == pytest.approx(np.log2(90))
    assert bf[-1] == 0.0  # the null level adds nothing
    p = FellegiSunterModel.probability(np.array([0.0, 10.0, -2000.0]))
    assert p[0] == pytest.approx(0.5)
    assert p[1] == pytest.approx(1024 / 1025)
    assert p[2] < 1e-300


def test_json_round_trip_and_versioning() -> None:
    model = _model()
    assert FellegiSunterModel.from_json(model.to_json()) == model
    data = json.loads(model.to_json())
    data["version"] = 99
    with pytest.raises(ModelError, match="version 99"):
        FellegiSunterModel.from_dict(data)
    with pytest.raises(ModelError, match="not an identilink model"):
        FellegiSunterModel.from_dict({"format": "pickle"})
    with pytest.raises(ModelError):
        ComparisonModel(COMPARISON, (0.9,), (0.5, 0.5))
    with pytest.raises(ModelError):
        ComparisonModel(COMPARISON, (1.5, -0.5), (0.5, 0.5))


def test_fit_on_counts_in_any_order_is_train_to_the_last_bit() -> None:
    """What another engine hands ``fit`` (distinct gamma rows in its own order, counts per
    rule) fits the model ``train`` fits on the pairs themselves."""
    import identilink
    from identilink._pipeline import _usable, prepare_one
    from identilink.bench.datasets import load_febrl
    from identilink.blocking import block, in_rule, pattern_counts
    from identilink.compare import gammas
    from identilink.model import fit, sample_gammas, total_pairs, train

    frame = load_febrl(3).drop(columns=["entity"]).iloc[:1500]
    settings, table = prepare_one(frame, identilink.Settings())
    comparisons, _ = _usable(settings, table)
    rules = settings.blocking_rules
    assert rules is not None
    pairs = block(table, rules, max_block_size=settings.max_block_size)
    g = gammas(table, comparisons, pairs.left, pairs.right)
    masks = [in_rule(table, r, pairs.left, pairs.right) for r in rules]
    roles = [{k.role for k in r.keys} for r in rules]
    expected = train(table, settings, comparisons, g, in_rule=masks, rule_roles=roles)
    # counting each rule's patterns without its mask fits the same model
    counted = train(
        table,
        settings,
        comparisons,
        g,
        rule_roles=roles,
        rule_counts=lambda inverse, n: pattern_counts(
            table, rules, pairs.left, pairs.right, inverse, n
        ),
    )
    assert counted == expected

    rows, inverse = np.unique(g, axis=0, return_inverse=True)
    shuffle = np.random.default_rng(3).permutation(len(rows))  # rows in some other order
    where = np.argsort(shuffle)[inverse.ravel()]
    counts = np.bincount(where, minlength=len(rows)).astype(np.float64)
    per_rule = [np.bincount(where[m], minlength=len(rows)).astype(np.float64) for m in masks]
    sample = compress(sample_gammas(table, comparisons, n_pairs=settings.u_sample_pairs, seed=42))
    got = fit(
        settings,
        comparisons,
        (sample[0][::-1], sample[1][::-1]),
        (rows[shuffle], counts, per_rule),
        rule_roles=roles,
        total_pairs=total_pairs(table.n, table.source),
    )
    assert got == expected


@pytest.mark.parametrize(
    "rule", ["last_name & first(first_name, 1)", "window(last_name, 4)", "tokens(street)"]
)
def test_pattern_counts_are_the_counts_under_the_rules_mask(rule: str) -> None:
    """Per rule, how often each pattern occurs among the pairs the rule makes: the compiled
    count of an equality rule and the masked count of the others against counting the mask."""
    import identilink
    from identilink._pipeline import prepare_one
    from identilink.bench.datasets import load_febrl
    from identilink.blocking import block, in_rule, pattern_counts
    from identilink.config import BlockingRule

    frame = load_febrl(3).drop(columns=["entity"]).iloc[:800]
    settings, table = prepare_one(frame, identilink.Settings())
    rules = settings.blocking_rules
    assert rules is not None
    pairs = block(table, rules, max_block_size=settings.max_block_size)
    a, b = pairs.left, pairs.right
    inverse = np.random.default_rng(0).integers(0, 7, len(a)).astype(np.intp)
    parsed = BlockingRule([k.strip() for k in rule.split("&")])
    mask = in_rule(table, parsed, a, b, max_block_size=settings.max_block_size)
    assert mask.any()
    assert not mask.all()
    # counted beside the run's own rules (equality rules are counted together)
    every = [*rules, parsed]
    got = pattern_counts(table, every, a, b, inverse, 7, max_block_size=settings.max_block_size)
    assert len(got) == len(every)
    for rule, counts in zip(every, got, strict=True):
        masked = in_rule(table, rule, a, b, max_block_size=settings.max_block_size)
        np.testing.assert_array_equal(counts, np.bincount(inverse[masked], minlength=7))
