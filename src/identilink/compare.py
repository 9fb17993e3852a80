"""Comparison vectors: for each candidate pair and comparison, the first level that holds.

Gamma values: ``0`` is the first (most similar) level, ``len(levels)`` the else level and
``-1`` null (either value missing). :func:`gammas` is the vectorised engine: each level is
one compiled pass over the pairs still undecided (:mod:`identilink._kernels`); string
metrics run in bulk through rapidfuzz's ``cpdist`` (once per *distinct* pair of values where
those repeat), after a bound from character counts has ruled out the pairs that cannot reach
any level; :func:`reference_gamma` is the slow per-pair oracle the tests hold it to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, Jaro, JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from identilink import _kernels
from identilink._sort import ranks
from identilink._table import Table
from identilink.config import Comparison, Key, Level
from identilink.normalize.names import canonical_given_name
from identilink.normalize.phone import national_number

__all__ = ["SCORERS", "gamma", "gammas", "reference_gamma"]

Index = npt.NDArray[np.int64]
Gamma = npt.NDArray[np.int8]

#: String metrics: (scorer for one pair, scorer for cpdist, is it a similarity?).
SCORERS: dict[str, tuple[Callable[..., float], Callable[..., float], bool]] = {
    "jaro_winkler": (JaroWinkler.normalized_similarity, JaroWinkler.normalized_similarity, True),
    "jaro": (Jaro.normalized_similarity, Jaro.normalized_similarity, True),
    "levenshtein": (Levenshtein.distance, Levenshtein.distance, False),
    "damerau_levenshtein": (DamerauLevenshtein.distance, DamerauLevenshtein.distance, False),
    "token_sort": (
        lambda a, b: fuzz.token_sort_ratio(a, b) / 100.0,
        fuzz.token_sort_ratio,
        True,
    ),
}
_EPS = 1e-9


def _passes(
    kind: str, score: float | npt.NDArray[np.float64], threshold: float
) -> npt.NDArray[np.bool_]:
    if SCORERS[kind][2]:
        return np.asarray(score >= threshold - _EPS)
    return np.asarray(score <= threshold + _EPS)


def _metric_scores(
    kind: str,
    codes: Index,
    uniques: npt.NDArray[np.object_],
    a: Index,
    b: Index,
    cutoff: float,
    repeated: bool = False,
) -> npt.NDArray[np.float64]:
    """``kind`` scores of ``uniques[codes[a]]`` vs ``uniques[codes[b]]`` (all non-null).

    ``cutoff`` is the loosest threshold any level asks of this metric; rapidfuzz stops early
    on pairs that cannot reach it (they score 0, or cutoff + 1 for distances), which no level
    can tell apart from their true score (the caller gives the pairs that a bound from
    character counts rules out such a score without asking, :func:`_level_scores`).
    ``repeated``: score each distinct pair of values once (the caller judges whether they
    repeat enough, :func:`_mostly_repeated`).
    """
    ca, cb = codes[a], codes[b]
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    width = np.int64(len(uniques))
    inverse: npt.NDArray[np.intp] | None = None
    if repeated:  # score each distinct pair of values once
        inverse, distinct = pd.factorize(lo * width + hi)
        lo, hi = distinct // width, distinct % width
    # else scoring every pair costs less than finding the distinct ones (measured: 1.5x)
    is_similarity = SCORERS[kind][2]
    # rapidfuzz's early exit is not exact to the last bit (e.g. Jaro-Winkler of "x" and "xaa"
    # is 0.8 yet dropped at a cutoff of 0.8 - 1e-9), so similarities get a looser cutoff and
    # the exact threshold is applied afterwards by _passes
    if kind == "token_sort":
        score_cutoff: float = max(cutoff * 100.0 - 1e-3, 0.0)
    elif is_similarity:
        score_cutoff = max(cutoff - 1e-6, 0.0)
    else:
        score_cutoff = int(cutoff)
    # in chunks: rapidfuzz converts every string of a call up front (chunks of 100k pairs
    # instead of one call cut the comparing peak by 120 MiB at 2.65M pairs)
    scores = np.empty(len(lo), dtype=np.float64)
    for start in range(0, len(lo), _CHUNK):
        part = slice(start, start + _CHUNK)
        scores[part] = cpdist(
            uniques[lo[part]],
            uniques[hi[part]],
            scorer=SCORERS[kind][1],
            score_cutoff=score_cutoff,
            workers=-1,
        )
    if kind == "token_sort":
        scores = scores / 100.0
    return scores if inverse is None else scores[inverse]


_CHUNK = 100_000

# -- a bound before the metric ------------------------------------------------------------
#
# Most candidate pairs fail every fuzzy level (at 1M generated records: 95% of street pairs,
# 60% of e-mails), and converting their strings for rapidfuzz is most of a metric's cost.
# Character counts bound the metrics from one side: an edit changes the counts by at most
# 2 (a substitution; a transposition by 0), so Levenshtein and Damerau-Levenshtein distances
# are at least half the L1 distance of the counts; the Jaro matches ``m`` are at most the
# shared counts ``(|x| + |y| - L1) / 2``, Jaro at most ``(m/|x| + m/|y| + 1) / 3``, and
# Jaro-Winkler at most that plus ``0.1 * prefix * (1 - jaro)``. Counting characters in
# ``_BUCKETS`` buckets (the most frequent characters of the column one each, the rest
# sharing the last) only loosens the bounds: merged counts have a smaller L1 distance.

_BUCKETS = _kernels.COUNTS
_PREFIX = _kernels.PREFIX  # Jaro-Winkler's longest counted prefix
_FILTERED = frozenset({"levenshtein", "damerau_levenshtein", "jaro", "jaro_winkler"})


class _Profile(NamedTuple):
    """Per distinct value one 32-byte row (half a cache line: one miss per value when a
    pair's rows are gathered): bytes 0-26 its character counts per bucket, byte 27 its
    length, bytes 28-31 its first code points (one byte each, ``cp % 255 + 1``, 0 past the
    end: bytes that differ mean code points that differ, so a prefix counted on them is
    never shorter). A value of 255 characters or more has 255 (``UNCHECKED``) as its first
    count and is never ruled out. 27 buckets and the rest in one row, instead of 32 buckets
    and a second array: with the distance taken in word arithmetic, the bound ran 1.4x
    faster at 1M records, and street pairs left to the metric went from 2.3% to 2.8%
    (benchmarks/README.md)."""

    rows: npt.NDArray[np.uint8]  # (n, 32)

    @property
    def words(self) -> npt.NDArray[np.uint64]:
        """The rows as four 64-bit words each, the first byte in the lowest bits."""
        return self.rows.view("<u8")


def _profile(uniques: npt.NDArray[np.object_]) -> _Profile:
    """Profiles of ``uniques`` (strings), in one compiled pass over one encoding of them."""
    n = len(uniques)
    lengths = np.fromiter(map(len, uniques), dtype=np.int64, count=n)
    points = np.frombuffer("".join(uniques).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # the most frequent characters get their own bucket, the others share the last one
    # (frequencies by bincount over code points: no sort of the text)
    frequency = np.bincount(points)
    top = np.argsort(-frequency, kind="stable")[: _BUCKETS - 1]
    bucket_of = np.full(len(frequency), _BUCKETS - 1, dtype=np.uint8)
    bucket_of[top] = np.arange(len(top))
    rows = np.zeros((n, 32), dtype=np.uint8)
    _kernels.profile_rows(points, lengths, bucket_of, rows)
    return _Profile(rows)


#: edit distances :func:`identilink._kernels.short_edits` computes exactly, up to this cutoff
_SHORT_EDITS = {"levenshtein": 2, "damerau_levenshtein": 1}


def _spelled(
    uniques: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]] | None:
    """Each value of at most ``SHORT`` code points spelt out (a row each, zeros past its end;
    a longer value's row stays zeros) and every value's length, for
    :func:`identilink._kernels.short_edits`; ``None`` when most values are longer (e-mail
    addresses, streets: pairs of one short length too rare to pay for a pass)."""
    short = _kernels.SHORT
    lengths = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques))
    if len(lengths) == 0 or np.median(lengths) > short:
        return None
    points = np.zeros((len(uniques), short), dtype=np.uint32)
    fits = np.flatnonzero(lengths <= short)
    text = "".join(uniques[fits]).encode("utf-32-le", "surrogatepass")
    flat = np.frombuffer(text, dtype=np.uint32)
    sizes = lengths[fits]
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)  # each code point's value's start
    points[np.repeat(fits, sizes), np.arange(len(flat)) - starts] = flat
    return points, lengths


def _reach(
    profile: _Profile, kind: str, cutoff: float, codes: Index, a: Index, b: Index, todo: Index
) -> Index:
    """The pairs of ``todo`` (positions into ``a``/``b``) whose ``kind`` score may reach
    ``cutoff``, told by the profiles of ``codes[a]`` and ``codes[b]``."""
    mode = _kernels.EDIT if kind in {"levenshtein", "damerau_levenshtein"} else _kernels.JARO
    if kind == "jaro_winkler":
        mode = _kernels.JARO_WINKLER
    result: Index = _kernels.reach(codes, profile.words, a, b, todo, float(cutoff), mode)
    return result


def _mostly_repeated(packed: Index) -> bool:
    """Do most pairs of values repeat? Judged on an even sample of at most 50,000 pairs,
    where repeats are rarer than in the whole, so "yes" is safe."""
    sample = packed[:: max(1, len(packed) // 50_000)]
    return len(sample) > 0 and len(np.unique(sample)) < 0.5 * len(sample)


#: level kinds decided by equality of a per-value key
_KEYED = {"email_local": "email_local", "nickname": "nickname", "phone_nsn": "nsn"}


def _short_nsn_level(
    table: Table, role: str, a: Index, b: Index, todo: Index, out: Gamma, level: int
) -> Index:
    """The ``phone_short_nsn`` level over ``todo``, in integer arithmetic for national numbers
    of up to 18 ASCII digits (:func:`identilink._kernels.short_nsn`); any other text goes
    through numpy's string ops. Returns the pairs it does not hold for."""
    key = Key(role=role, transform="nsn")
    codes = table.key_codes(key)
    nsn = table.key_values(key)
    number, length = table._memoised(("nsn_digits", role, ""), lambda: _as_numbers(nsn))
    rest, text = _kernels.short_nsn(codes, number, length, a, b, todo, out, level)
    if len(text) == 0:
        return cast(Index, rest)
    xs = nsn[codes[a[text]]].astype(str)
    ys = nsn[codes[b[text]]].astype(str)
    hit = np.char.endswith(xs, ys) | np.char.endswith(ys, xs)
    out[text[hit]] = level
    return np.sort(np.concatenate([rest, text[~hit]]))


def _as_numbers(nsn: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.int64], Index]:
    """Each distinct national number as an integer and its digit count (0: not 1-18 ASCII
    digits, left to the string path)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(nsn, type=pa.string(), from_pandas=True)
    digits = pc.fill_null(pc.match_substring_regex(text, "^[0-9]{1,18}$"), False)
    number = pc.cast(pc.if_else(digits, text, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    length = pc.if_else(digits, pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
    return number.astype(np.int64), length.astype(np.int64)


def gamma(table: Table, comparison: Comparison, a: Index, b: Index, /) -> Gamma:
    """Gamma of one comparison for the pairs ``(a[i], b[i])``: each level in one compiled
    pass over the pairs the levels before it left undecided (:mod:`identilink._kernels`).

    Where records hold several values of the role (list cells), a pair gets the best level
    any two of their values reach: any shared e-mail is an exact match."""
    out = _gamma_of_values(table, comparison, a, b)
    if comparison.role in table.value_sets:
        _best_of_values(table, comparison, a, b, out)
    return out


def _best_of_values(table: Table, comparison: Comparison, a: Index, b: Index, out: Gamma) -> None:
    """Lower ``out`` to the best level of any two values of the pairs where a record holds
    several: every value pair is compared (on a table whose records are the values)."""
    role = comparison.role
    first, count, values = table._memoised(
        ("value spans", role, ""), lambda: _value_spans(table, role)
    )
    several = np.flatnonzero((count[a] > 1) | (count[b] > 1))
    several = several[(count[a[several]] > 0) & (count[b[several]] > 0)]
    if len(several) == 0:
        return
    x, y = a[several], b[several]
    per_pair = count[x] * count[y]
    owner = np.repeat(np.arange(len(several), dtype=np.int64), per_pair)
    rank = ranks(per_pair)
    width = count[y][owner]
    left = first[x][owner] + rank // width
    right = first[y][owner] + rank % width
    _, uniques = table.codes(role)
    elements = table._memoised(
        ("value table", role, ""),
        lambda: Table(
            np.arange(len(values)).astype(object),
            {role: uniques[values]},
            [],
            codes={role: (values, uniques)},
        ),
    )
    levels = _gamma_of_values(elements, comparison, left, right)
    starts = np.cumsum(per_pair) - per_pair
    # each value is valid, so no level is null (-1): the best is the smallest
    best = np.minimum.reduceat(levels, starts)
    current = out[several]
    out[several] = np.where(current < 0, best, np.minimum(current, best))


def _value_spans(table: Table, role: str) -> tuple[Index, Index, Index]:
    """Per record, where its values start in :meth:`Table.all_values` and how many it has;
    and the values' codes."""
    records, values = table.all_values(role)
    count = np.bincount(records, minlength=table.n).astype(np.int64)
    return np.cumsum(count) - count, count, values


def _gamma_of_values(table: Table, comparison: Comparison, a: Index, b: Index) -> Gamma:
    """Gamma of one comparison on each record's (first) value."""
    role = comparison.role
    codes, uniques = table.codes(role)
    out = np.empty(len(a), dtype=np.int8)
    levels = comparison.levels
    first = 0
    if levels[0].kind == "exact":  # the usual first level, in the same pass as the nulls
        todo: Index = _kernels.start_exact(codes, a, b, len(levels), out)
        first = 1
    else:
        todo = _kernels.start(codes, a, b, len(levels), out)
    scores: dict[str, npt.NDArray[np.float64]] = {}  # a string metric's, once per kind
    for index, level in enumerate(levels[first:], start=first):
        if len(todo) == 0:
            break
        kind = level.kind
        if kind == "exact":
            todo = _sift(_kernels.SAME_KEY, a, b, todo, out, index, ints=codes)
        elif kind in _KEYED:
            keyed = table.key_codes(Key(role=role, transform=_KEYED[kind]))
            todo = _sift(_kernels.SAME_KEY, a, b, todo, out, index, ints=keyed)
        elif kind == "phone_short_nsn":
            todo = _short_nsn_level(table, role, a, b, todo, out, index)
        elif kind == "swapped":
            assert level.other is not None
            if level.other in table.values:
                mine, theirs = table.shared_codes(role, level.other)
                todo = _sift(_kernels.SWAPPED, a, b, todo, out, index, ints=mine, more=theirs)
        elif kind in {"date_distance", "numeric_distance"}:
            assert level.threshold is not None
            if kind == "date_distance":
                values, limit = table.days(role), float(level.threshold)
            else:
                values, limit = table.numbers(role), level.threshold + _EPS
            todo = _sift(_kernels.WITHIN, a, b, todo, out, index, floats=values, limit=limit)
        else:
            assert level.threshold is not None
            if kind not in scores:
                # undecided pairs only shrink from level to level, so the first level of a
                # metric scores every pair its later levels can see
                scores[kind] = _level_scores(table, comparison, kind, codes, uniques, a, b, todo)
            threshold = float(level.threshold)
            at_least = SCORERS[kind][2]  # a similarity reaches up to it, a distance down
            todo = _sift(
                _kernels.AT_LEAST if at_least else _kernels.AT_MOST,
                a,
                b,
                todo,
                out,
                index,
                floats=scores[kind],
                limit=threshold - _EPS if at_least else threshold + _EPS,
            )
    return out


def _sift(
    test: int,
    a: Index,
    b: Index,
    todo: Index,
    out: Gamma,
    level: int,
    *,
    ints: Index = _kernels.NO_INTS,
    more: Index = _kernels.NO_INTS,
    floats: npt.NDArray[np.float64] = _kernels.NO_FLOATS,
    limit: float = 0.0,
) -> Index:
    """:func:`identilink._kernels.sift` with the operands its test does not use left out."""
    rest: Index = _kernels.sift(test, ints, more, floats, limit, a, b, todo, out, level)
    return rest


def _level_scores(
    table: Table,
    comparison: Comparison,
    kind: str,
    codes: Index,
    uniques: npt.NDArray[np.object_],
    a: Index,
    b: Index,
    todo: Index,
) -> npt.NDArray[np.float64]:
    """Per pair, the ``kind`` score of the pairs of ``todo``: rapidfuzz's for those whose
    character counts leave the loosest threshold in reach, a failing score for the others
    (and for the pairs outside ``todo``, which no level of this metric will look at)."""
    thresholds = [lv.threshold for lv in comparison.levels if lv.kind == kind]
    is_similarity = SCORERS[kind][2]
    loosest = (min if is_similarity else max)(t for t in thresholds if t is not None)
    scores = np.full(len(a), 0.0 if is_similarity else float(int(loosest)) + 1.0)
    role = comparison.role
    if kind in _FILTERED:
        profile = table._memoised(("profile", role, ""), lambda: _profile(uniques))
        todo = _reach(profile, kind, loosest, codes, a, b, todo)
    if _SHORT_EDITS.get(kind, -1) >= loosest:  # after the bound: it rules out more, faster
        spelled = table._memoised(("spelled", role, ""), lambda: _spelled(uniques))
        if spelled is not None:  # pairs of one short length: their distance, here
            todo = _kernels.short_edits(
                codes, *spelled, a, b, todo, kind == "damerau_levenshtein", int(loosest), scores
            )
    if len(todo) == 0:
        return scores
    ta, tb = a[todo], b[todo]
    # whether value pairs repeat is judged on a comparison's first chunk of pairs, once
    # (a sample's distinct count cost 10 ms a chunk)
    repeated = table._memoised(
        ("repeated", comparison.role, kind),
        lambda: _mostly_repeated(
            np.minimum(codes[ta], codes[tb]) * len(uniques) + np.maximum(codes[ta], codes[tb])
        ),
    )
    scores[todo] = _metric_scores(kind, codes, uniques, ta, tb, loosest, repeated=repeated)
    return scores


def gammas(table: Table, comparisons: Sequence[Comparison], a: Index, b: Index, /) -> Gamma:
    """The comparison-vector matrix, one column per comparison, for pairs ``(a, b)``.

    Pairs go in chunks of ``_PAIR_CHUNK`` (a comparison's temporaries were traced at 60-100
    bytes a pair, so memory stays bounded whatever the pair count), and comparisons run on two
    threads for large inputs: their numpy and rapidfuzz work releases the GIL.
    """
    # column-major: a comparison writes one contiguous run of a chunk, and the results'
    # columns are views of it (a copy per column read the whole matrix once per column)
    out = np.empty((len(a), len(comparisons)), dtype=np.int8, order="F")
    if len(a) < _PARALLEL_PAIRS or len(comparisons) < 2:
        for start in range(0, len(a), _PAIR_CHUNK):
            part = slice(start, start + _PAIR_CHUNK)
            for j, comparison in enumerate(comparisons):
                out[part, j] = gamma(table, comparison, a[part], b[part])
        return out
    from concurrent.futures import ThreadPoolExecutor

    for comparison in comparisons:  # the shared per-role caches, filled before the threads
        table.codes(comparison.role)

    def fill(start: int, j: int) -> None:
        part = slice(start, start + _PAIR_CHUNK)
        out[part, j] = gamma(table, comparisons[j], a[part], b[part])

    starts = range(0, len(a), _PAIR_CHUNK)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # the first chunk of every comparison first: it fills the comparison's caches, which
        # two threads working on one comparison at once would each build
        first = [pool.submit(fill, 0, j) for j in range(len(comparisons))]
        for future in first:
            future.result()
        # then every other (chunk, comparison) as a thread frees up: no wait at the end of
        # each chunk for its slowest comparison
        rest = [pool.submit(fill, s, j) for s in starts[1:] for j in range(len(comparisons))]
        for future in rest:
            future.result()
    return out


_PAIR_CHUNK = 500_000
_PARALLEL_PAIRS = 200_000


# -- the slow reference --------------------------------------------------------------------


def _reference_level(
    level: Level, x: str, y: str, row_x: dict[str, str | None], row_y: dict[str, str | None]
) -> bool:
    kind = level.kind
    if kind == "exact":
        return x == y
    if kind == "email_local":
        lx, ly = x.rpartition("@")[0], y.rpartition("@")[0]
        return bool(lx) and lx == ly
    if kind == "nickname":
        return canonical_given_name(x) == canonical_given_name(y)
    if kind in {"phone_nsn", "phone_short_nsn"}:
        nx, ny = national_number(x), national_number(y)
        if kind == "phone_nsn":
            return nx == ny
        return nx != ny and (nx.endswith(ny) or ny.endswith(nx))
    if kind == "swapped":
        assert level.other is not None
        ox, oy = row_x.get(level.other), row_y.get(level.other)
        return ox is not None and oy is not None and x == oy and ox == y
    assert level.threshold is not None
    if kind == "date_distance":
        try:
            dx, dy = dt.date.fromisoformat(x), dt.date.fromisoformat(y)
        except ValueError:
            return False
        return abs((dx - dy).days) <= level.threshold
    if kind == "numeric_distance":
        try:
            return abs(float(x) - float(y)) <= level.threshold + _EPS
        except ValueError:
            return False
    score = SCORERS[kind][0](x, y)
    return bool(_passes(kind, score, level.threshold))


def reference_gamma(
    comparison: Comparison, row_x: dict[str, str | None], row_y: dict[str, str | None], /
) -> int:
    """Gamma of one pair of normalised records (role -> value), one level at a time."""
    x, y = row_x.get(comparison.role), row_y.get(comparison.role)
    if x is None or y is None:
        return -1
    for index, level in enumerate(comparison.levels):
        if _reference_level(level, x, y, row_x, row_y):
            return index
    return len(comparison.levels)
