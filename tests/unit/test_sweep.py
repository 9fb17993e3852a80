from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import identilink
from identilink.bench.metrics import cluster_pair_metrics
from identilink.bench.people import generate_people
from identilink.bench.sweep import sweep_report, threshold_sweep
from identilink.cli import main
from identilink.errors import ConfigurationError


@pytest.fixture(scope="module")
def run() -> tuple[identilink.Result, pd.Series]:
    frame = generate_people(3000, seed=3)
    result = identilink.dedupe(frame.drop(columns=["person_id"]), progress=False)
    truth = pd.Series(frame["person_id"].to_numpy(), index=frame["record_id"].to_numpy())
    return result, truth


def test_the_sweep_at_the_run_threshold_is_the_run(
    run: tuple[identilink.Result, pd.Series],
) -> None:
    result, truth = run
    sweep = threshold_sweep(result.pairs, result.clusters, truth, [0.2, result.report["threshold"]])
    at_run = sweep.iloc[-1]
    expected = cluster_pair_metrics(
        result.clusters["cluster_id"], result.clusters["record_id"].map(truth)
    )
    assert at_run["cluster_f1"] == pytest.approx(expected.f1)
    assert at_run["cluster_precision"] == pytest.approx(expected.precision)
    assert at_run["matched_pairs"] == int(result.pairs["matched"].sum())
    # a lower threshold matches more pairs and finds at least as many true ones
    assert sweep.iloc[0]["matched_pairs"] >= at_run["matched_pairs"]
    assert sweep.iloc[0]["pair_recall"] >= at_run["pair_recall"]
    html = sweep_report(sweep, title="t <x>", facts={"records": 3000})
    assert "<polyline" in html
    assert "t &lt;x&gt;" in html


def test_bench_command_writes_metrics_and_a_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["bench", "people", "--records", "2000", "--out", str(out), "--quiet"])
    assert code == 0
    report = json.loads((out / "bench.json").read_text())
    assert report["records"] == 2000
    assert 0.9 < report["f1"] <= 1.0
    assert 0.0 < report["pair_completeness"] <= 1.0
    assert set(report["stages"]) >= {"prepare", "blocking", "comparing", "training"}
    assert len(report["sweep"]) >= 10
    assert "<svg" in (out / "report.html").read_text()


def test_an_unknown_data_set_is_a_clear_error() -> None:
    from identilink.bench.sweep import load_dataset

    with pytest.raises(ConfigurationError, match="unknown data set"):
        load_dataset("febrl9")


def test_the_senzing_truth_set_loads_with_its_truth() -> None:
    from identilink.bench.datasets import data_dir
    from identilink.bench.sweep import load_dataset

    if data_dir() is None:
        pytest.skip("the shared data folder is not here")  # CI has it: ../shared/data
    frame, truth = load_dataset("senzing")
    assert len(frame) == 159
    assert frame[truth].notna().all()
    assert frame["record_id"].is_unique
    assert frame[truth].nunique() == 85  # the key's clusters
    assert {"first_name", "last_name", "dob", "email", "phone"} <= set(frame.columns)
