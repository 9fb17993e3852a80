"""Peers in the same run: Splink (DuckDB) and recordlinkage beside identilink, with the same
blocking and the same cleaned values, so what differs is the matching.

Both peers get identilink's *normalised* role values (names folded, e-mails lower-cased,
phones in E.164, dates in ISO) and, as extra columns, the values of identilink's blocking
keys (``soundex(last_name)`` and the like, computed by identilink), and block on exactly the
rules identilink ran (equality rules; multi-valued and window rules have no peer equivalent
and are left out, and the report says so). Each peer then trains its own model, unsupervised:

- Splink: a comparison per role from its library (names with term frequencies, e-mail,
  date of birth, Levenshtein on addresses and codes, exact otherwise), the match rate from
  deterministic rules, u by random sampling, EM on the blocking rules; links at 0.9.
- recordlinkage: the same candidate pairs, binary comparisons (Jaro-Winkler >= 0.85 on
  names, Levenshtein similarity >= 0.85 on addresses, exact otherwise) and its ECM
  classifier; clusters as connected components of its matches.

Splink and recordlinkage are the ``bench`` extra (``pip install identilink[bench]``); a peer
that is not installed is reported as such, not run.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from identilink._table import Table
from identilink.bench.metrics import cluster_pair_metrics
from identilink.cluster import components
from identilink.config import BlockingRule, Settings

__all__ = ["PEERS", "peer_input", "run_peers"]

#: The peers :func:`run_peers` knows, by the name of their package.
PEERS = ("splink", "recordlinkage")

_NAMES = {"first_name", "last_name", "full_name"}
_FUZZY = {"street", "address_2", "city"}


def peer_input(table: Table, settings: Settings) -> tuple[pd.DataFrame, list[list[str]], list[str]]:
    """The peers' input: ``unique_id`` (position), a column per role with identilink's
    normalised values, a ``key_<i>`` column per blocking key; the rules as lists of those
    columns; and the rules left out (no equality form)."""
    rules: list[BlockingRule] = list(settings.blocking_rules or ())
    frame: dict[str, Any] = {"unique_id": np.arange(table.n)}
    frame.update(table.values)
    names: dict[str, str] = {}
    kept: list[list[str]] = []
    skipped: list[str] = []
    for rule in rules:
        if rule.kind != "equal" or not all(k.role in table.values for k in rule.keys):
            skipped.append(str(rule))
            continue
        columns = []
        for key in rule.keys:
            name = names.setdefault(str(key), f"key_{len(names)}")
            if name not in frame:
                frame[name] = table.key_values(key)[table.key_codes(key)]
                frame[name][table.key_codes(key) < 0] = None
            columns.append(name)
        kept.append(columns)
    return pd.DataFrame(frame), kept, skipped


def _splink(frame: pd.DataFrame, rules: list[list[str]], roles: Sequence[str]) -> np.ndarray:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    comparisons: list[Any] = []  # splink is typed where installed, Any where not (CI)
    for role in roles:
        if role in _NAMES:
            comparisons.append(cl.NameComparison(role).configure(term_frequency_adjustments=True))
        elif role == "email":
            comparisons.append(cl.EmailComparison(role))
        elif role == "dob":
            comparisons.append(
                cl.DateOfBirthComparison(
                    role,
                    input_is_string=True,
                    datetime_format="%Y-%m-%d",
                    invalid_dates_as_null=True,
                )
            )
        elif role in _FUZZY:
            comparisons.append(cl.LevenshteinAtThresholds(role, [1, 2]))
        elif role in {"postcode", "phone", "national_id"}:
            comparisons.append(cl.DamerauLevenshteinAtThresholds(role, [1, 2]))
        else:
            comparisons.append(cl.ExactMatch(role))
    blocking: list[Any] = [block_on(*columns) for columns in rules]
    settings = SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
    )
    db = DuckDBAPI()
    linker = Linker(db.register(frame), settings)
    linker.training.estimate_probability_two_random_records_match(blocking[:2], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in blocking[:2]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    table: pd.DataFrame = cast(Any, clusters).as_pandas_dataframe()  # untyped in splink
    out = table.set_index("unique_id")["cluster_id"]
    return np.asarray(out.reindex(np.arange(len(frame))).to_numpy())


def _recordlinkage(frame: pd.DataFrame, rules: list[list[str]], roles: Sequence[str]) -> np.ndarray:
    import recordlinkage
    from recordlinkage.index import Block

    data = frame.set_index("unique_id")
    indexer = recordlinkage.Index()
    for columns in rules:
        indexer.add(Block(columns))
    pairs = indexer.index(data)
    compare = recordlinkage.Compare()
    for role in roles:
        if role in _NAMES:
            compare.string(role, role, method="jarowinkler", threshold=0.85, label=role)
        elif role in _FUZZY:
            compare.string(role, role, method="levenshtein", threshold=0.85, label=role)
        else:
            compare.exact(role, role, label=role)
    features = compare.compute(pairs, data)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    a = matches.get_level_values(0).to_numpy(dtype=np.int64)
    b = matches.get_level_values(1).to_numpy(dtype=np.int64)
    return components(len(frame), a, b)


def run_peers(
    table: Table,
    settings: Settings,
    truth: np.ndarray,
    /,
    *,
    peers: Sequence[str] = PEERS,
    anchor_seconds: float | None = None,
) -> dict[str, dict[str, object]]:
    """Run each peer on the table identilink ran on (see the module docstring); per peer:
    wall seconds, ``x_identilink`` (its seconds over ``anchor_seconds``), pairwise precision,
    recall and F1 over clusters against ``truth`` (each record's entity), or why it did not
    run."""
    frame, rules, skipped = peer_input(table, settings)
    roles = list(table.values)
    out: dict[str, dict[str, object]] = {}
    for peer in peers:
        if peer not in PEERS:
            out[peer] = {"error": f"unknown peer; one of {', '.join(PEERS)}"}
            continue
        if importlib.util.find_spec(peer) is None:
            out[peer] = {"error": "not installed (pip install identilink[bench])"}
            continue
        if not rules:
            out[peer] = {"error": "no equality blocking rule to share"}
            continue
        run = _splink if peer == "splink" else _recordlinkage
        quiet = logging.getLogger(peer)
        level = quiet.level
        quiet.setLevel(logging.WARNING)  # Splink logs each training step at INFO
        try:
            start = time.perf_counter()
            labels = run(frame, rules, roles)
            seconds = time.perf_counter() - start
        finally:
            quiet.setLevel(level)
        metrics = cluster_pair_metrics(pd.Series(labels), pd.Series(truth)).to_dict()
        out[peer] = {
            "seconds": round(seconds, 3),
            "x_identilink": round(seconds / anchor_seconds, 2) if anchor_seconds else None,
            "rules": len(rules),
            "rules_left_out": skipped,
            **{k: round(float(v), 6) for k, v in metrics.items()},
        }
    return out
