"""The Spark engine (in progress): identilink on Spark DataFrames. Needs the ``spark`` extra
(``pip install identilink[spark]``) and Java; see docs/spark.md.

- :func:`dedupe` / :func:`link` score and cluster records with a model trained by the local
  engine, running the local engine's own code per partition, so pairs, weights, clusters
  and golden records agree with it (tested on FEBRL3 and FEBRL4).
- :func:`connected_components` is the clustering step: GraphFrames is not installable
  everywhere, so it is the standard iterative algorithm written on DataFrames, min label
  propagation with pointer jumping (the distributed form of
  :func:`identilink.cluster.components`), checkpointed so the plan does not grow with rounds.
- :func:`local_session` and :func:`from_pandas` help to start on one machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np
import pandas as pd

from identilink._pipeline import _SIDES, _must_link
from identilink._table import Table, _transform, normalizer_for, quick_normalizer_for
from identilink.compare import gammas
from identilink.config import Key, Settings
from identilink.errors import ConfigurationError
from identilink.golden import golden_records
from identilink.model import FellegiSunterModel
from identilink.normalize._column import normalize_column

__all__ = [
    "SparkResult",
    "connected_components",
    "dedupe",
    "from_pandas",
    "link",
    "local_session",
]


def from_pandas(session: Any, frame: pd.DataFrame, /) -> Any:
    """A Spark DataFrame of a pandas one, missing values as nulls. pyspark 3.5 turns the
    missing values of pandas 3's string columns into the text ``"NaN"`` (which then blocks
    and compares like a name); every column goes over as objects with ``None`` instead."""
    columns = {}
    for name in frame.columns:
        values = frame[name].to_numpy(dtype=object, copy=True)  # the caller's frame stays
        values[frame[name].isna().to_numpy()] = None
        columns[name] = values
    return session.createDataFrame(pd.DataFrame(columns, index=frame.index, dtype=object))


def local_session(
    cores: int | str = "*",
    /,
    *,
    memory: str = "2g",
    shuffle_partitions: int = 8,
    checkpoints: str | None = None,
) -> Any:
    """A Spark session on this machine (``local[cores]``) set up as identilink's tests and
    benchmarks use it: workers run this interpreter, no web UI or progress bars, UTC, errors
    only in the log, and ``checkpoints`` as the checkpoint directory when given. An existing
    session is reused (Spark allows one per process)."""
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("identilink")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    if checkpoints is not None:
        session.sparkContext.setCheckpointDir(checkpoints)
    return session


def _without_history(frame: Any) -> Any:
    """The same rows as a fresh relation. A checkpointed DataFrame keeps its plan's size
    estimate, and Spark estimates a join as the product of its sides, so estimates chained
    through rounds of joins grow doubly exponentially (one test graph spent minutes in
    BigInteger products, then ran out of memory); a relation made again from the checkpoint's
    rows, on the JVM side (no row passes through Python), starts afresh."""
    from pyspark.sql import DataFrame

    session = frame.sparkSession
    fresh = session._jsparkSession.createDataFrame(frame._jdf.rdd(), frame._jdf.schema())
    return DataFrame(fresh, session)


def connected_components(
    edges: Any,
    vertices: Any | None = None,
    /,
    *,
    checkpoint_every: int = 4,
    max_rounds: int = 100,
) -> Any:
    """Component of every vertex of an undirected graph: a DataFrame ``(id, component)``.

    ``edges`` has columns ``src`` and ``dst``; ``vertices`` (column ``id``) adds vertices
    without edges. Ids must be orderable (integers or strings); a component is named after its
    smallest id, so the result does not depend on partitioning or order.

    The algorithm of :func:`identilink.cluster.components`, on DataFrames: each round hooks
    every edge's larger root under its smaller one, then jumps pointers until every vertex
    points at its root; rounds repeat until no edge joins two roots. Every
    ``checkpoint_every``-th step is checkpointed to the context's checkpoint directory (when
    one is set), the others are local checkpoints, so the plan does not grow with the rounds.
    """
    from pyspark.sql import functions as F

    if checkpoint_every < 1:
        raise ValueError("checkpoint_every must be at least 1")
    spark = edges.sparkSession
    durable = spark.sparkContext.getCheckpointDir() is not None
    steps = 0

    def cut(frame: Any) -> Any:
        nonlocal steps
        steps += 1
        durable_now = durable and steps % checkpoint_every == 0
        kept = frame.checkpoint() if durable_now else frame.localCheckpoint()
        return _without_history(kept)

    links = (
        edges.select(F.col("src").alias("a"), F.col("dst").alias("b"))
        .where(F.col("a").isNotNull() & F.col("b").isNotNull() & (F.col("a") != F.col("b")))
        .distinct()
        .persist()
    )
    ids = links.select(F.col("a").alias("id")).union(links.select(F.col("b").alias("id")))
    if vertices is not None:
        ids = ids.union(vertices.select("id"))
    labels = cut(ids.distinct().withColumn("label", F.col("id")))
    for _ in range(max_rounds):
        # the roots at both ends of every edge; done when no edge joins two roots
        ends = (
            links.join(labels.select(F.col("id").alias("a"), F.col("label").alias("la")), "a")
            .join(labels.select(F.col("id").alias("b"), F.col("label").alias("lb")), "b")
            .where(F.col("la") != F.col("lb"))
        )
        hooks = ends.groupBy(F.greatest("la", "lb").alias("id")).agg(
            F.min(F.least("la", "lb")).alias("parent")
        )
        hooks = cut(hooks)
        if hooks.isEmpty():
            break
        labels = labels.join(hooks, "id", "left").select(
            "id", F.coalesce("parent", "label").alias("label")
        )
        while True:  # pointer jumping: every vertex straight to its root
            jumped = cut(
                labels.alias("v")
                .join(labels.alias("p"), F.col("v.label") == F.col("p.id"))
                .select(
                    F.col("v.id").alias("id"),
                    F.col("p.label").alias("label"),
                    (F.col("p.label") != F.col("v.label")).alias("moved"),
                )
            )
            labels = jumped.select("id", "label")
            if jumped.where("moved").isEmpty():
                break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    links.unpersist()
    return labels.withColumnRenamed("label", "component")


@attrs.frozen
class SparkResult:
    """What :func:`dedupe` produced, as Spark DataFrames.

    - ``pairs``: ``left_id, right_id, match_weight, match_probability, matched`` and one
      ``gamma_<role>`` column per comparison, for every candidate pair.
    - ``clusters``: ``record_id, cluster_id`` (a cluster is named after its smallest id).
    - ``golden``: one row per cluster by the local engine's survivorship rules (most frequent
      normalised value, then the most complete record, then the earliest in input order).
    """

    pairs: Any
    clusters: Any
    golden: Any


def dedupe(
    frame: Any,
    model: FellegiSunterModel,
    /,
    *,
    checkpoint_every: int = 4,
) -> SparkResult:
    """Score and cluster a Spark DataFrame with a trained model, as the local engine would.

    The model's settings say which columns hold which roles, the id column and the blocking
    rules. Each step is the local engine's own code run where the data lives: normalisation
    and blocking keys per partition (``mapInPandas``), blocking as joins on the keys (blocks
    over ``max_block_size`` skipped, as locally), comparisons and match weights per partition
    of pairs with the same comparison code (term frequencies counted over all records first,
    so the weights are the local ones), must-link rules, then :func:`connected_components` of
    the matched pairs. Training stays local for now: fit the model on the local engine (on a
    sample if need be) and score everything here.
    """
    return _run([frame], model, checkpoint_every)


def link(
    left: Any,
    right: Any,
    model: FellegiSunterModel,
    /,
    *,
    checkpoint_every: int = 4,
) -> SparkResult:
    """:func:`dedupe` for two inputs: only pairs across them, and ``clusters`` gains a
    ``source`` column (``left`` / ``right``), as ``identilink.link`` does locally."""
    return _run([left, right], model, checkpoint_every)


def _run(frames: list[Any], model: FellegiSunterModel, checkpoint_every: int) -> SparkResult:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    settings = model.settings
    if settings.id_column is None:
        raise ConfigurationError("the Spark engine needs the model's settings to name an id column")
    rules = settings.blocking_rules or ()
    if any(rule.kind != "equal" for rule in rules):
        raise ConfigurationError(
            "the Spark engine blocks on equality keys only (no qgrams, tokens, minhash, window)"
        )
    if not rules:
        raise ConfigurationError("the model's settings have no blocking rule")
    roles = dict(settings.roles or {})
    for frame in frames:
        missing = [c for c in [settings.id_column, *roles.values()] if c not in frame.columns]
        if missing:
            raise ConfigurationError(f"column(s) {missing} not found; it has {frame.columns}")
    linking = len(frames) == 2
    keys = {
        f"key_{i}": key for i, key in enumerate(dict.fromkeys(k for r in rules for k in r.keys))
    }
    originals = [f"o_{r}" for r in roles]
    names = ["_id", *roles, *keys, *originals]
    schema = T.StructType(
        [T.StructField(name, T.StringType()) for name in names]
        + [T.StructField("_pos", T.LongType())]
    )
    normalised = None
    for source, frame in enumerate(frames):
        part = (
            frame.select(settings.id_column, *[F.col(c).cast("string") for c in roles.values()])
            .withColumn("_pos", F.monotonically_increasing_id())  # input order, for ties
            .mapInPandas(_normaliser(settings, roles, keys), schema)
            .withColumn("_src", F.lit(source))
        )
        normalised = part if normalised is None else normalised.unionByName(part)
    assert normalised is not None
    # a record's key: its side and id (ids need only be unique within a side)
    normalised = normalised.withColumn(
        "_key", F.concat(F.col("_src").cast("string"), F.lit(":"), F.col("_id"))
    ).persist()
    # term frequencies over all records, joined on as tf_<role>
    with_tf = normalised
    for role in model.term_frequency_roles():
        present = normalised.where(F.col(role).isNotNull())
        total = present.count()
        counts = present.groupBy(role).agg(
            (F.count("*") / F.lit(max(total, 1))).alias(f"tf_{role}")
        )
        with_tf = with_tf.join(counts, role, "left")
    # blocking: one join per rule on its keys, oversized blocks (both sides) left out
    key_of = {str(k): name for name, k in keys.items()}
    parts = []
    for rule in rules:
        cols = [key_of[str(k)] for k in rule.keys]
        side = normalised.select("_key", "_src", "_id", *cols).dropna(subset=cols)
        sizes = side.groupBy(*cols).count().where(F.col("count") <= settings.max_block_size)
        side = side.join(sizes.drop("count"), cols)
        a = side.select(*cols, *[F.col(c).alias(f"a{c}") for c in ("_key", "_src", "_id")])
        b = side.select(*cols, *[F.col(c).alias(f"b{c}") for c in ("_key", "_src", "_id")])
        pair = a.join(b, cols)
        if linking:
            pair = pair.where((F.col("a_src") == 0) & (F.col("b_src") == 1))
        else:
            pair = pair.where(F.col("a_id") < F.col("b_id"))
        parts.append(pair.select(F.col("a_key").alias("a"), F.col("b_key").alias("b")))
    pairs = parts[0]
    for part in parts[1:]:
        pairs = pairs.union(part)
    pairs = pairs.distinct()
    tf_cols = [f"tf_{r}" for r in model.term_frequency_roles()]
    left = with_tf.select(
        F.col("_key").alias("a"),
        F.col("_id").alias("l_id"),
        *[F.col(c).alias(f"l_{c}") for c in [*roles, *tf_cols]],
    )
    right = with_tf.select(
        F.col("_key").alias("b"),
        F.col("_id").alias("r_id"),
        *[F.col(c).alias(f"r_{c}") for c in roles],
    )
    joined = pairs.join(left, "a").join(right, "b")
    out_schema = T.StructType(
        [
            T.StructField("a", T.StringType()),
            T.StructField("b", T.StringType()),
            T.StructField("left_id", T.StringType()),
            T.StructField("right_id", T.StringType()),
            T.StructField("match_weight", T.DoubleType()),
            T.StructField("match_probability", T.DoubleType()),
            T.StructField("matched", T.BooleanType()),
            *[
                T.StructField(f"gamma_{cm.comparison.role}", T.ByteType())
                for cm in model.comparisons
            ],
        ]
    )
    scored = joined.mapInPandas(_scorer(model, list(roles)), out_schema).persist()
    edges = scored.where("matched").select(F.col("a").alias("src"), F.col("b").alias("dst"))
    vertices = normalised.select(F.col("_key").alias("id"))
    labels = connected_components(edges, vertices, checkpoint_every=checkpoint_every)
    # a cluster is named after the id of its smallest record key
    side_and_id = F.split(F.col("id"), ":", 2)
    cluster = F.split(F.col("component"), ":", 2).getItem(1)
    columns = [side_and_id.getItem(1).alias("record_id")]
    if linking:
        named = F.when(side_and_id.getItem(0) == "0", str(_SIDES[0])).otherwise(str(_SIDES[1]))
        columns.append(named.alias("source"))
    clusters = labels.select(*columns, cluster.alias("cluster_id"))
    members = normalised.join(
        labels.select(F.col("id").alias("_key"), cluster.alias("_cluster")), "_key"
    ).select("_cluster", "_src", "_pos", "_id", *roles, *originals)
    golden_schema = T.StructType(
        [T.StructField("cluster_id", T.StringType()), T.StructField("n_records", T.LongType())]
        + [
            T.StructField(name, T.StringType())
            for column in roles.values()
            for name in (column, f"{column}__source")
        ]
    )
    golden = members.groupBy("_cluster").applyInPandas(_survivor(roles), golden_schema)
    return SparkResult(pairs=scored.drop("a", "b"), clusters=clusters, golden=golden)


def _normaliser(
    settings: Settings, roles: dict[str, str], keys: dict[str, Key]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Per partition: the id, each role normalised as the local engine does, each blocking
    key's value (its transform of the normalised value, as ``Table.key_codes`` computes it)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        transforms = {name: (_transform(k) if k.transform else None) for name, k in keys.items()}
        for batch in batches:
            batch = batch.reset_index(drop=True)
            out: dict[str, Any] = {"_id": batch[settings.id_column].astype(str)}
            for role, column in roles.items():
                out[role], _ = normalize_column(
                    batch[column],
                    normalizer_for(role, settings),
                    column=column,
                    role=role,
                    quick=quick_normalizer_for(role, settings),
                )
            for name, key in keys.items():
                f = transforms[name]
                values = out[key.role]
                out[name] = [v if v is None or f is None else f(v) for v in values]
            for role, column in roles.items():
                out[f"o_{role}"] = batch[column]
            out["_pos"] = batch["_pos"]
            yield pd.DataFrame(out)

    return run


def _scorer(
    model: FellegiSunterModel, roles: list[str]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Per partition of pairs: a two-sided table of their values, the local comparison code,
    match weights with the term frequencies of all records, must-link rules."""
    settings = model.settings
    comparisons = tuple(cm.comparison for cm in model.comparisons)
    tf_roles = model.term_frequency_roles()

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            k = len(batch)
            ids = np.concatenate([batch["l_id"].to_numpy(object), batch["r_id"].to_numpy(object)])
            values = {
                r: np.concatenate([_objects(batch[f"l_{r}"]), _objects(batch[f"r_{r}"])])
                for r in roles
            }
            table = Table(ids, values, [])
            a = np.arange(k, dtype=np.int64)
            b = a + k
            g = gammas(table, comparisons, a, b)
            tf = {r: batch[f"l_tf_{r}"].to_numpy(dtype=np.float64) for r in tf_roles}
            weights = model.match_weights(table, a, b, g, term_frequencies=tf)
            probability = FellegiSunterModel.probability(weights)
            which, _ = _must_link(table, settings, a, b)
            probability = np.where(which != 0, 1.0, probability)
            columns: dict[str, Any] = {
                "a": batch["a"].to_numpy(object),
                "b": batch["b"].to_numpy(object),
                "left_id": batch["l_id"].to_numpy(object),
                "right_id": batch["r_id"].to_numpy(object),
                "match_weight": weights,
                "match_probability": probability,
                "matched": probability >= settings.threshold,
            }
            columns.update({f"gamma_{c.role}": g[:, j] for j, c in enumerate(comparisons)})
            yield pd.DataFrame(columns)

    return run


def _survivor(roles: dict[str, str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Per cluster: the local engine's golden record of its members in input order."""

    def run(group: pd.DataFrame) -> pd.DataFrame:
        group = group.sort_values(["_src", "_pos"], kind="stable").reset_index(drop=True)
        original = pd.DataFrame({column: group[f"o_{r}"] for r, column in roles.items()})
        normalized = {r: _objects(group[r]) for r in roles if group[r].notna().any()}
        row = golden_records(
            original,
            normalized,
            roles,
            np.zeros(len(group), dtype=np.int64),
            np.array([group["_cluster"].iloc[0]], dtype=object),
            group["_id"].to_numpy(dtype=object),
        )
        for column in roles.values():  # roles with no value in the cluster: all null
            for name in (column, f"{column}__source"):
                if name not in row:
                    row[name] = None
        return row

    return run


def _objects(series: pd.Series) -> np.ndarray:
    """Strings and ``None`` (Arrow may hand nulls over as NaN)."""
    values = series.to_numpy(dtype=object)
    values[pd.isna(values)] = None
    return values
