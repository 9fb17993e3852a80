"""Blocking rules chosen for the data: the fewest pairs that keep the true pairs.

On a sample of the records (whole entities when there are labels, so that the sample keeps
their true pairs; else records at random), every candidate rule (each role, phonetic codes
and prefixes of names, date parts, e-mail and phone parts, and conjunctions of two of them)
makes its pairs.
The true pairs are those of a label column when there is one, else the pairs a run with the
default rules matches on the sample (then completeness is measured against what identilink
finds, not against the truth). Rules are chosen greedily, as in weighted set cover: each time
the rule that covers the most not-yet-covered true pairs per new pair it adds, until the
chosen rules together keep ``target`` of the true pairs or no rule adds any. The table shows
the trade-off rule by rule: pairs, cumulative pairs, completeness so far and the pairs the
rules would make on all records (true pairs scaled by the sampling ratio when whole entities
were sampled, the others by its square). Without labels on a large input, a random sample
holds few true pairs (a pair survives with the square of the sampling ratio), so the choice
rests on few; labels give a sounder answer.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink._io import to_pandas
from identilink._pipeline import _coerce_settings, dedupe, prepare_one
from identilink._table import IdentilinkWarning, Table
from identilink.blocking import count_pairs, pairs_within, rule_pairs
from identilink.config import BlockingRule, Settings
from identilink.errors import ConfigurationError

__all__ = ["suggest_blocking"]

_SINGLE = {
    "first_name": ("first_name", "metaphone(first_name)", "nickname(first_name)"),
    "last_name": ("last_name", "soundex(last_name)", "first(last_name, 3)"),
    "full_name": ("full_name",),
    "email": ("email", "email_local(email)"),
    "phone": ("phone", "digits_last(phone, 7)"),
    "dob": ("dob", "year(dob)", "month_day(dob)"),
    "street": ("street",),
    "city": ("city",),
    "postcode": ("postcode",),
    "national_id": ("national_id",),
    "street_number": ("street_number",),
}
_MAX_PER_RECORD = 50.0  # candidate rules making more pairs per sampled record are not tried


def suggest_blocking(
    data: object,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    label: str | None = None,
    sample: int = 20_000,
    target: float = 0.995,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Suggested blocking rules, in the order chosen, with the trade-off of each.

    Columns: ``rule``, ``pairs`` (on the sample, alone), ``cumulative_pairs``,
    ``pair_completeness`` (of the rules so far), ``estimated_pairs`` (cumulative, on all the
    records). ``label``: a column naming each record's true entity, if there is one.
    """
    if not 0.0 < target <= 1.0:
        raise ConfigurationError(f"target must lie in (0, 1], not {target}")
    frame = to_pandas(data, name="input")
    truth = None
    if label is not None:
        if label not in frame.columns:
            raise ConfigurationError(f"label column {label!r} not found in the input")
        truth = frame[label]
        frame = frame.drop(columns=[label])
    n_all = len(frame)
    if n_all > sample:
        rng = np.random.default_rng(seed)
        if truth is not None:  # whole entities, so the sample keeps their true pairs
            codes = pd.factorize(truth, use_na_sentinel=False)[0]
            order = rng.permutation(int(codes.max()) + 1)
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            by_entity = np.argsort(rank[codes], kind="stable")
            keep = np.sort(by_entity[:sample])
        else:
            keep = np.sort(rng.choice(n_all, size=sample, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
        truth = truth.iloc[keep].reset_index(drop=True) if truth is not None else None
    given = _coerce_settings(settings) or Settings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        resolved, table = prepare_one(frame, given, columns)
    true = _true_pairs(table, frame, truth, given)
    candidates = _candidates(table)
    ratio = n_all / table.n if table.n else 1.0
    # pairs inside entities grow with the records, pairs across them with their square; a
    # sample of random records loses true pairs with the square too
    scales = (ratio if truth is not None else ratio**2, ratio**2)
    return _greedy(table, candidates, true, target, scales, resolved.max_block_size)


def _true_pairs(
    table: Table, frame: pd.DataFrame, truth: pd.Series | None, settings: Settings
) -> npt.NDArray[np.int64]:
    n = np.int64(table.n)
    if truth is not None:
        codes = pd.factorize(truth, use_na_sentinel=True)[0].astype(np.int64)
        a, b, _ = pairs_within(codes)
        return np.unique(a * n + b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentilinkWarning)
        result = dedupe(frame, settings)
    matched = result.pairs[result.pairs["matched"]]
    position = {record: i for i, record in enumerate(table.ids.tolist())}
    a = matched["left_id"].map(position).to_numpy(dtype=np.int64)
    b = matched["right_id"].map(position).to_numpy(dtype=np.int64)
    return np.unique(np.minimum(a, b) * n + np.maximum(a, b))


def _candidates(table: Table) -> list[BlockingRule]:
    singles = [key for role, keys in _SINGLE.items() if role in table.values for key in keys]
    rules = [BlockingRule([k]) for k in singles]
    for x, y in itertools.combinations(rules[:], 2):
        if x.keys[0].role != y.keys[0].role:  # two parts of one role say little more
            rules.append(BlockingRule([*x.keys, *y.keys]))
    counts = count_pairs(table, rules)["pairs"].to_numpy()
    return [r for r, c in zip(rules, counts, strict=True) if c <= _MAX_PER_RECORD * table.n]


def _greedy(
    table: Table,
    rules: list[BlockingRule],
    true: npt.NDArray[np.int64],
    target: float,
    scales: tuple[float, float],
    max_block_size: int | None,
) -> pd.DataFrame:
    n = np.int64(table.n)
    made = {}
    for rule in rules:
        a, b = rule_pairs(table, rule, max_block_size=max_block_size)
        made[rule] = np.unique(a * n + b)
    covered = np.zeros(len(true), dtype=bool)
    chosen: np.ndarray = np.zeros(0, dtype=np.int64)
    rows = []
    while rules and (len(true) == 0 or covered.mean() < target):
        best, best_gain, best_ratio = None, 0, -1.0
        for rule in rules:
            hits = np.isin(true[~covered], made[rule])
            gain = int(hits.sum())
            if gain == 0:
                continue
            new = len(np.setdiff1d(made[rule], chosen, assume_unique=True))
            ratio = gain / (new + 1)
            if ratio > best_ratio:
                best, best_gain, best_ratio = rule, gain, ratio
        if best is None:
            break
        covered[~covered] = np.isin(true[~covered], made[best])
        chosen = np.union1d(chosen, made[best])
        rules.remove(best)
        rows.append(
            {
                "rule": str(best),
                "pairs": len(made[best]),
                "cumulative_pairs": len(chosen),
                "new_true_pairs": best_gain,
                "pair_completeness": float(covered.mean()) if len(true) else 1.0,
                "estimated_pairs": round(
                    covered.sum() * scales[0] + (len(chosen) - covered.sum()) * scales[1]
                ),
            }
        )
    columns = ["rule", "pairs", "cumulative_pairs", "new_true_pairs", "pair_completeness"]
    return pd.DataFrame(rows, columns=[*columns, "estimated_pairs"])
