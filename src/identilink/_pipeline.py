"""Batch resolution on the local engine: normalise, block, compare, train, score, cluster."""

from __future__ import annotations

import ctypes
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink import _kernels
from identilink._io import to_pandas
from identilink._progress import Progress
from identilink._table import Table, prepare
from identilink.blocking import (
    CHUNK_PAIRS,
    Index,
    block,
    block_order,
    cumulative_pairs,
    iter_pairs,
    pattern_counts,
)
from identilink.blocking import count_pairs as count_rule_pairs
from identilink.cluster import components
from identilink.compare import gamma as compute_gamma
from identilink.compare import gammas as compute_gammas
from identilink.config import BlockingRule, Comparison, Level, Settings
from identilink.errors import ConfigurationError, InputDataError, ModelError
from identilink.golden import golden_records
from identilink.model import FellegiSunterModel, train
from identilink.roles import (
    default_blocking_rules,
    default_comparisons,
    infer_id_column,
    infer_roles,
)

__all__ = ["Result", "candidate_pairs", "count_pairs", "dedupe", "link"]

_SIDES = np.array(["left", "right"], dtype=object)


@attrs.frozen
class Result:
    """What a run produced. Every table is a pandas DataFrame.

    - ``pairs``: scored candidate pairs (``left_id, right_id, match_weight, match_probability,
      matched, rule`` and one ``gamma_<role>`` column per comparison).
    - ``clusters``: ``record_id, cluster_id`` (and ``source`` when linking).
    - ``golden``: one row per cluster.
    - ``report``: counts, rejected values, blocking statistics and timings.
    """

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    golden: pd.DataFrame
    model: FellegiSunterModel
    settings: Settings
    report: dict[str, Any]


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 4)


def settings_to_run(settings: Settings | None, model: FellegiSunterModel | None) -> Settings:
    """The settings a run starts from: the model's when a model is given (settings beside
    it are an error unless they are the same), else the given ones, else the defaults."""
    if model is not None:
        if settings is not None and settings != model.settings:
            raise ConfigurationError("pass either settings or a model, not both")
        return model.settings
    return settings if settings is not None else Settings()


def _resolve_settings(
    frames: list[pd.DataFrame], names: list[str], settings: Settings, columns: Mapping[str, str]
) -> tuple[Settings, frozenset[str]]:
    """Fill in id column, roles, comparisons and blocking rules the settings leave open."""
    for frame, name in zip(frames, names, strict=True):
        if len(frame) == 0:
            raise InputDataError(f"{name}: no records")
    header = list(frames[0].columns)
    id_column = settings.id_column if settings.id_column is not None else infer_id_column(header)
    explicit = frozenset(settings.roles or ()) | frozenset(columns)
    if settings.roles is None:
        roles = infer_roles(frames[0], id_column=id_column, overrides=columns)
    else:
        roles = dict(settings.roles) | dict(columns)
    if not roles:
        raise InputDataError(
            "no column could be given a role; name them with --column ROLE=COLUMN "
            f"(columns: {header})"
        )
    comparisons = settings.comparisons
    if comparisons is None:
        comparisons = default_comparisons(list(roles))
    blocking = settings.blocking_rules
    if blocking is None:
        blocking = default_blocking_rules(list(roles))
    resolved = attrs.evolve(
        settings,
        id_column=id_column,
        roles=roles,
        comparisons=comparisons,
        blocking_rules=blocking,
    )
    return resolved, explicit


def _usable(settings: Settings, table: Table) -> tuple[tuple[Comparison, ...], list[str]]:
    """Comparisons whose role survived preparation; others are reported as skipped."""
    assert settings.comparisons is not None
    skipped = [c.role for c in settings.comparisons if c.role not in table.values]
    unknown = [
        c.role for c in settings.comparisons if settings.roles and c.role not in settings.roles
    ]
    if unknown:
        raise ConfigurationError(
            f"comparison(s) for role(s) {unknown} have no column; map them in roles"
        )
    return tuple(c for c in settings.comparisons if c.role in table.values), skipped


def _release_memory() -> None:
    """Hand memory freed by the last stage back to the system (glibc keeps freed heap pages
    otherwise, and a million-record run's peak counts them). A no-op elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def _must_link(
    table: Table, settings: Settings, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int8], list[str]]:
    """Which rule decided each pair, as codes into the returned names: ``0`` ("model") or
    the first must-link rule whose roles all agree."""
    which = np.zeros(len(a), dtype=np.int8)
    names = ["model"]
    for roles in settings.must_link:
        if not all(r in table.values for r in roles):
            continue
        hit = np.ones(len(a), dtype=bool)
        for r in roles:
            if r in table.value_sets:  # records holding several values: any one shared
                hit &= compute_gamma(table, Comparison(r, [Level("exact")]), a, b) == 0
                continue
            codes, _ = table.codes(r)
            hit &= (codes[a] >= 0) & (codes[a] == codes[b])
        which[hit & (which == 0)] = len(names)
        names.append("must_link:" + "+".join(roles))
    return which, names


def _runnable(table: Table, rules: tuple[BlockingRule, ...]) -> tuple[BlockingRule, ...]:
    """The rules whose roles the prepared input has; an error when none is left."""
    runnable = tuple(r for r in rules if all(k.role in table.values for k in r.keys))
    if not runnable:
        raise ConfigurationError(
            "no blocking rule can run: every rule uses a role the input lacks or has empty"
        )
    return runnable


def _within_budget(
    table: Table, rules: tuple[BlockingRule, ...], per_record: float
) -> tuple[tuple[BlockingRule, ...], list[dict[str, object]], npt.NDArray[np.int64]]:
    """Default rules that each make at most ``per_record`` pairs per record (the smallest
    rule is kept whatever it makes), the rules left out with their pair counts, and the
    kept rules' counts."""
    counts = count_rule_pairs(table, rules)["pairs"].to_numpy()
    budget = per_record * max(table.n, 1)
    keep = counts <= budget
    if not keep.any():
        keep[int(np.argmin(counts))] = True
    dropped = [
        {"rule": str(r), "pairs": int(c), "budget": int(budget)}
        for r, c, k in zip(rules, counts, keep, strict=True)
        if not k
    ]
    return tuple(r for r, k in zip(rules, keep, strict=True) if k), dropped, counts[keep]


def _to_input_order(order: Index, left: Index, right: Index, linking: bool) -> None:
    """Pairs of the reordered table (records ``order`` of the input) back to the input's
    record positions, in place (in slices: two more arrays of every pair was 1.2 GB at 73M
    pairs); deduplicating, the earlier record first again."""
    for start in range(0, len(left), _BACK_SLICE):
        part = slice(start, start + _BACK_SLICE)
        a, b = order[left[part]], order[right[part]]
        if linking:  # left records stay left
            left[part], right[part] = a, b
        else:
            left[part], right[part] = np.minimum(a, b), np.maximum(a, b)


_BACK_SLICE = 1 << 20


def _pair_ids(
    ids: npt.NDArray[Any], left: Index, right: Index
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """The pairs' record ids: integer ids written over the pairs' positions, which the run
    no longer needs (two gathers into new arrays took 2.9 s at 73M pairs, mostly the new
    arrays' first touch; in place 0.3 s), other ids gathered."""
    if ids.dtype != np.int64:
        return ids[left], ids[right]
    _kernels.ids_in_place(ids, left)
    _kernels.ids_in_place(ids, right)
    return left, right


def _run(
    frames: list[pd.DataFrame],
    names: list[str],
    settings: Settings | None,
    model: FellegiSunterModel | None,
    progress: bool,
    columns: Mapping[str, str] | None,
) -> Result:
    timer = _Timer()
    settings = settings_to_run(settings, model)
    given_rules = settings.blocking_rules
    linking = len(frames) == 2
    with Progress(enabled=progress) as bar:
        with timer.stage("prepare"), bar.stage("normalising"):
            settings, explicit = _resolve_settings(frames, names, settings, columns or {})
            assert settings.roles is not None
            assert settings.blocking_rules is not None
            table = prepare(
                frames,
                settings,
                settings.roles,
                settings.id_column,
                names=names,
                explicit_roles=explicit,
            )
        comparisons, skipped = _usable(settings, table)
        rules = _runnable(table, settings.blocking_rules)
        dropped: list[dict[str, object]] = []
        counts: npt.NDArray[np.int64] | None = None
        with timer.stage("blocking"), bar.stage("blocking"):
            if given_rules is None:  # the default rules' pair budget counts as blocking
                rules, dropped, counts = _within_budget(table, rules, settings.max_pairs_per_record)
                settings = attrs.evolve(settings, blocking_rules=rules)
                assert settings.roles is not None
            # up to scoring, the records in blocks (``work``): pairs then read records and
            # values near the ones before them
            order = block_order(table, rules, counts)
            work = table if order is None else table.take(order)
            blocked = block(work, rules, max_block_size=settings.max_block_size)
        a, b = blocked.left, blocked.right
        with timer.stage("comparing"), bar.stage(f"comparing {len(a):,} pairs"):
            g = compute_gammas(work, comparisons, a, b)
        _release_memory()  # what the comparisons freed goes back to the system
        with timer.stage("training"), bar.stage("training"):
            if model is None:
                cap = settings.max_block_size
                model = train(
                    work,
                    settings,
                    comparisons,
                    g,
                    rule_roles=[{k.role for k in r.keys} for r in rules],
                    rule_counts=lambda inverse, n: pattern_counts(
                        work, rules, a, b, inverse, n, max_block_size=cap
                    ),
                )
            elif tuple(cm.comparison for cm in model.comparisons) != comparisons:
                raise ModelError(
                    "the model's comparisons do not fit this input (roles missing or empty: "
                    f"{skipped})"
                )
        with timer.stage("scoring"), bar.stage("scoring"):
            weights = model.match_weights(work, a, b, g)
            which_rule, rule_names = _must_link(work, settings, a, b)
            probability, matched = _kernels.probabilities(weights, which_rule, settings.threshold)
            table.drop_caches(keep_roles=True)  # keys' codes: not needed from here on
            if order is not None:  # the pairs in the input's positions from here on
                _to_input_order(order, a, b, linking)
                work = table  # the reordered copy goes
        with timer.stage("clustering"), bar.stage("clustering"):
            labels = components(table.n, a[matched], b[matched])
            first = np.unique(labels, return_index=True)[1]
            display = table.ids
            if linking:
                assert table.source is not None
                display = np.array(
                    [f"{s}:{i}" for s, i in zip(_SIDES[table.source], table.ids, strict=True)],
                    dtype=object,
                )
            cluster_ids = display[first]
        _release_memory()
        with timer.stage("golden"), bar.stage("golden records"):
            roles = settings.roles
            assert roles is not None
            original = (  # one frame is read as it is (by position): no copy
                frames[0]
                if len(frames) == 1
                else pd.concat([f[list(roles.values())] for f in frames], ignore_index=True)
            )
            golden = golden_records(
                original,
                table.values,
                roles,
                labels,
                cluster_ids,
                display,
                codes=lambda role: table.codes(role)[0],
                several={
                    role: (*table.all_values(role), table.codes(role)[1])
                    for role in table.value_sets
                },
            )
    left_ids, right_ids = _pair_ids(table.ids, a, b)
    pair_columns: dict[str, object] = {
        "left_id": left_ids,
        "right_id": right_ids,
        "match_weight": weights,
        "match_probability": probability,
        "matched": matched,
        # a category per rule: a string per pair cost 54 bytes a pair
        "rule": pd.Categorical.from_codes(
            cast("Sequence[int]", which_rule), categories=pd.Index(rule_names)
        ),
    }
    # the columns of a column-major matrix, as they are (a copy each was 1.1 s at 73M pairs)
    pair_columns.update({f"gamma_{c.role}": g[:, j] for j, c in enumerate(comparisons)})
    pairs = pd.DataFrame(pair_columns, copy=False)  # the arrays are ours: no second copy
    clusters = pd.DataFrame({"record_id": table.ids, "cluster_id": cluster_ids[labels]})
    if linking:
        assert table.source is not None
        clusters.insert(1, "source", _SIDES[table.source])
    report = {
        "mode": "link" if linking else "dedupe",
        "n_records": table.n,
        "n_candidate_pairs": len(a),
        "n_matched_pairs": int(matched.sum()),
        "n_clusters": len(cluster_ids),
        "threshold": settings.threshold,
        "roles": dict(roles),
        "skipped_roles": skipped,
        "blocking": blocked.rule_stats.to_dict(orient="records"),
        "rules_over_budget": dropped,
        "oversized_blocks": blocked.oversized,
        "rejected_values": [r.to_dict() for r in table.reports if r.n_invalid],
        "n_rejected_values": sum(r.n_invalid for r in table.reports),
        "em_iterations": model.em_iterations,
        "em_converged": model.converged,
        "prior": model.prior,
        "seconds": timer.seconds,
    }
    return Result(pairs, clusters, golden, model, settings, report)


def prepare_one(
    frame: pd.DataFrame, settings: Settings, columns: Mapping[str, str] | None = None
) -> tuple[Settings, Table]:
    """One input's settings with everything inferred filled in, and its normalised table."""
    resolved, explicit = _resolve_settings([frame], ["input"], settings, columns or {})
    assert resolved.roles is not None
    table = prepare(
        [frame],
        resolved,
        resolved.roles,
        resolved.id_column,
        names=["input"],
        explicit_roles=explicit,
    )
    return resolved, table


def count_pairs(
    data: object,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Blocking rule analysis before a run, without making every pair.

    One row per rule: ``pairs`` it makes on its own (from block sizes; a multi-valued rule
    counts a pair once per key it shares, an upper bound),
    ``largest_block``, ``null_keys``, ``cumulative_pairs`` of the rules up to it together
    (exact up to 200,000 records, else estimated from a random sample: ``estimated``), and
    ``kept``: ``False`` for a default rule that a run leaves out for making more than
    ``max_pairs_per_record`` pairs per record.
    """
    frame = to_pandas(data, name="input")
    given = _coerce_settings(settings) or Settings()
    resolved, table = prepare_one(frame, given, columns)
    assert resolved.blocking_rules is not None
    rules = resolved.blocking_rules
    counts = count_rule_pairs(table, rules)
    kept = set(rules)
    if given.blocking_rules is None:
        kept = set(_within_budget(table, rules, resolved.max_pairs_per_record)[0])
    cumulative, estimated = cumulative_pairs(
        table, rules, seed=resolved.seed, max_block_size=resolved.max_block_size
    )
    counts["cumulative_pairs"] = np.round(cumulative).astype(np.int64)
    counts["estimated"] = estimated
    counts["kept"] = [r in kept for r in rules]
    return counts


def candidate_pairs(
    data: object,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    chunk_pairs: int = CHUNK_PAIRS,
) -> Iterator[pd.DataFrame]:
    """The candidate pairs a run of :func:`dedupe` would compare, ``chunk_pairs`` (about)
    at a time, for pair counts too large to hold: frames of ``left_id, right_id, rule``
    (the first rule making the pair), each pair once over all of them. Default rules that
    make more than ``max_pairs_per_record`` pairs per record are left out, as in a run.

    Beyond the prepared records, memory is bounded by the chunk for equality rules;
    multi-valued and window rules make their pairs whole first
    (:func:`identilink.blocking.iter_pairs`).
    """
    frame = to_pandas(data, name="input")
    given = _coerce_settings(settings) or Settings()
    resolved, table = prepare_one(frame, given, columns)
    assert resolved.blocking_rules is not None
    rules = _runnable(table, resolved.blocking_rules)
    if given.blocking_rules is None:
        rules, _, _ = _within_budget(table, rules, resolved.max_pairs_per_record)
    names = [str(r) for r in rules]
    for chunk in iter_pairs(
        table, rules, max_block_size=resolved.max_block_size, chunk_pairs=chunk_pairs
    ):
        yield pd.DataFrame(
            {
                "left_id": table.ids[chunk.left],
                "right_id": table.ids[chunk.right],
                "rule": names[chunk.rule],
            }
        )


def _coerce_settings(settings: Settings | Mapping[str, Any] | None) -> Settings | None:
    if settings is None or isinstance(settings, Settings):
        return settings
    if isinstance(settings, Mapping):
        return Settings.from_dict(settings)
    raise ConfigurationError(
        f"settings must be a Settings, a mapping or None, not {type(settings).__name__}"
    )


def dedupe(
    data: object,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    model: FellegiSunterModel | None = None,
    columns: Mapping[str, str] | None = None,
    progress: bool = False,
) -> Result:
    """Find the records of ``data`` that describe the same customer.

    ``data`` is a pandas or polars DataFrame, a pyarrow Table or an iterable of dicts. Without
    settings, roles are inferred from the columns and a model is trained unsupervised; pass a
    trained ``model`` to score with it instead. ``columns`` (role -> column) adds to or
    overrides the roles, whether inferred or set in the settings.
    """
    frame = to_pandas(data, name="input")
    return _run([frame], ["input"], _coerce_settings(settings), model, progress, columns)


def link(
    left: object,
    right: object,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    model: FellegiSunterModel | None = None,
    columns: Mapping[str, str] | None = None,
    progress: bool = False,
) -> Result:
    """Find the records of ``left`` and ``right`` that describe the same customer.

    Only pairs across the two inputs are compared. Both inputs need the columns the roles name;
    record ids must be unique within each input.
    """
    frames = [to_pandas(left, name="left"), to_pandas(right, name="right")]
    return _run(frames, ["left", "right"], _coerce_settings(settings), model, progress, columns)
