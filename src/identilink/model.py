"""The Fellegi-Sunter model: u by random sampling, m and the prior by EM, weights per pair.

For a comparison with levels ``0..K`` (``K`` is else) the Bayes factor of level ``k`` is
``m[k] / u[k]``: how much likelier that level is among matches than among non-matches. A pair's
match weight is ``log2(prior odds) + sum(log2 m/u)`` over its comparisons (null adds 0), and an
exact agreement on a term-frequency comparison uses ``m[0] / tf(value)`` instead of
``m[0] / u[0]``, so agreeing on a rare name counts for more than agreeing on a common one.

EM runs on the distinct comparison vectors with their counts, so its cost does not grow with
the number of pairs. u stays fixed at its sampled value (it is well estimated by random pairs,
which are almost all non-matches); m and the prior are re-estimated until they settle.

Models are saved as versioned JSON, never pickle.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from identilink import _kernels
from identilink._table import Table
from identilink.compare import gammas as compute_gammas
from identilink.config import Comparison, Settings, parse_json
from identilink.errors import InputFileError, ModelError

__all__ = [
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "ComparisonModel",
    "FellegiSunterModel",
    "fit",
    "sample_gammas",
    "sample_pairs",
    "total_pairs",
    "train",
]

MODEL_FORMAT = "identilink.fellegi_sunter"
MODEL_VERSION = 1
_FLOOR = 1e-6
Float = npt.NDArray[np.float64]
Gamma = npt.NDArray[np.int8]


def _probabilities(values: Sequence[float], name: str, role: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if any(not 0.0 <= v <= 1.0 for v in out):
        raise ModelError(f"comparison {role!r}: {name} values must lie in [0, 1], got {out}")
    return out


@attrs.frozen
class ComparisonModel:
    """m and u per level (index == gamma, last is else) of one comparison."""

    comparison: Comparison
    m: tuple[float, ...]
    u: tuple[float, ...]

    def __attrs_post_init__(self) -> None:
        size = len(self.comparison.levels) + 1
        if len(self.m) != size or len(self.u) != size:
            raise ModelError(
                f"comparison {self.comparison.role!r} has {size} levels with else, "
                f"but {len(self.m)} m and {len(self.u)} u values"
            )
        _probabilities(self.m, "m", self.comparison.role)
        _probabilities(self.u, "u", self.comparison.role)

    def log2_bayes_factors(self) -> Float:
        """``log2(m/u)`` per level, followed by ``0.0`` for the null level (index ``-1``)."""
        m = np.maximum(np.asarray(self.m), _FLOOR)
        u = np.maximum(np.asarray(self.u), _FLOOR)
        return np.append(np.log2(m / u), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.comparison.to_dict(),
            "labels": list(self.comparison.labels),
            "m": list(self.m),
            "u": list(self.u),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComparisonModel:
        comparison = Comparison.from_dict(data)
        role = comparison.role
        return cls(
            comparison,
            _probabilities(data["m"], "m", role),
            _probabilities(data["u"], "u", role),
        )


@attrs.frozen
class FellegiSunterModel:
    """A trained model: parameters per comparison, the prior, and the settings it was made for."""

    comparisons: tuple[ComparisonModel, ...]
    prior: float
    settings: Settings
    em_iterations: int = 0
    converged: bool = True

    def __attrs_post_init__(self) -> None:
        if not 0.0 < self.prior < 1.0:
            raise ModelError(f"prior must be strictly between 0 and 1, got {self.prior}")

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))

    def match_weights(
        self,
        table: Table,
        a: npt.NDArray[np.int64],
        b: npt.NDArray[np.int64],
        g: Gamma,
        /,
        *,
        term_frequencies: Mapping[str, Float] | None = None,
    ) -> Float:
        """Match weight of each pair: prior weight plus each comparison's (tf-adjusted) weight.

        Term frequencies come from ``table`` unless ``term_frequencies`` gives, per role, the
        frequency of each pair's left value (an engine holding only some records passes the
        frequencies of all of them)."""
        factors = [cm.log2_bayes_factors() for cm in self.comparisons]
        table_of_factors = np.zeros((len(factors), max((len(f) for f in factors), default=1)))
        for j, f in enumerate(factors):
            table_of_factors[j, : len(f)] = f
        null_column = np.array([len(f) - 1 for f in factors], dtype=np.int64)
        weights: Float = _kernels.sum_factors(
            np.asarray(g, dtype=np.int8),
            table_of_factors,
            null_column,
            self.prior_weight,
        )
        for j, cm in enumerate(self.comparisons):
            role = cm.comparison.role
            if not cm.comparison.term_frequency or cm.comparison.levels[0].kind != "exact":
                continue
            given = None if term_frequencies is None else term_frequencies.get(role)
            if given is None and role in table.values:
                # per distinct value, then added where the pair agrees exactly
                codes, _ = table.codes(role)
                adjustment = self._tf_weights(cm, table.term_frequencies(role))
                _kernels.add_where_exact(weights, g, j, codes, a, adjustment)
            else:
                weights += self._tf_adjustment(table, cm, a, g[:, j], given)
        return weights

    def term_frequency_roles(self) -> list[str]:
        """Roles whose exact agreement is weighted by how common the value is."""
        return [
            cm.comparison.role
            for cm in self.comparisons
            if cm.comparison.term_frequency and cm.comparison.levels[0].kind == "exact"
        ]

    @staticmethod
    def _tf_adjustment(
        table: Table,
        cm: ComparisonModel,
        a: npt.NDArray[np.int64],
        g: npt.NDArray[np.int8],
        given: Float | None,
    ) -> Float:
        comparison = cm.comparison
        out = np.zeros(len(g))
        if not comparison.term_frequency or comparison.levels[0].kind != "exact":
            return out
        if comparison.role not in table.values:
            return out
        exact = np.flatnonzero(g == 0)
        if len(exact) == 0:
            return out
        if given is not None:
            tf = given[exact]
        else:
            codes, _ = table.codes(comparison.role)
            tf = table.term_frequencies(comparison.role)[codes[a[exact]]]
        out[exact] = FellegiSunterModel._tf_weights(cm, tf)
        return out

    @staticmethod
    def _tf_weights(cm: ComparisonModel, tf: Float) -> Float:
        """The term-frequency adjustment of exact agreement on values of frequency ``tf``."""
        u_exact = max(cm.u[0], _FLOOR)
        return np.asarray(np.log2(u_exact / np.maximum(tf, _FLOOR)), dtype=np.float64)

    @staticmethod
    def probability(weights: Float) -> Float:
        """Match probability from match weight: ``2^w / (1 + 2^w)``, computed stably."""
        return np.asarray(1.0 / (1.0 + np.exp2(-np.clip(weights, -1000, 1000))), dtype=np.float64)

    # -- serialisation -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "prior": self.prior,
            "em_iterations": self.em_iterations,
            "converged": self.converged,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "settings": self.settings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunterModel:
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ModelError(f"not an identilink model (expected format {MODEL_FORMAT!r})")
        version = data.get("version")
        if version != MODEL_VERSION:
            raise ModelError(
                f"model version {version!r} is not supported by this identilink "
                f"(reads version {MODEL_VERSION})"
            )
        try:
            settings = Settings.from_dict(data["settings"])
            comparisons = tuple(ComparisonModel.from_dict(c) for c in data["comparisons"])
            return cls(
                comparisons=comparisons,
                prior=float(data["prior"]),
                settings=settings,
                em_iterations=int(data.get("em_iterations", 0)),
                converged=bool(data.get("converged", True)),
            )
        except (KeyError, TypeError) as exc:
            raise ModelError(f"model file is missing or has a malformed field: {exc}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> FellegiSunterModel:
        return cls.from_dict(parse_json(text, ModelError, "the model"))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FellegiSunterModel:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot read model: {exc}") from None
        return cls.from_json(text)


# -- estimation ----------------------------------------------------------------------------


def _level_shares(g: npt.NDArray[np.int8], size: int, weights: Float | None = None) -> Float:
    """Share of each level among non-null rows (weighted), Laplace-smoothed by half a count."""
    valid = g >= 0
    counts = np.bincount(
        g[valid], weights=None if weights is None else weights[valid], minlength=size
    )
    return np.asarray((counts + 0.5) / (counts.sum() + 0.5 * size), dtype=np.float64)


def sample_pairs(
    n: int, source: npt.NDArray[np.int8] | None, n_pairs: int, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The random record pairs u is estimated on, as positions: ``n`` records to dedupe, or
    with ``source`` (0 = left, 1 = right per record) to link. Every pair when there are
    fewer than ``n_pairs``. Only positions are drawn, so an engine that numbers its records
    in input order draws the same pairs as the local one."""
    rng = np.random.default_rng(seed)
    if source is None:
        total = n * (n - 1) // 2
        if total <= n_pairs:  # small input: every pair, exactly
            a, b = np.triu_indices(n, k=1)
            return a.astype(np.int64), b.astype(np.int64)
        a = rng.integers(0, n, size=n_pairs)
        b = rng.integers(0, n - 1, size=n_pairs)
        b = b + (b >= a)  # uniform over b != a
        return a.astype(np.int64), b.astype(np.int64)
    left = np.flatnonzero(source == 0)
    right = np.flatnonzero(source == 1)
    if len(left) * len(right) <= n_pairs:
        grid_a, grid_b = np.meshgrid(left, right, indexing="ij")
        return grid_a.ravel().astype(np.int64), grid_b.ravel().astype(np.int64)
    return (
        rng.choice(left, size=n_pairs).astype(np.int64),
        rng.choice(right, size=n_pairs).astype(np.int64),
    )


def total_pairs(n: int, source: npt.NDArray[np.int8] | None) -> int:
    """Pairs a run could compare: all pairs to dedupe, left times right to link."""
    if source is None:
        return n * (n - 1) // 2
    n_right = int(source.sum())
    return (n - n_right) * n_right


def sample_gammas(
    table: Table, comparisons: Sequence[Comparison], /, *, n_pairs: int, seed: int
) -> Gamma:
    """Gammas of random record pairs (all pairs when there are fewer than ``n_pairs``),
    drawn as positions in the input whatever the order of the table's records."""
    here = table.rows_of_input
    source = table.source if here is None or table.source is None else table.source[here]
    a, b = sample_pairs(table.n, source, n_pairs, seed)
    if here is not None:
        a, b = here[a], here[b]
    return compute_gammas(table, comparisons, a, b)


def _log_likelihoods(patterns: Gamma, params: Sequence[Float]) -> Float:
    out = np.zeros(len(patterns))
    for j, p in enumerate(params):
        out += np.append(np.log(np.maximum(p, _FLOOR)), 0.0)[patterns[:, j]]
    return out


def _posterior(patterns: Gamma, m: Sequence[Float], u: Sequence[Float], prior: float) -> Float:
    logit = (
        np.log(prior)
        - np.log1p(-prior)
        + _log_likelihoods(patterns, m)
        - _log_likelihoods(patterns, u)
    )
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700))), dtype=np.float64)


def _initial_m(size: int) -> Float:
    # most matches agree exactly; each step down the levels is much rarer; else is rarest
    raw = np.power(0.15, np.arange(size, dtype=np.float64))
    return np.asarray(raw / raw.sum(), dtype=np.float64)


def em(
    patterns: Gamma,
    counts: Float,
    u: Sequence[Float],
    /,
    *,
    prior: float = 0.1,
    max_iterations: int = 100,
    tolerance: float = 1e-7,
    m: Sequence[Float] | None = None,
) -> tuple[list[Float], float, int, bool]:
    """EM for m and the prior on distinct comparison vectors with counts; u is held fixed.

    With ``m`` given, only the prior is estimated (m is held fixed too).
    Returns ``(m per comparison, prior, iterations, converged)``.
    """
    sizes = [len(uj) for uj in u]
    fixed = m is not None
    m = list(m) if m is not None else [_initial_m(s) for s in sizes]
    total = counts.sum()
    iterations, converged = 0, False
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported after the loop
        weighted = _posterior(patterns, m, u, prior) * counts
        new_prior = float(np.clip(weighted.sum() / total, 1e-9, 1 - 1e-9))
        new_m = (
            m
            if fixed
            else [_level_shares(patterns[:, j], size, weighted) for j, size in enumerate(sizes)]
        )
        change = max(
            [abs(new_prior - prior)]
            + [float(np.abs(nm - om).max()) for nm, om in zip(new_m, m, strict=True)]
        )
        m, prior = new_m, new_prior
        if change < tolerance:
            converged = True
            break
    return m, prior, iterations, converged


def compress(g: Gamma, weights: Float | None = None) -> tuple[Gamma, Float]:
    """Distinct rows of a gamma matrix and how often each occurs (or their total ``weights``).

    Rows are packed into one integer (mixed radix over each column's range) so that a 1-D
    ``np.unique`` does the work; very wide matrices fall back to ``np.unique(axis=0)``.
    Rows come out in the same order for the same set of distinct rows.
    """
    patterns, inverse = _distinct_rows(g)
    if weights is None:
        return patterns, np.bincount(inverse, minlength=len(patterns)).astype(np.float64)
    return patterns, np.bincount(inverse, weights=weights, minlength=len(patterns)).astype(
        np.float64
    )


def _distinct_rows(g: Gamma) -> tuple[Gamma, npt.NDArray[np.intp]]:
    """The distinct rows of ``g`` (sorted) and, per row of ``g``, its distinct row."""
    if len(g) == 0:
        return g, np.zeros(0, dtype=np.intp)
    g = np.asarray(g, dtype=np.int8)  # either order: a copy of 73M rows costs more than
    # reading a column-major matrix row by row
    radices = _kernels.column_max(g) + 2  # null (-1) becomes 0
    space = float(np.prod(radices.astype(np.float64)))
    if space >= 2.0**62:
        patterns, inverse = np.unique(g, axis=0, return_inverse=True)
        return patterns.astype(np.int8), inverse.ravel()
    if space > _DENSE_ROWS:
        packed = _kernels.pack_rows(g, radices)
        _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
        return g[first].astype(np.int8), inverse.ravel()
    # few possible rows (the usual case): number them in a table instead of sorting pairs
    present, inverse = _kernels.dense_distinct_rows(g, radices, int(space))
    patterns = np.empty((len(present), g.shape[1]), dtype=np.int8)
    rest = present.copy()
    for j in range(g.shape[1] - 1, -1, -1):  # the last column is the least significant
        patterns[:, j] = rest % radices[j] - 1
        rest //= radices[j]
    return patterns, inverse


_DENSE_ROWS = 1 << 24  # possible rows past which distinct rows are found by sorting


def _sessions(
    patterns: Gamma,
    rule_counts: Sequence[Float],
    rule_roles: Sequence[set[str]],
    comparisons: Sequence[Comparison],
    u: Sequence[Float],
    settings: Settings,
) -> list[Float] | None:
    """m by one EM session per blocking rule, as Splink trains: in the pairs a rule makes,
    the comparisons of the rule's own roles agree by construction, so they are left out and
    the others are estimated; each comparison's m is the mean over the sessions that
    estimated it. ``None`` when no comparison gets an estimate.

    ``rule_counts``: per rule, how many of its pairs have each of the distinct gamma rows
    ``patterns``, so a session works on counts, never on pairs."""
    estimates: list[list[Float]] = [[] for _ in comparisons]
    for per_row, roles in zip(rule_counts, rule_roles, strict=True):
        free = [j for j, c in enumerate(comparisons) if c.role not in roles]
        if int(per_row.sum()) < _MIN_SESSION_PAIRS or len(free) < 2:
            continue
        present = per_row > 0
        rows, counts = compress(patterns[present][:, free], per_row[present])
        m, _, _, _ = em(
            rows,
            counts,
            [u[j] for j in free],
            max_iterations=settings.em_max_iterations,
            tolerance=settings.em_tolerance,
        )
        for j, mj in zip(free, m, strict=True):
            estimates[j].append(mj)
    if not all(estimates):
        return None
    return [np.asarray(np.mean(e, axis=0), dtype=np.float64) for e in estimates]


_MIN_SESSION_PAIRS = 200


def train(
    table: Table,
    settings: Settings,
    comparisons: Sequence[Comparison],
    g: Gamma,
    /,
    *,
    in_rule: Sequence[npt.NDArray[np.bool_]] = (),
    rule_roles: Sequence[set[str]] = (),
    rule_counts: Callable[[npt.NDArray[np.intp], int], list[Float]] | None = None,
) -> FellegiSunterModel:
    """Fit u by random sampling and m plus the prior by EM on the blocked pairs' gammas
    (see :func:`fit`, which does the work on counts of distinct gamma rows).

    ``in_rule``: per blocking rule, which of the pairs it makes; ``rule_roles``: its roles.
    ``rule_counts``, in place of ``in_rule``: given each pair's pattern (distinct gamma row)
    and the number of patterns, per rule how often each pattern occurs among its pairs
    (:func:`identilink.blocking.pattern_counts` counts them without a mask per rule).
    """
    sample, sample_counts = compress(
        sample_gammas(table, comparisons, n_pairs=settings.u_sample_pairs, seed=settings.seed)
    )
    if rule_counts is not None and in_rule:
        raise TypeError("train() takes in_rule or rule_counts, not both")
    patterns, inverse = _distinct_rows(g)
    counts = np.bincount(inverse, minlength=len(patterns)).astype(np.float64)
    if rule_counts is not None:
        per_rule = rule_counts(inverse, len(patterns))
    else:
        per_rule = [
            np.bincount(inverse[mask], minlength=len(patterns)).astype(np.float64)
            for mask in in_rule
        ]
    return fit(
        settings,
        comparisons,
        (sample, sample_counts),
        (patterns, counts, per_rule),
        rule_roles=rule_roles,
        total_pairs=total_pairs(table.n, table.source),
    )


def fit(
    settings: Settings,
    comparisons: Sequence[Comparison],
    sample: tuple[Gamma, Float],
    blocked: tuple[Gamma, Float, Sequence[Float]],
    /,
    *,
    rule_roles: Sequence[set[str]],
    total_pairs: int,
) -> FellegiSunterModel:
    """Fit a model on counts: any engine that can count distinct gamma rows can train.

    - ``sample``: the distinct gamma rows of random pairs and how often each occurs (u).
    - ``blocked``: the distinct gamma rows of the blocked pairs, how often each occurs, and
      per blocking rule how often each occurs among that rule's pairs (m and the prior).
      Rows in any order: they are put in one canonical order first, so engines that count
      the same rows fit the same model to the last bit.
    - ``total_pairs``: pairs the run could compare (the prior is a share of these).

    Random pairs hold a few matches, which inflate u where data are small. So after a first
    EM, u is re-estimated with each random pair weighted by its probability of being a
    non-match, and EM runs once more with the corrected u.

    m comes from one EM session per rule (see :func:`_sessions`) when every comparison is
    free in some session, and the prior from a last EM with m and u held; this keeps EM from
    taking "same name" for "same person" where names are common.
    """
    sample_rows, sample_counts = _canonical(*sample)
    patterns, counts, rule_counts = blocked
    order, patterns = _canonical_order(patterns)
    counts = np.asarray(counts, dtype=np.float64)[order]
    rule_counts = [np.asarray(c, dtype=np.float64)[order] for c in rule_counts]
    sizes = [len(c.levels) + 1 for c in comparisons]

    def shares(weights: Float) -> list[Float]:
        return [_level_shares(sample_rows[:, j], size, weights) for j, size in enumerate(sizes)]

    u = shares(sample_counts)
    total = max(total_pairs, 1)
    n_blocked = float(counts.sum())
    if n_blocked == 0 or len(sample_rows) == 0:
        m = [_initial_m(size) for size in sizes]
        prior, iterations, converged = min(1.0 / total, 0.5), 0, False
    else:
        for round_ in range(2):
            session_m = _sessions(patterns, rule_counts, rule_roles, comparisons, u, settings)
            m, blocked_prior, iterations, converged = em(
                patterns,
                counts,
                u,
                max_iterations=settings.em_max_iterations,
                tolerance=settings.em_tolerance,
                m=session_m,
            )
            # EM's prior is the match rate among *blocked* pairs, which depends on the
            # blocking rules; the model keeps the rate among all pairs (matches are assumed
            # to be blocked together)
            prior = float(np.clip(blocked_prior * n_blocked / total, 1e-12, 0.5))
            if round_ == 0:
                u = shares(sample_counts * (1.0 - _posterior(sample_rows, m, u, prior)))
    return FellegiSunterModel(
        comparisons=tuple(
            ComparisonModel(c, tuple(mj.tolist()), tuple(uj.tolist()))
            for c, mj, uj in zip(comparisons, m, u, strict=True)
        ),
        prior=prior,
        settings=settings,
        em_iterations=iterations,
        converged=converged,
    )


def _canonical_order(patterns: Gamma) -> tuple[npt.NDArray[np.intp], Gamma]:
    """Distinct gamma rows sorted as :func:`_distinct_rows` sorts them (lexicographically),
    and the order that sorts them."""
    patterns = np.asarray(patterns, dtype=np.int8)  # two-dimensional: rows x comparisons
    order = np.lexsort(patterns.T[::-1]) if len(patterns) else np.zeros(0, dtype=np.intp)
    return order, patterns[order]


def _canonical(patterns: Gamma, counts: Float) -> tuple[Gamma, Float]:
    order, rows = _canonical_order(patterns)
    return rows, np.asarray(counts, dtype=np.float64)[order]
