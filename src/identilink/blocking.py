"""Blocking: candidate pairs from OR-ed rules, generated in bulk from sorted integer codes.

A rule's key is the combination of its keys' codes; records sharing a non-null key form a
block, and every pair inside a block is a candidate. Pairs are produced by numpy index
arithmetic (no Python loop per block or per pair) and de-duplicated across rules.

Two other kinds of key (at most one per rule, beside any equality keys):

- **multi-valued** (``qgrams``, ``tokens``, ``minhash``): a record has several
  keys and pairs with every record sharing any of them. The keys of each distinct value are
  worked out once, the (record, key) list is exploded with numpy, and blocks of it become
  pairs as above, each pair once however many keys it shares. ``minhash`` is locality
  sensitive hashing of the words: ``N`` bands of two MinHashes each (universal hashes of the
  word ids, the minimum per value by ``np.minimum.reduceat``), so two values whose word sets
  have Jaccard similarity ``J`` share a band with probability ``1 - (1 - J^2)^N``.
- **window** (sorted neighbourhood): records sorted by the key's value (inside blocks of the
  equality keys) pair with the next ``N - 1`` records; one shifted comparison per offset.
"""

from __future__ import annotations

import itertools
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink import _kernels
from identilink._sort import ranks, stable_order
from identilink._table import IdentilinkWarning, Table
from identilink.config import BlockingRule, Key
from identilink.errors import ConfigurationError, InputDataError

__all__ = [
    "CHUNK_PAIRS",
    "BlockingResult",
    "PairChunk",
    "block",
    "count_pairs",
    "cumulative_pairs",
    "iter_pairs",
    "key_pieces",
    "minhash_band_values",
    "pairs_between",
    "pairs_within",
    "rule_codes",
]

Index = npt.NDArray[np.int64]


def rule_codes(table: Table, rule: BlockingRule) -> Index:
    """One integer code per record for the rule's combined equality keys, ``-1`` where any
    is null (all records share code 0 when a rule has no equality key).

    Computed once per table: the pair budget, blocking and training all ask for them.
    """
    name = str(rule)
    if name not in table._rule_codes:
        table._rule_codes[name] = _combined_codes(table, rule)
    return table._rule_codes[name]


def _special_key(table: Table, rule: BlockingRule) -> Key | None:
    """The key that makes a rule multi-valued or a window: a ``multi`` or ``window`` key, or
    an equality key on a role whose records may hold several values (records sharing any
    of them pair up). ``None`` for a rule of plain equality keys."""
    special = [k for k in rule.keys if k.kind != "equal" or k.role in table.value_sets]
    if len(special) > 1:
        raise ConfigurationError(
            f"blocking rule '{rule}' has more than one key with several values per record "
            f"({', '.join(str(k) for k in special)}; a role's list cells count): write "
            "them as separate rules"
        )
    return special[0] if special else None


def _kind(table: Table, rule: BlockingRule) -> str:
    """How a rule makes pairs on this table: ``equal``, ``multi`` or ``window``."""
    key = _special_key(table, rule)
    if key is None:
        return "equal"
    return "window" if key.kind == "window" else "multi"


def _combined_codes(table: Table, rule: BlockingRule) -> Index:
    combined: Index | None = None
    special = _special_key(table, rule)
    keys = [k for k in rule.keys if k.kind == "equal" and k != special]
    if not keys:
        return np.zeros(table.n, dtype=np.int64)
    for key in keys:
        codes = table.key_codes(key)
        if combined is None:
            combined = codes.copy()
            continue
        null = (combined < 0) | (codes < 0)
        width = int(codes.max()) + 1 if len(codes) else 1
        merged = combined * width + codes
        # re-number densely so that the next multiplication cannot overflow; a hash table
        # (order of first appearance) instead of np.unique's sort: 3x faster at 1M records
        combined = pd.factorize(merged)[0].astype(np.int64, copy=False)
        combined[null] = -1
    assert combined is not None
    return combined


def _groups(codes: Index) -> tuple[Index, Index, Index]:
    """Sorted record order, group starts and group sizes over non-null codes."""
    valid = np.flatnonzero(codes >= 0)
    order = valid[stable_order(codes[valid])]
    sorted_codes = codes[order]
    if len(sorted_codes) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return order, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_codes)])
    return order, starts.astype(np.int64), sizes.astype(np.int64)


def pairs_within(
    codes: Index, /, *, max_block_size: int | None = None
) -> tuple[Index, Index, Index]:
    """All pairs ``(a, b)`` with ``a < b`` sharing a code; returns ``(a, b, oversized codes)``.

    Blocks larger than ``max_block_size`` are skipped and their codes returned.
    """
    plan = _within_plan(codes, max_block_size)
    a, b = plan.pairs(0, len(plan.counts))
    return a, b, plan.oversized


def pairs_between(
    codes: Index, is_right: npt.NDArray[np.bool_], /, *, max_block_size: int | None = None
) -> tuple[Index, Index, Index]:
    """Pairs ``(a, b)`` with ``a`` a left record and ``b`` a right record sharing a code."""
    plan = _between_plan(codes, is_right, max_block_size)
    a, b = plan.pairs(0, len(plan.counts))
    return a, b, plan.oversized


@attrs.frozen
class _Plan:
    """A rule's pairs, made a range of left records at a time: left record ``left[k]``
    pairs with the ``counts[k]`` records ``partners[first[k]:first[k] + counts[k]]``. Its
    arrays are as long as the records, however many pairs they stand for."""

    left: Index
    counts: Index
    first: Index
    partners: Index
    oversized: Index
    ordered: bool  # deduplicating: each pair as (smaller, larger)

    def pairs(self, lo: int, hi: int) -> tuple[Index, Index]:
        counts = self.counts[lo:hi]
        a = np.repeat(self.left[lo:hi], counts)
        b = self.partners[np.repeat(self.first[lo:hi], counts) + ranks(counts)]
        if self.ordered:
            return np.minimum(a, b), np.maximum(a, b)
        return a.astype(np.int64), b.astype(np.int64)


def _within_plan(codes: Index, max_block_size: int | None) -> _Plan:
    """Records sorted by code: the one at sorted position ``p`` of a block ``[g, g + s)``
    pairs with those at ``p+1 .. g+s-1``."""
    order, starts, sizes = _groups(codes)
    oversized = np.zeros(0, dtype=np.int64)
    if max_block_size is not None:
        big = sizes > max_block_size
        if big.any():
            oversized = codes[order[starts[big]]]
            starts, sizes = starts[~big], sizes[~big]
    keep = sizes >= 2
    starts, sizes = starts[keep], sizes[keep]
    member_start = np.repeat(starts, sizes)
    positions = member_start + ranks(sizes)
    counts = member_start + np.repeat(sizes, sizes) - positions - 1
    return _Plan(order[positions], counts, positions + 1, order, oversized, ordered=True)


def _between_plan(
    codes: Index, is_right: npt.NDArray[np.bool_], max_block_size: int | None
) -> _Plan:
    """Each left record of a block pairs with the block's right records (sorted by code)."""
    left = np.flatnonzero(~is_right & (codes >= 0))
    right = np.flatnonzero(is_right & (codes >= 0))
    width = int(codes.max()) + 1 if len(codes) else 1
    count_left = np.bincount(codes[left], minlength=width)
    count_right = np.bincount(codes[right], minlength=width)
    oversized = np.zeros(0, dtype=np.int64)
    allowed = np.ones(width, dtype=bool)
    if max_block_size is not None:
        big = (count_left + count_right) > max_block_size
        oversized = np.flatnonzero(big & (count_left > 0) & (count_right > 0)).astype(np.int64)
        allowed = ~big
    right_order = right[stable_order(codes[right])]
    right_start = np.cumsum(count_right) - count_right
    left = left[allowed[codes[left]]]
    counts = count_right[codes[left]]
    return _Plan(left, counts, right_start[codes[left]], right_order, oversized, ordered=False)


def _spans(counts: Index, limit: int | None) -> list[tuple[int, int]]:
    """Consecutive ranges of ``counts`` holding about ``limit`` pairs each (at most
    ``limit`` plus one entry's count); one range when ``limit`` is ``None``."""
    total = int(counts.sum())
    if limit is None or total <= limit:
        return [(0, len(counts))]
    cumulative = np.cumsum(counts)
    cuts = np.searchsorted(cumulative, np.arange(limit, total, limit, dtype=np.int64), "right")
    bounds = np.unique(np.r_[0, cuts, len(counts)]).tolist()
    return list(itertools.pairwise(bounds))


def _key_sets(table: Table, key: Key) -> tuple[Index, Index]:
    """``(record, key code)`` for every distinct key of every record under a multi-valued
    key; the keys of each distinct value are worked out once."""

    def compute() -> tuple[Index, Index]:
        _, uniques = table.codes(key.role)
        if key.kind == "equal":  # a role holding several values: each value's key
            counts, pieces = _value_keys(table, key)
        elif key.transform == "minhash":
            counts, pieces = _minhash_bands(uniques, key.arg or 16)
        else:
            split = _splitter(key)
            lists = [sorted(set(split(str(u)))) for u in uniques]
            counts = np.array([len(p) for p in lists], dtype=np.int64)
            flat = np.array([p for each in lists for p in each], dtype=object)
            pieces = pd.factorize(flat)[0].astype(np.int64) if len(flat) else flat
        starts = np.cumsum(counts) - counts
        rows, values = table.all_values(key.role)  # every value of every record
        each = counts[values]
        at = np.repeat(starts[values], each) + ranks(each)
        record, piece = np.repeat(rows, each).astype(np.int64), pieces[at].astype(np.int64)
        if key.kind == "equal" or key.role in table.value_sets:
            # a record whose values share a key holds it once
            width = np.int64(int(piece.max()) + 1 if len(piece) else 1)
            packed = _distinct(record * width + piece)
            record, piece = packed // width, packed % width
        return record, piece

    return table._memoised(("key sets", str(key), ""), compute)


def _value_keys(table: Table, key: Key) -> tuple[Index, Index]:
    """Per distinct value of the key's role: how many keys it has (one, or none where the
    transform gives none) and the keys, numbered."""
    keys = table.value_key_codes(key)
    return (keys >= 0).astype(np.int64), keys[keys >= 0]


def _splitter(key: Key) -> Callable[[str], list[str]]:
    if key.transform == "qgrams":
        q = key.arg or 3
        return lambda v: [v[i : i + q] for i in range(max(len(v) - q + 1, 1))]
    return str.split  # tokens


_PRIME = (1 << 31) - 1  # Mersenne prime for the universal hashes of MinHash


def _minhash_bands(uniques: npt.NDArray[np.object_], bands: int) -> tuple[Index, Index]:
    """Per distinct value, ``bands`` band codes (none for a value without words)."""
    counts, values = minhash_band_values(uniques, bands)
    band_codes = np.empty(values.shape, dtype=np.int64)
    for band in range(bands):
        band_codes[:, band] = pd.factorize(values[:, band])[0]
    band_codes += np.arange(bands, dtype=np.int64) * len(band_codes)  # bands never mix
    return counts, band_codes.ravel()


def minhash_band_values(
    uniques: npt.NDArray[np.object_], bands: int
) -> tuple[Index, npt.NDArray[np.int64]]:
    """Per value, how many bands it has (``bands``, or 0 without words), and for the values
    with words their band values (two MinHashes of the words' ids in one integer per band).
    The values depend on the words alone (ids from a hash of each word, fixed hash
    functions), not on the other values, so engines holding the values in parts agree."""
    words = [str(u).split() for u in uniques]
    counts = np.array([len(w) for w in words], dtype=np.int64)
    flat = [w for each in words for w in each]
    if not flat:
        return np.zeros(len(uniques), dtype=np.int64), np.zeros((0, bands), dtype=np.int64)
    # word ids from a hash of the word, so that band keys do not depend on the input
    ids = np.array([zlib.crc32(w.encode()) for w in flat], dtype=np.int64)
    has = counts > 0
    starts = (np.cumsum(counts) - counts)[has]
    rng = np.random.default_rng(0x1D)  # fixed: the same value gets the same keys every run
    mult = rng.integers(1, _PRIME, size=(bands, 2), dtype=np.int64)
    add = rng.integers(0, _PRIME, size=(bands, 2), dtype=np.int64)
    values = np.empty((int(has.sum()), bands), dtype=np.int64)
    for band in range(bands):
        pair = [
            np.minimum.reduceat((mult[band, i] * ids + add[band, i]) % _PRIME, starts)
            for i in range(2)
        ]
        values[:, band] = pair[0] * _PRIME + pair[1]
    return np.where(has, bands, 0).astype(np.int64), values


def key_pieces(key: Key, values: Sequence[str | None]) -> list[list[str]]:
    """The keys a multi-valued blocking key gives each value, as text (none for ``None``):
    its distinct q-grams or words, or ``band:value`` per MinHash band. What
    :func:`_key_sets` numbers for a whole table, for an engine that holds values in parts."""
    out: list[list[str]] = [[] for _ in values]
    present = [i for i, v in enumerate(values) if v is not None]
    if key.transform == "minhash":
        bands = key.arg or 16
        counts, banded = minhash_band_values(
            np.array([values[i] for i in present], dtype=object), bands
        )
        row = 0
        for i, count in zip(present, counts.tolist(), strict=True):
            if count:
                out[i] = [f"{band}:{v}" for band, v in enumerate(banded[row].tolist())]
                row += 1
        return out
    split = _splitter(key)
    for i in present:
        out[i] = sorted(set(split(str(values[i]))))
    return out


def _special_pairs(
    table: Table, rule: BlockingRule, max_block_size: int | None
) -> tuple[Index, Index, int]:
    """Pairs of a multi-valued or window rule: ``(a, b, blocks skipped as too large)``."""
    equal = rule_codes(table, rule)
    key = _special_key(table, rule)
    assert key is not None
    if key.kind == "window":
        a, b = _window_pairs(table, key, equal)
        return a, b, 0
    rows, pieces = _key_sets(table, key)
    keep = equal[rows] >= 0
    rows, pieces = rows[keep], pieces[keep]
    width = np.int64(int(pieces.max()) + 1 if len(pieces) else 1)
    combined = pd.factorize(equal[rows] * width + pieces)[0].astype(np.int64)
    sizes = np.bincount(combined) if len(combined) else np.zeros(0, dtype=np.int64)
    if max_block_size is not None:
        sizes = sizes[sizes <= max_block_size]
    made = int((sizes * (sizes - 1) // 2).sum())
    if made > _PAIR_LIMIT:  # refuse before numpy asks for the memory of them all
        raise ConfigurationError(
            f"blocking rule '{rule}' would make {made:,} pairs (with repeats; the limit is "
            f"{_PAIR_LIMIT:,}): its keys are too common; add an equality key "
            f"('{rule} & postcode'), take fewer bands or a lower max_block_size"
        )
    if table.source is None:
        i, j, big = pairs_within(combined, max_block_size=max_block_size)
    else:
        right = table.source[rows] == 1
        i, j, big = pairs_between(combined, right, max_block_size=max_block_size)
    a, b = rows[i], rows[j]
    if table.source is None:
        a, b = np.minimum(a, b), np.maximum(a, b)
    n = np.int64(table.n)
    unique = _distinct(a * n + b)  # a pair sharing several keys, once
    return unique // n, unique % n, len(big)


def _distinct(values: Index) -> Index:
    """``np.unique(values)`` by one in-place sort: numpy 2's hash-based unique took 6.4 s on
    the 11M repeated pair keys of ``tokens(street) & postcode`` over 300k people, the sort
    0.9 s."""
    values.sort()
    if len(values) == 0:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _window_pairs(table: Table, key: Key, equal: Index) -> tuple[Index, Index]:
    codes, uniques = table.codes(key.role)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(uniques.astype(str), kind="stable")] = np.arange(len(uniques))
    valid = np.flatnonzero((codes >= 0) & (equal >= 0))
    order = valid[np.lexsort((valid, rank[codes[valid]], equal[valid]))]
    lefts, rights = [], []
    for d in range(1, (key.arg or 5)):
        a, b = order[:-d], order[d:]
        same = equal[a] == equal[b]
        if table.source is not None:
            same &= table.source[a] != table.source[b]
        lefts.append(a[same])
        rights.append(b[same])
    a = np.concatenate(lefts) if lefts else np.zeros(0, dtype=np.int64)
    b = np.concatenate(rights) if rights else np.zeros(0, dtype=np.int64)
    if table.source is None:
        return np.minimum(a, b), np.maximum(a, b)
    left_first = table.source[a] == 0
    return np.where(left_first, a, b), np.where(left_first, b, a)


def rule_pairs(
    table: Table, rule: BlockingRule, /, *, max_block_size: int | None = None
) -> tuple[Index, Index]:
    """The candidate pairs one rule makes on its own (``a < b`` when deduplicating)."""
    a, b, _, _ = _rule_pairs(table, rule, max_block_size)
    return a, b


def in_rule(
    table: Table, rule: BlockingRule, a: Index, b: Index, /, *, max_block_size: int | None = None
) -> npt.NDArray[np.bool_]:
    """Which of the pairs ``(a, b)`` the rule makes (for training sessions per rule): for an
    equality rule, the pairs that share its keys; for a multi-valued rule, the pairs it makes
    with blocks up to ``max_block_size`` (:data:`_CAP` when not given), as :func:`block`
    makes them; for a window rule, its pairs."""
    kind = _kind(table, rule)
    if kind == "equal":
        same: npt.NDArray[np.bool_] = _kernels.same_key(rule_codes(table, rule), a, b)
        return same
    cap = None if kind == "window" else (max_block_size or _CAP)
    ra, rb = rule_pairs(table, rule, max_block_size=cap)
    n = np.int64(table.n)
    return np.isin(a * n + b, ra * n + rb)


def pattern_counts(
    table: Table,
    rules: Sequence[BlockingRule],
    a: Index,
    b: Index,
    inverse: npt.NDArray[np.intp],
    n_patterns: int,
    /,
    *,
    max_block_size: int | None = None,
) -> list[npt.NDArray[np.float64]]:
    """Per rule, how often each of ``n_patterns`` comparison patterns (``inverse``: each
    pair's) occurs among the pairs :func:`in_rule` says the rule makes.

    The equality rules are counted together without a mask: one compiled pass over the
    pairs reads a row of every such rule's codes per record (a pass per rule read each
    rule's codes of a pair apart, two cache misses each: 2.8 s of training at 73M pairs
    and 14 rules); the others count under their mask."""
    equal = [r for r in rules if _kind(table, r) == "equal"]
    together: npt.NDArray[np.float64] = np.zeros((n_patterns, 0))
    if equal:
        rows = np.empty((table.n, len(equal)), dtype=np.int32)
        for j, rule in enumerate(equal):
            rows[:, j] = rule_codes(table, rule)
        together = _kernels.count_same_keys(rows, a, b, inverse, n_patterns)
    counts: list[npt.NDArray[np.float64]] = []
    for rule in rules:
        if _kind(table, rule) == "equal":
            counts.append(np.ascontiguousarray(together[:, equal.index(rule)]))
        else:
            mask = in_rule(table, rule, a, b, max_block_size=max_block_size)
            counts.append(np.bincount(inverse[mask], minlength=n_patterns).astype(np.float64))
    return counts


_CAP = 10_000  # block size past which a multi-valued key is too common to say anything
#: pairs (counted with repeats) a multi-valued rule may make: 300M take ~10 GiB to de-duplicate
_PAIR_LIMIT = 300_000_000


@attrs.frozen
class BlockingResult:
    """Candidate pairs plus, per rule, how many pairs it made and how many were new."""

    left: Index
    right: Index
    rule_stats: pd.DataFrame
    oversized: dict[str, int]


def _rule_pairs(
    table: Table, rule: BlockingRule, max_block_size: int | None
) -> tuple[Index, Index, Index | int, Index]:
    codes = rule_codes(table, rule)
    if _kind(table, rule) != "equal":
        a, b, skipped = _special_pairs(table, rule, max_block_size)
        return a, b, skipped, codes
    if table.source is None:
        a, b, big = pairs_within(codes, max_block_size=max_block_size)
    else:
        a, b, big = pairs_between(codes, table.source == 1, max_block_size=max_block_size)
    return a, b, big, codes


@attrs.frozen
class PairChunk:
    """Candidate pairs ``(left[i], right[i])`` (record positions) that rule number ``rule``
    is the first of the rules to make."""

    left: Index
    right: Index
    rule: int


#: pairs a chunk of :func:`iter_pairs` holds, about (and what :func:`block` makes at a time)
CHUNK_PAIRS = 2_000_000


def iter_pairs(
    table: Table,
    rules: Sequence[BlockingRule],
    /,
    *,
    max_block_size: int | None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> Iterator[PairChunk]:
    """The candidate pairs of :func:`block` in chunks of about ``chunk_pairs``: each pair
    once, in the chunk of the first rule that makes it.

    An equality rule makes its pairs a range of its blocks at a time and drops those an
    earlier rule makes (earlier equality rules are asked by their codes, kept 4 bytes a
    record each, so beyond the records' own arrays memory is bounded by the chunk whatever
    the pair count). A multi-valued or window rule makes its pairs whole (each once; at
    most 300M) before they are chunked, and keeps them sorted for the rules after it to ask.
    """
    if chunk_pairs < 1:
        raise ConfigurationError("chunk_pairs must be at least 1")
    for chunk, _ in _pair_stream(table, rules, max_block_size, chunk_pairs):
        if chunk is not None:
            yield chunk


def _pair_stream(
    table: Table, rules: Sequence[BlockingRule], max_block_size: int | None, chunk_pairs: int
) -> Iterator[tuple[PairChunk | None, tuple[int, Index | int, Index] | None]]:
    """:func:`iter_pairs`' chunks; after each rule's, ``(None, (pairs it made on its own,
    its oversized blocks, its codes))``."""
    n = np.int64(table.n)
    made_before: list[Callable[[Index, Index, Index], Index]] = []  # the other rules' checks
    # the equality rules' kept codes (-1 in a block the rule skips), a row per record: a
    # pair's row holds every earlier such rule's answer (a column per rule, one pass over
    # the pairs for all of them: a pass per rule read each rule's codes of a pair apart,
    # two cache misses each; 30% of blocking at 73M pairs)
    kinds = [_kind(table, rule) for rule in rules]
    width = sum(kind == "equal" for kind in kinds[:-1])
    earlier = np.full((table.n, width), -1, dtype=np.int32) if width else None
    asked = 0  # columns of ``earlier`` filled
    for number, rule in enumerate(rules):
        codes = rule_codes(table, rule)
        packed: Index | None = None
        if kinds[number] == "equal":
            plan = (
                _within_plan(codes, max_block_size)
                if table.source is None
                else _between_plan(codes, table.source == 1, max_block_size)
            )
            big: Index | int = plan.oversized
            made = int(plan.counts.sum())
            batches: Iterator[tuple[Index, Index]] = (
                plan.pairs(lo, hi) for lo, hi in _spans(plan.counts, chunk_pairs)
            )
        else:
            every_a, every_b, big = _special_pairs(table, rule, max_block_size)
            made = len(every_a)
            packed = np.sort(every_a * n + every_b)  # for the rules after it
            batches = (
                (every_a[i : i + chunk_pairs], every_b[i : i + chunk_pairs])
                for i in range(0, made, chunk_pairs)
            )
        for a, b in batches:
            keep: Index = np.arange(len(a), dtype=np.int64)
            if asked:
                keep = _kernels.not_in_earlier(earlier, asked, a, b, keep)
            for check in made_before:
                if len(keep) == 0:
                    break
                keep = check(a, b, keep)
            if len(keep) == len(a):
                yield PairChunk(a, b, number), None
            elif len(keep):
                yield PairChunk(a[keep], b[keep], number), None
        yield None, (made, big, codes)
        if packed is not None:
            made_before.append(_not_listed(packed, n))
        elif earlier is not None and asked < width:
            assert not isinstance(big, int)  # an equality rule's plan: the codes it skipped
            earlier[:, asked] = _kept_codes(codes, big)
            asked += 1


def _not_listed(packed: Index, n: np.int64) -> Callable[[Index, Index, Index], Index]:
    """The pairs of ``todo`` (positions into ``a``/``b``) not among a rule's sorted pairs
    (``a * n + b``): what a multi-valued or window rule does not make."""

    def unlisted(a: Index, b: Index, todo: Index) -> Index:
        if len(packed) == 0:
            return todo
        wanted = a[todo] * n + b[todo]
        at = np.minimum(np.searchsorted(packed, wanted), len(packed) - 1)
        rest: Index = todo[packed[at] != wanted]
        return rest

    return unlisted


def _kept_codes(codes: Index, skipped: Index) -> npt.NDArray[np.int32]:
    """An equality rule's codes with -1 for the blocks its plan skipped (``skipped``, their
    codes: the plan's ``oversized``): two records make a pair of the rule iff their kept
    codes are equal and not -1."""
    kept = codes.astype(np.int32)
    if len(skipped):
        kept[np.isin(codes, skipped)] = -1
    return kept


def block(
    table: Table,
    rules: Sequence[BlockingRule],
    /,
    *,
    max_block_size: int | None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> BlockingResult:
    """Candidate pairs of ``table`` under the OR of ``rules``, each pair once, sorted
    (made by :func:`iter_pairs`, ``chunk_pairs`` at a time)."""
    if table.n >= 2**31:
        raise InputDataError(
            f"{table.n:,} records: the local engine pairs at most 2^31 - 1 of them "
            "(the Spark engine takes more)"
        )
    parts: list[Index] = []
    stats = []
    new_pairs = np.zeros(len(rules), dtype=np.int64)
    oversized: dict[str, int] = {}
    rule_iter = iter(rules)
    for chunk, done in _pair_stream(table, rules, max_block_size, chunk_pairs):
        if chunk is not None:
            parts.append((chunk.left << _LOW) | chunk.right)
            new_pairs[chunk.rule] += len(chunk.left)
            continue
        assert done is not None
        rule = next(rule_iter)
        made, big, codes = done
        skipped = _warn_oversized(table, rule, big, codes, max_block_size)
        if skipped:
            oversized[str(rule)] = skipped
        stats.append({"rule": str(rule), "pairs": made})
    seen = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    del parts
    seen.sort()
    frame = pd.DataFrame(stats, columns=["rule", "pairs"])
    frame["new_pairs"] = new_pairs
    frame["cumulative_pairs"] = frame["new_pairs"].cumsum()
    right = seen & _LOW_MASK
    left = np.right_shift(seen, _LOW, out=seen)  # in place: a new array of every pair is
    # memory the system must first hand over (0.8 s per 584 MB on the benchmark machine)
    return BlockingResult(left=left, right=right, rule_stats=frame, oversized=oversized)


# a pair packed as ``left << 32 | right`` sorts as ``left * n + right`` does (right < n <=
# 2^31) and unpacks by a shift and a mask: division and modulo took 1.3 s of 11 s at 73M pairs
_LOW = np.int64(32)
_LOW_MASK = np.int64(2**32 - 1)


def _warn_oversized(
    table: Table, rule: BlockingRule, big: Index | int, codes: Index, max_block_size: int | None
) -> int:
    """Warn of the blocks a rule skipped as larger than ``max_block_size``; how many."""
    if isinstance(big, int):
        if big:
            warnings.warn(
                f"blocking rule '{rule}': {big} block(s) of a key larger than "
                f"max_block_size={max_block_size} skipped (keys too common to block on)",
                IdentilinkWarning,
                stacklevel=3,
            )
        return big
    if len(big):
        sizes = np.bincount(codes[codes >= 0])
        worst = int(big[np.argmax(sizes[big])])
        member = int(np.flatnonzero(codes == worst)[0])
        example = ", ".join(f"{k.role}={table.values[k.role][member]!r}" for k in rule.keys)
        warnings.warn(
            f"blocking rule '{rule}': {len(big)} block(s) larger than max_block_size="
            f"{max_block_size} skipped (largest: {int(sizes[worst])} records with {example})",
            IdentilinkWarning,
            stacklevel=3,
        )
    return len(big)


def block_order(
    table: Table, rules: Sequence[BlockingRule], counts: npt.NDArray[np.int64] | None = None
) -> Index | None:
    """An order of the records that puts the blocks of the rule making the most pairs
    (``counts``: each rule's; an equality rule's counted from its blocks when not given)
    each in one run, or ``None`` when ordering would not pay: fewer than
    ``_LOCAL_RECORDS`` records, fewer than ``_LOCAL_PAIRS`` pairs a record, or a largest
    rule that is a window or multi-valued one (its pairs are not its codes' groups).

    On a table taken in this order (:meth:`Table.take`), pairs come block after block
    through records next to each other, and the comparing kernels' reads of a pair's codes
    and value rows hit cache lines the pairs before them loaded. At 1M records making 73M
    pairs, comparing and training took 4 s less; taking the table costs about 0.64 s, more
    than it saves at the 6 pairs a record of the default rules there.
    """
    if table.n < _LOCAL_RECORDS:
        return None
    if counts is None:
        counts = np.array([_equal_pairs(table, rule) for rule in rules], dtype=np.int64)
    if counts.sum() < _LOCAL_PAIRS * table.n:
        return None
    rule = rules[int(np.argmax(counts))]
    if _kind(table, rule) != "equal":
        return None
    codes = rule_codes(table, rule)
    if table.source is None:
        order: Index = np.argsort(codes, kind="stable")
    else:  # left records before right ones, as the table has them
        order = np.lexsort((codes, table.source))
    return order


#: fewer records: their codes fit in the processor's caches, ordering them cannot pay
_LOCAL_RECORDS = 200_000
#: fewer pairs a record (over all rules): ordering costs more than it saves
_LOCAL_PAIRS = 20


def _equal_pairs(table: Table, rule: BlockingRule) -> int:
    """The pairs an equality rule makes on its own (0 for another kind of rule)."""
    if _kind(table, rule) != "equal":
        return 0
    codes = rule_codes(table, rule)
    valid = codes >= 0
    return _block_pairs(codes[valid], None if table.source is None else table.source[valid])[0]


def _block_pairs(valid: Index, source: npt.NDArray[np.int8] | None) -> tuple[int, Index]:
    """The pairs blocks of records make (``valid``: each record's non-null block code) and
    the blocks' sizes: within each block, or, with ``source`` (each record's side), its
    left records by its right ones."""
    if source is None:
        sizes = np.bincount(valid) if len(valid) else np.zeros(0, dtype=np.int64)
        return int((sizes * (sizes - 1) // 2).sum()), sizes
    span = int(valid.max()) + 1 if len(valid) else 0
    left = np.bincount(valid[source == 0], minlength=span)
    right = np.bincount(valid[source == 1], minlength=span)
    return int((left * right).sum()), left + right


def count_pairs(table: Table, rules: Sequence[BlockingRule], /) -> pd.DataFrame:
    """Pairs each rule makes on its own and the largest block, without generating pairs
    (window rules excepted: theirs are few). A multi-valued rule's count adds up its blocks,
    so a pair sharing two keys counts twice: an upper bound."""
    rows = []
    for rule in rules:
        codes = rule_codes(table, rule)
        kind, special = _kind(table, rule), _special_key(table, rule)
        if kind == "window":
            assert special is not None
            a, _ = _window_pairs(table, special, codes)
            key_codes, _ = table.codes(special.role)
            valid_codes = codes[(codes >= 0) & (key_codes >= 0)]
            sizes = np.bincount(valid_codes) if len(valid_codes) else np.zeros(0, np.int64)
            rows.append(_count_row(rule, len(a), sizes, int(len(codes) - len(valid_codes))))
            continue
        source = table.source
        if kind == "multi":
            assert special is not None
            record, pieces = _key_sets(table, special)
            keep = codes[record] >= 0
            width = np.int64(int(pieces.max()) + 1 if len(pieces) else 1)
            nulls = int(table.n - np.count_nonzero(np.bincount(record[keep], minlength=table.n)))
            if source is not None:
                source = source[record[keep]]
            valid = pd.factorize(codes[record[keep]] * width + pieces[keep])[0].astype(np.int64)
        else:
            valid = codes[codes >= 0]
            nulls = int((codes < 0).sum())
            if source is not None:
                source = source[codes >= 0]
        pairs, sizes = _block_pairs(valid, source)
        rows.append(_count_row(rule, pairs, sizes, nulls))
    return pd.DataFrame(rows, columns=["rule", "pairs", "largest_block", "null_keys"])


def _count_row(rule: BlockingRule, pairs: int, sizes: Index, nulls: int) -> dict[str, object]:
    return {
        "rule": str(rule),
        "pairs": pairs,
        "largest_block": int(sizes.max()) if len(sizes) else 0,
        "null_keys": nulls,
    }


def cumulative_pairs(
    table: Table,
    rules: Sequence[BlockingRule],
    /,
    *,
    sample: int = 200_000,
    seed: int = 0,
    max_block_size: int | None = None,
) -> tuple[npt.NDArray[np.float64], bool]:
    """Distinct pairs made by the first 1, 2, ... rules together, and whether estimated.

    Exact when the input has at most ``sample`` records; otherwise measured on ``sample``
    records drawn at random and scaled by the ratio of all pairs to sampled pairs (each pair
    survives sampling with the same probability), so large inputs are analysed in bounded
    time and memory. Multi-valued and window rules make their pairs on all records (blocks
    over ``max_block_size`` skipped) and keep those inside the sample.
    """
    n = table.n
    if table.source is None and n > sample:
        keep = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
        scale = (n * (n - 1)) / (sample * (sample - 1))
    else:
        keep, scale = None, 1.0
    width = np.int64(n)
    parts = []
    for rule in rules:
        codes = rule_codes(table, rule)
        if _kind(table, rule) != "equal":
            a, b, _ = _special_pairs(table, rule, max_block_size)
            if keep is not None:  # renumber into the sample, as pairs_within does below
                inside = np.isin(a, keep) & np.isin(b, keep)
                a, b = np.searchsorted(keep, a[inside]), np.searchsorted(keep, b[inside])
        elif table.source is None:
            a, b, _ = pairs_within(codes if keep is None else codes[keep])
        else:
            a, b, _ = pairs_between(codes, table.source == 1)
        parts.append(a * width + b)
    if not parts:
        return np.zeros(0, dtype=np.float64), keep is not None
    _, first = np.unique(np.concatenate(parts), return_index=True)
    owner = np.searchsorted(np.cumsum([0] + [len(p) for p in parts]), first, side="right") - 1
    new = np.bincount(owner, minlength=len(parts))[: len(parts)]
    return np.cumsum(new).astype(np.float64) * scale, keep is not None
