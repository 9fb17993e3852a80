"""Blocking suggestion: the fewest pairs that keep the true pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import identilink
from identilink import BlockingRule, ConfigurationError
from identilink.bench.people import generate_people
from identilink.cli import main


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate_people(3000, seed=3).drop(columns=["record_id"])


def test_rules_reach_the_target_with_the_trade_off_shown(people: pd.DataFrame) -> None:
    table = identilink.suggest_blocking(people, label="person_id", target=0.99)
    assert len(table) >= 1
    assert table["pair_completeness"].iloc[-1] >= 0.99
    assert (np.diff(table["pair_completeness"]) > 0).all()  # each rule adds true pairs
    assert (np.diff(table["cumulative_pairs"]) >= 0).all()
    assert (table["new_true_pairs"] > 0).all()
    rules = [BlockingRule(r.split(" & ")) for r in table["rule"]]
    # the suggestion runs as it is and keeps what it promised
    result = identilink.dedupe(people.drop(columns=["person_id"]), {"blocking_rules": rules})
    assert result.report["n_candidate_pairs"] == table["cumulative_pairs"].iloc[-1]


def test_without_labels_completeness_is_against_a_default_run(people: pd.DataFrame) -> None:
    table = identilink.suggest_blocking(people.drop(columns=["person_id"]), sample=1500)
    assert table["pair_completeness"].iloc[-1] >= 0.995
    assert (table["estimated_pairs"] >= table["cumulative_pairs"]).all()  # scaled to 3000


def test_bad_target_and_label_are_clear_errors(people: pd.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="target"):
        identilink.suggest_blocking(people, label="person_id", target=1.5)
    with pytest.raises(ConfigurationError, match="label column 'nope'"):
        identilink.suggest_blocking(people, label="nope")


def test_cli_prints_and_writes_the_table(people: pd.DataFrame, tmp_path: Path, capsys) -> None:
    path = tmp_path / "people.csv"
    people.to_csv(path, index=False)
    out = tmp_path / "rules.csv"
    code = main(["blocking", "suggest", str(path), "--label", "person_id", "--out", str(out)])
    assert code == 0
    assert "completeness against the labels in 'person_id'" in capsys.readouterr().out
    assert len(pd.read_csv(out)) >= 1


def test_a_labelled_sample_keeps_whole_entities(people: pd.DataFrame) -> None:
    table = identilink.suggest_blocking(people, label="person_id", sample=1000, target=0.99)
    assert table["pair_completeness"].iloc[-1] >= 0.99
    rules = [BlockingRule(r.split(" & ")) for r in table["rule"]]
    result = identilink.dedupe(people.drop(columns=["person_id"]), {"blocking_rules": rules})
    made = result.report["n_candidate_pairs"]
    assert 0.5 * made <= table["estimated_pairs"].iloc[-1] <= 2 * made  # scaled sensibly
