"""Multi-valued and sorted-neighbourhood blocking against record-by-record references."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identilink import BlockingRule
from identilink._table import Table, prepare
from identilink.blocking import block, count_pairs, in_rule
from identilink.config import Settings
from identilink.errors import ConfigurationError
from tests.helpers import make_table

_WORD = st.text(alphabet="abc", min_size=1, max_size=4)
_VALUE = st.one_of(st.none(), st.lists(_WORD, min_size=1, max_size=3).map(" ".join))
_CITY = st.one_of(st.none(), st.sampled_from(["x", "y"]))
_ROWS = st.lists(st.tuples(_VALUE, _CITY), min_size=0, max_size=14)


def _table(rows: list[tuple[str | None, str | None]]) -> Table:
    rows = [("zz", "x"), *rows]  # one full row: a column of nulls only would be dropped
    return make_table(
        [{"id": i, "last_name": v, "city": c} for i, (v, c) in enumerate(rows)],
        roles=["last_name", "city"],
    )


def _pairs(table: Table, rule: str, max_block_size: int | None = None) -> set[tuple[int, int]]:
    result = block(table, [BlockingRule(rule.split("&"))], max_block_size=max_block_size)
    return set(zip(result.left.tolist(), result.right.tolist(), strict=True))


def _pieces(value: str, transform: str) -> set[str]:
    if transform == "qgrams":
        return {value[i : i + 2] for i in range(max(len(value) - 1, 1))}
    if transform == "tokens":
        return set(value.split())
    return _minhash_reference(value)


def _minhash_reference(value: str, bands: int = 4) -> set[str]:
    """Band keys of one value, word by word (the vectorised code's definition)."""
    prime = (1 << 31) - 1
    rng = np.random.default_rng(0x1D)
    mult = rng.integers(1, prime, size=(bands, 2), dtype=np.int64).tolist()
    add = rng.integers(0, prime, size=(bands, 2), dtype=np.int64).tolist()
    ids = [zlib.crc32(w.encode()) for w in value.split()]
    keys = set()
    for band in range(bands):
        hashes = [min((mult[band][i] * x + add[band][i]) % prime for x in ids) for i in (0, 1)]
        keys.add(f"{band}:{hashes[0]},{hashes[1]}")
    return keys


def _reference(
    table: Table, transform: str, with_city: bool, max_block_size: int | None
) -> set[tuple[int, int]]:
    names, cities = table.values["last_name"], table.values["city"]
    keys: dict[int, set[tuple[object, str]]] = {}
    for i in range(table.n):
        if pd.isna(names[i]) or (with_city and pd.isna(cities[i])):
            continue
        city = cities[i] if with_city else None
        keys[i] = {(city, p) for p in _pieces(str(names[i]), transform)}
    holders: dict[tuple[object, str], list[int]] = {}
    for i, ks in keys.items():
        for k in ks:
            holders.setdefault(k, []).append(i)
    pairs = set()
    for members in holders.values():
        if max_block_size is None or len(members) <= max_block_size:
            pairs.update(itertools.combinations(sorted(members), 2))
    return pairs


@pytest.mark.parametrize("transform", ["qgrams", "tokens", "minhash"])
@settings(max_examples=150, deadline=None)
@given(rows=_ROWS, with_city=st.booleans(), cap=st.sampled_from([None, 2, 3]))
def test_multi_valued_keys_agree_with_the_reference(
    transform: str, rows: list[tuple[str | None, str | None]], with_city: bool, cap: int | None
) -> None:
    table = _table(rows)
    arg = {"qgrams": ", 2", "tokens": "", "minhash": ", 4"}[transform]
    rule = f"{transform}(last_name{arg})" + ("&city" if with_city else "")
    expected = _reference(table, transform, with_city, cap)
    if cap is not None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _pairs(table, rule, cap) == expected
    else:
        assert _pairs(table, rule) == expected
        a = np.array([p[0] for p in sorted(expected)], dtype=np.int64)
        b = np.array([p[1] for p in sorted(expected)], dtype=np.int64)
        assert in_rule(table, BlockingRule(rule.split("&")), a, b).all()
        # the count adds up blocks: at least the distinct pairs
        assert count_pairs(table, [BlockingRule(rule.split("&"))])["pairs"][0] >= len(expected)


@settings(max_examples=200, deadline=None)
@given(rows=_ROWS, window=st.integers(2, 4), with_city=st.booleans())
def test_sorted_neighbourhood_agrees_with_the_reference(
    rows: list[tuple[str | None, str | None]], window: int, with_city: bool
) -> None:
    table = _table(rows)
    names, cities = table.values["last_name"], table.values["city"]
    present = [
        i
        for i in range(table.n)
        if not pd.isna(names[i]) and not (with_city and pd.isna(cities[i]))
    ]
    expected = set()
    groups = itertools.groupby(
        sorted(present, key=lambda i: (str(cities[i]) if with_city else "", str(names[i]), i)),
        key=lambda i: str(cities[i]) if with_city else "",
    )
    for _, members in groups:
        ordered = list(members)
        for x, i in enumerate(ordered):
            for j in ordered[x + 1 : x + window]:
                expected.add((min(i, j), max(i, j)))
    rule = f"window(last_name, {window})" + ("&city" if with_city else "")
    assert _pairs(table, rule) == expected
    assert count_pairs(table, [BlockingRule(rule.split("&"))])["pairs"][0] == len(expected)


def test_link_mode_pairs_cross_the_sides() -> None:
    left = pd.DataFrame({"id": [1, 2], "last_name": ["anna smith", "bob jones"]})
    right = pd.DataFrame({"id": [1, 2], "last_name": ["smith", "jonas"]})
    table = prepare([left, right], Settings(), {"last_name": "last_name"}, "id", names=["l", "r"])
    result = block(table, [BlockingRule(["tokens(last_name)"])], max_block_size=None)
    assert sorted(zip(result.left.tolist(), result.right.tolist(), strict=True)) == [(0, 2)]
    window = block(table, [BlockingRule(["window(last_name, 3)"])], max_block_size=None)
    pairs = list(zip(window.left.tolist(), window.right.tolist(), strict=True))
    assert len(pairs) == 3  # sorted: anna smith, bob jones, jonas, smith; window 3
    assert all(table.source[a] == 0 and table.source[b] == 1 for a, b in pairs)


def test_one_special_key_per_rule() -> None:
    with pytest.raises(ConfigurationError, match="at most one"):
        BlockingRule(["qgrams(last_name)", "window(first_name)"])
    with pytest.raises(ConfigurationError, match="larger"):
        BlockingRule(["window(last_name, 1)"])


def test_a_multi_valued_rule_with_too_many_pairs_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import identilink.blocking as blocking

    monkeypatch.setattr(blocking, "_PAIR_LIMIT", 5)
    table = _table([("ab ab", "x"), ("ab", "x"), ("ab c", "y"), ("ab d", "y")])
    with pytest.raises(ConfigurationError, match="would make 6 pairs"):
        _pairs(table, "tokens(last_name)")
    assert _pairs(table, "tokens(last_name)&city") == {(1, 2), (3, 4)}


@given(st.lists(_VALUE, min_size=0, max_size=12), st.sampled_from(["qgrams", "tokens", "minhash"]))
def test_key_pieces_as_text_are_the_table_keys(values: list[str | None], transform: str) -> None:
    """What an engine holding values in parts computes (text keys, value by value) shares a
    key between two values exactly when the whole-table numbering does."""
    from identilink.blocking import _key_sets, key_pieces
    from identilink.config import Key

    rows = [("zz", "x"), *[(v, "x") for v in values]]
    table = make_table(
        [{"id": i, "last_name": v, "city": c} for i, (v, c) in enumerate(rows)],
        roles=["last_name", "city"],
    )
    key = Key("last_name", transform, 4 if transform == "minhash" else 2)
    record, codes = _key_sets(table, key)
    texts = key_pieces(key, list(table.values["last_name"]))
    flat = [t for each in texts for t in each]
    assert len(flat) == len(codes)  # the same keys, record by record, in the same order
    assert record.tolist() == [i for i, each in enumerate(texts) for _ in each]
    pairs = set(zip(codes.tolist(), flat, strict=True))
    assert len({c for c, _ in pairs}) == len(pairs) == len({t for _, t in pairs})  # a bijection
