"""Benchmark helpers: accuracy metrics and loaders for the data sets with ground truth."""

from __future__ import annotations

from identilink.bench.datasets import load_febrl, load_febrl4
from identilink.bench.metrics import PairMetrics, blocking_metrics, cluster_pair_metrics

__all__ = ["PairMetrics", "blocking_metrics", "cluster_pair_metrics", "load_febrl", "load_febrl4"]
