"""Peers in the same run: Splink and recordlinkage with identilink's blocking and values."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import identilink
from identilink._pipeline import prepare_one
from identilink.bench.datasets import load_febrl
from identilink.bench.peers import peer_input
from identilink.bench.sweep import run_benchmark
from identilink.blocking import block

needs_peers = pytest.mark.skipif(
    importlib.util.find_spec("recordlinkage") is None or importlib.util.find_spec("splink") is None,
    reason="the bench extra (scripts/test installs it)",
)


@needs_peers
def test_peers_block_on_exactly_identilinks_pairs() -> None:
    import recordlinkage
    from recordlinkage.index import Block

    frame = load_febrl(1).drop(columns=["entity"])
    settings, table = prepare_one(frame, identilink.Settings())
    rules = settings.blocking_rules
    assert rules is not None
    peer, kept, skipped = peer_input(table, settings)
    assert skipped == []
    assert any(name.startswith("key_") for columns in kept for name in columns)  # transforms
    indexer = recordlinkage.Index()
    for columns in kept:
        indexer.add(Block(columns))
    pairs = indexer.index(peer.set_index("unique_id"))
    theirs = {tuple(sorted(p)) for p in pairs.to_list()}
    made = block(table, rules, max_block_size=settings.max_block_size)
    ours = {tuple(sorted(p)) for p in zip(made.left.tolist(), made.right.tolist(), strict=True)}
    assert theirs == ours


@needs_peers
def test_bench_runs_the_peers_and_reports_ratios() -> None:
    report, _ = run_benchmark("febrl1", peers=["splink", "recordlinkage", "dedupe.io"])
    peers = report["peers"]
    assert isinstance(peers, dict)
    for name in ("splink", "recordlinkage"):
        facts = peers[name]
        assert facts["x_identilink"] > 0
        assert 0.9 < facts["f1"] <= 1.0  # FEBRL1 is easy for everyone
    assert "unknown peer" in peers["dedupe.io"]["error"]
    assert np.isfinite(float(report["f1"]))  # type: ignore[arg-type]
