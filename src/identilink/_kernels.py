"""Compiled inner loops (numba): comparison levels, the bound before string metrics,
character profiles, blocking's and training's rule checks, distinct comparison vectors and
match weights.

A comparison's levels are tried in order, each in one pass over the pairs its earlier
levels left undecided: the pass marks the pairs the level holds for in ``out`` and returns
the positions of the others (``todo``, ascending). One loop per level instead of numpy's
gather, compare, mask and index steps: at a million records the comparing stage spent most
of its time in those temporaries, not in the metrics. The level functions take record
positions ``a``/``b`` and pair positions ``todo`` and leave the pairs outside ``todo`` alone.

Compiled on first use and cached on disk (``cache=True``). The slow oracles are
:func:`identilink.compare.reference_gamma` for the levels and ``np.unique`` and Python
counts for the rest; property tests hold each to them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: in a profile's first count: no bound for this value (longer than 254 characters)
UNCHECKED = 255
#: character counts in a profile row; the byte after them holds the value's length, the
#: ``PREFIX`` bytes after that its first code points
COUNTS = 27
PREFIX = 4
#: how :func:`reach` bounds a metric
EDIT, JARO, JARO_WINKLER = 1, 2, 3
_POW10 = 10 ** np.arange(19, dtype=np.int64)


@njit(nogil=True, cache=True)
def start(codes, a, b, else_level, out):  # type: ignore[no-untyped-def]
    """Null pairs get -1, the others the else level; returns the others."""
    todo = np.empty(len(a), np.int64)
    n = 0
    for i in range(len(a)):
        if codes[a[i]] < 0 or codes[b[i]] < 0:
            out[i] = -1
        else:
            out[i] = else_level
            todo[n] = i
            n += 1
    return todo[:n]


@njit(nogil=True, cache=True)
def start_exact(codes, a, b, else_level, out):  # type: ignore[no-untyped-def]
    """:func:`start` and an ``exact`` first level in one pass: null pairs -1, equal values
    0, the others the else level; returns the others."""
    todo = np.empty(len(a), np.int64)
    n = 0
    for i in range(len(a)):
        x, y = codes[a[i]], codes[b[i]]
        if x < 0 or y < 0:
            out[i] = -1
        elif x == y:
            out[i] = 0
        else:
            out[i] = else_level
            todo[n] = i
            n += 1
    return todo[:n]


#: the tests :func:`sift` applies to a pair
SAME_KEY, SWAPPED, WITHIN, AT_LEAST, AT_MOST = range(5)
#: arrays for the operands a test does not use
NO_INTS = np.zeros(0, dtype=np.int64)
NO_FLOATS = np.zeros(0, dtype=np.float64)


@njit(nogil=True, cache=True)
def sift(test, ints, more, floats, limit, a, b, todo, out, level):  # type: ignore[no-untyped-def]
    """One level over the pairs of ``todo``: mark those it holds for with ``level`` in
    ``out``, return the others. The tests, on records ``x = a[i]``, ``y = b[i]``:

    - ``SAME_KEY``: ``ints[x] == ints[y]``, not null (-1);
    - ``SWAPPED``: ``ints[x] == more[y]`` and ``more[x] == ints[y]``, none null (each one's
      value is the other's value of the other role: first and last name);
    - ``WITHIN``: ``|floats[x] - floats[y]| <= limit`` (NaN, null or unparsable, never is);
    - ``AT_LEAST`` / ``AT_MOST``: the pair's own score ``floats[i]`` against ``limit``.

    The test runs in a loop of its own (a test chosen per pair cost 5-10%), the marking in
    one shared loop after it.
    """
    hit = np.empty(len(todo), np.bool_)
    if test == SAME_KEY:
        for j, i in enumerate(todo):
            k = ints[a[i]]
            hit[j] = k >= 0 and k == ints[b[i]]
    elif test == SWAPPED:
        for j, i in enumerate(todo):
            x, y = a[i], b[i]
            mine, theirs = ints[x], more[x]
            hit[j] = mine >= 0 and theirs >= 0 and mine == more[y] and theirs == ints[y]
    elif test == WITHIN:
        for j, i in enumerate(todo):
            hit[j] = abs(floats[a[i]] - floats[b[i]]) <= limit
    elif test == AT_LEAST:
        for j, i in enumerate(todo):
            hit[j] = floats[i] >= limit
    else:
        for j, i in enumerate(todo):
            hit[j] = floats[i] <= limit
    rest = np.empty(len(todo), np.int64)
    n = 0
    for j, i in enumerate(todo):
        if hit[j]:
            out[i] = level
        else:
            rest[n] = i
            n += 1
    return rest[:n]


@njit(nogil=True, cache=True)
def short_nsn(keys, number, length, a, b, todo, out, level):  # type: ignore[no-untyped-def]
    """One national number is a proper suffix of the other, as integers: ``x`` ends with the
    ``L``-digit ``y`` when ``x mod 10**L == y``. Returns the pairs left and, apart, those
    whose numbers are not 1-18 ASCII digits (``length`` 0), for the caller's string test."""
    rest = np.empty(len(todo), np.int64)
    text = np.empty(len(todo), np.int64)
    n = m = 0
    for i in todo:
        u, v = keys[a[i]], keys[b[i]]
        if u < 0 or v < 0 or u == v:
            rest[n] = i
            n += 1
            continue
        lu, lv = length[u], length[v]
        if lu == 0 or lv == 0:
            text[m] = i
            m += 1
            continue
        hit = False
        if lu > lv:
            hit = number[u] % _POW10[lv] == number[v]
        elif lv > lu:
            hit = number[v] % _POW10[lu] == number[u]
        if hit:
            out[i] = level
        else:
            rest[n] = i
            n += 1
    return rest[:n], text[:m]


_EVEN = np.uint64(0x00FF00FF00FF00FF)  # the even bytes of a word, as four 16-bit lanes
_LANE = np.uint64(0x0001000100010001)  # 1 in each lane
_BIAS = np.uint64(0x0100010001000100)  # 256 in each lane
_COUNTED = np.uint64(0x0000000000FFFFFF)  # a row's last word: its three last counts
_BYTE = np.uint64(0xFF)


@njit(nogil=True, cache=True, inline="always")
def _lanes_apart(p, q):  # type: ignore[no-untyped-def]
    """``|p - q|`` in each of four 16-bit lanes holding 0..255."""
    t = (p + _BIAS) - q  # 256 + p - q in each lane: 1..511, no borrow between lanes
    at_least = (t >> np.uint64(8)) & _LANE  # 1 where p >= q
    below = _LANE - at_least
    # p >= q: t - 256 is t's low byte; p < q: 256 - t is the low byte of t's complement, + 1
    return ((t ^ (below * _BYTE)) & _EVEN) + below


@njit(nogil=True, cache=True, inline="always")
def bytes_apart(p, q):  # type: ignore[no-untyped-def]
    """The L1 distance of two words read as eight unsigned bytes each, in word arithmetic
    (the byte by byte loop cost 2x the bound's whole pass)."""
    even = _lanes_apart(p & _EVEN, q & _EVEN)
    odd = _lanes_apart((p >> np.uint64(8)) & _EVEN, (q >> np.uint64(8)) & _EVEN)
    # each lane now at most 510: the four lanes sum into the top one without overflow
    return np.int64(((even + odd) * _LANE) >> np.uint64(48))


@njit(nogil=True, cache=True)
def reach(codes, words, a, b, todo, cutoff, mode):  # type: ignore[no-untyped-def]
    """The pairs of ``todo`` whose metric may reach ``cutoff``, by their values' character
    counts (``identilink.compare`` explains the bounds and the rows); the others cannot.

    ``words``: each value's 32-byte row as four 64-bit words. Pairs go in blocks: their rows
    are gathered first, then bounded. Gathering and bounding pair by pair left one cache miss
    waiting at a time (the bound's loop filled the processor's window): 6x slower.
    """
    keep = np.empty(len(todo), np.int64)
    n = 0
    rows_x = np.empty((_BLOCK, 4), np.uint64)
    rows_y = np.empty((_BLOCK, 4), np.uint64)
    for first in range(0, len(todo), _BLOCK):
        size = min(_BLOCK, len(todo) - first)
        for j in range(size):
            i = todo[first + j]
            x, y = codes[a[i]], codes[b[i]]
            for k in range(4):
                rows_x[j, k] = words[x, k]
                rows_y[j, k] = words[y, k]
        for j in range(size):
            wx, wy = rows_x[j, 3], rows_y[j, 3]
            # the first count (lowest byte) marks a value too long to be counted
            if rows_x[j, 0] & _BYTE == UNCHECKED or rows_y[j, 0] & _BYTE == UNCHECKED:
                keep[n] = todo[first + j]
                n += 1
                continue
            l1 = (
                bytes_apart(rows_x[j, 0], rows_y[j, 0])
                + bytes_apart(rows_x[j, 1], rows_y[j, 1])
                + bytes_apart(rows_x[j, 2], rows_y[j, 2])
                + bytes_apart(wx & _COUNTED, wy & _COUNTED)
            )
            if mode == EDIT:
                ok = bool(l1 <= 2 * int(cutoff))
            else:
                lx = np.int64((wx >> np.uint64(24)) & _BYTE)
                ly = np.int64((wy >> np.uint64(24)) & _BYTE)
                if lx == 0 or ly == 0:
                    ok = True
                else:
                    shared = (lx + ly - l1) // 2
                    bound = (shared / lx + shared / ly + 1.0) / 3.0 if shared > 0 else 0.0
                    if mode == JARO_WINKLER:
                        common = 0
                        for k in range(PREFIX):  # first code points, a byte each from bit 32
                            bx = (wx >> np.uint64(32 + 8 * k)) & _BYTE
                            by = (wy >> np.uint64(32 + 8 * k)) & _BYTE
                            if bx != by or bx == 0:
                                break
                            common += 1
                        bound = bound + 0.1 * common * (1.0 - bound)
                    ok = bool(bound >= cutoff - 1e-6)
            if ok:
                keep[n] = todo[first + j]
                n += 1
    return keep[:n]


_BLOCK = 1024


@njit(nogil=True, cache=True)
def not_in_earlier(rows, width, a, b, todo):  # type: ignore[no-untyped-def]
    """The pairs of ``todo`` that none of the first ``width`` columns of ``rows`` (per
    record, an earlier rule's key, -1 for none) pairs: each pair reads its two records'
    rows once, whatever the number of rules."""
    rest = np.empty(len(todo), np.int64)
    n = 0
    for t in range(len(todo)):
        i = todo[t]
        x, y = a[i], b[i]
        made = False
        for r in range(width):
            key = rows[x, r]
            if key >= 0 and key == rows[y, r]:
                made = True
                break
        if not made:
            rest[n] = i
            n += 1
    return rest[:n]


@njit(nogil=True, cache=True)
def same_key(keys, a, b):  # type: ignore[no-untyped-def]
    """Per pair: both have the same non-null key."""
    out = np.empty(len(a), np.bool_)
    for i in range(len(a)):
        k = keys[a[i]]
        out[i] = k >= 0 and k == keys[b[i]]
    return out


@njit(nogil=True, cache=True)
def count_same_keys(rows, a, b, inverse, n):  # type: ignore[no-untyped-def]
    """Per column of ``rows`` (a rule's key per record, -1 for none), how often each of
    ``n`` patterns (``inverse``: each pair's) occurs among the pairs whose records have the
    same key there: a ``(n, columns)`` table, in one pass over the pairs (no mask, no
    gathered copy of the pairs' patterns, each record's keys read as one row)."""
    width = rows.shape[1]
    out = np.zeros((n, width), np.float64)
    for i in range(len(a)):
        x, y = a[i], b[i]
        p = inverse[i]
        for r in range(width):
            k = rows[x, r]
            if k >= 0 and k == rows[y, r]:
                out[p, r] += 1.0
    return out


@njit(nogil=True, cache=True)
def pack_rows(g, radices):  # type: ignore[no-untyped-def]
    """Each row of the gamma matrix ``g`` as one integer (:func:`_packed`)."""
    packed = np.empty(g.shape[0], np.int64)
    for i in range(g.shape[0]):
        packed[i] = _packed(g, i, radices)
    return packed


@njit(nogil=True, cache=True, inline="always")
def _packed(g, i, radices):  # type: ignore[no-untyped-def]
    """Row ``i`` of ``g`` as one integer: mixed radix over its columns, ``g + 1`` in each
    (null, -1, is 0), the first column most significant."""
    value = np.int64(0)
    for j in range(g.shape[1]):
        value = value * radices[j] + g[i, j] + 1
    return value


@njit(nogil=True, cache=True)
def sum_factors(g, factors, null_column, start):  # type: ignore[no-untyped-def]
    """Per row of ``g``: ``start`` plus, per column ``j``, ``factors[j, g[i, j]]`` (the
    column ``null_column[j]`` for a null, -1)."""
    out = np.empty(g.shape[0], np.float64)
    for i in range(g.shape[0]):
        total = start
        for j in range(g.shape[1]):
            level = g[i, j]
            total += factors[j, level if level >= 0 else null_column[j]]
        out[i] = total
    return out


@njit(nogil=True, cache=True)
def add_where_exact(weights, g, column, codes, a, adjustment):  # type: ignore[no-untyped-def]
    """``weights[i] += adjustment[codes[a[i]]]`` where ``g[i, column]`` is 0 (exact)."""
    for i in range(g.shape[0]):
        if g[i, column] == 0:
            weights[i] += adjustment[codes[a[i]]]


@njit(nogil=True, cache=True)
def profile_rows(points, lengths, bucket_of, rows):  # type: ignore[no-untyped-def]
    """Fill each value's 32-byte row (``identilink.compare._Profile`` describes it):
    character counts per bucket, length and first code points. ``points``: the values'
    code points end to end; ``rows`` comes zeroed."""
    position = 0
    for v in range(len(lengths)):
        size = lengths[v]
        if size < UNCHECKED:
            rows[v, COUNTS] = size
            for k in range(size):
                rows[v, bucket_of[points[position + k]]] += 1
        else:
            rows[v, 0] = UNCHECKED
        for k in range(min(size, PREFIX)):
            rows[v, COUNTS + 1 + k] = points[position + k] % 255 + 1
        position += size


@njit(nogil=True, cache=True)
def first_appearance(codes, width):  # type: ignore[no-untyped-def]
    """Codes of ``0..width-1`` renumbered in order of first appearance in ``codes`` (-1,
    null, stays -1), then the codes it lacks in their order: ``codes`` renumbered and, per
    new number, the old one. One pass (``pd.unique``'s hashing took 6x longer)."""
    new_of_old = np.full(width, -1, np.int64)
    old_of_new = np.empty(width, np.int64)
    out = np.empty(len(codes), np.int64)
    n = 0
    for i in range(len(codes)):
        c = codes[i]
        if c < 0:
            out[i] = -1
            continue
        k = new_of_old[c]
        if k < 0:
            k = n
            new_of_old[c] = n
            old_of_new[n] = c
            n += 1
        out[i] = k
    for c in range(width):
        if new_of_old[c] < 0:
            old_of_new[n] = c
            n += 1
    return out, old_of_new


@njit(nogil=True, cache=True)
def probabilities(weights, which, threshold):  # type: ignore[no-untyped-def]
    """Per pair, the match probability of its weight (``2^w / (1 + 2^w)``, the weight held
    to +-1000), 1 where a must-link rule decided it (``which`` not 0), and whether that
    reaches ``threshold``: one pass (numpy's clip, power, sum and division took 1.6 s at
    73M pairs). :meth:`identilink.FellegiSunterModel.probability` is its reference."""
    probability = np.empty(len(weights), np.float64)
    matched = np.empty(len(weights), np.bool_)
    for i in range(len(weights)):
        if which[i] != 0:
            p = 1.0
        else:
            w = min(max(weights[i], -1000.0), 1000.0)
            p = 1.0 / (1.0 + np.exp2(-w))
        probability[i] = p
        matched[i] = p >= threshold
    return probability, matched


@njit(nogil=True, cache=True)
def column_max(g):  # type: ignore[no-untyped-def]
    """Each column's largest value of the row-major matrix ``g``, in one pass over its rows
    (numpy's reduction along the first axis of a narrow int8 matrix took 1 s at 73M rows)."""
    top = np.full(g.shape[1], -128, np.int64)
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            if g[i, j] > top[j]:
                top[j] = g[i, j]
    return top


@njit(nogil=True, cache=True)
def dense_distinct_rows(g, radices, space):  # type: ignore[no-untyped-def]
    """The distinct rows of ``g`` through a table of all ``space`` possible rows (each row
    packed by :func:`_packed`): the present ones, ascending, and per row its
    distinct row's number. Two passes over ``g`` and none over a packed copy of it (packing,
    counting and numbering the packed rows took 2.2 s at 73M rows)."""
    number = np.zeros(space, np.int64)
    for i in range(g.shape[0]):
        number[_packed(g, i, radices)] = 1
    present = np.empty(space, np.int64)
    n = 0
    for v in range(space):
        if number[v]:
            number[v] = n
            present[n] = v
            n += 1
    inverse = np.empty(g.shape[0], np.intp)
    for i in range(g.shape[0]):
        inverse[i] = number[_packed(g, i, radices)]
    return present[:n], inverse


#: longest values :func:`short_edits` spells out (code points per row of its ``points``)
SHORT = 16


@njit(nogil=True, cache=True)
def short_edits(codes, points, lengths, a, b, todo, transpositions, cutoff, scores):  # type: ignore[no-untyped-def]
    """Edit distances of the pairs of ``todo`` whose values have one length of at most
    ``SHORT`` code points (``points``: a row per value), into ``scores``, held to
    ``cutoff + 1`` as rapidfuzz's cutoff holds them; returns the other pairs.

    Two values of one length differ by mismatched positions only (``h`` of them, the first
    at ``p``, the last at ``q``), and an edit of two operations that keeps the length is
    either two substitutions or a deletion and an insertion, which shift what lies between
    them by one. So Levenshtein is ``h`` for ``h <= 2``, else 2 when ``x[p+1..q]`` is
    ``y[p..q-1]`` or the other way round, else more than 2: exact up to a cutoff of 2.
    With ``transpositions`` (Damerau-Levenshtein) it is 1 for ``h == 1`` or for two
    neighbours swapped, else more than 1: exact up to a cutoff of 1. The caller keeps to
    those cutoffs; :func:`identilink.compare.reference_gamma` and rapidfuzz are the
    references of the property tests.
    """
    rest = np.empty(len(todo), np.int64)
    n = 0
    for i in todo:
        x, y = codes[a[i]], codes[b[i]]
        size = lengths[x]
        if size != lengths[y] or size > SHORT:
            rest[n] = i
            n += 1
            continue
        h = 0
        p = -1
        q = -1
        for k in range(size):
            if points[x, k] != points[y, k]:
                h += 1
                if p < 0:
                    p = k
                q = k
        if h <= 1:
            d = h
        elif transpositions:
            swapped = (
                h == 2
                and q == p + 1
                and points[x, p] == points[y, q]
                and points[x, q] == points[y, p]
            )
            d = 1 if swapped else 2
        elif h == 2:
            d = 2
        else:
            right = True  # x's span moved one to the left in y
            left = True  # y's span moved one to the left in x
            for k in range(p, q):
                if points[x, k + 1] != points[y, k]:
                    right = False
                if points[x, k] != points[y, k + 1]:
                    left = False
            d = 2 if right or left else 3
        scores[i] = min(d, cutoff + 1)
    return rest[:n]


@njit(nogil=True, cache=True)
def ids_in_place(ids, positions):  # type: ignore[no-untyped-def]
    """Each position replaced by the id at it, in place (no new array of every pair: on the
    benchmark machine a new array's first touch costs about 0.8 s per GB)."""
    for i in range(len(positions)):
        positions[i] = ids[positions[i]]
