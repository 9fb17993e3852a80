"""The Spark engine: identilink on Spark DataFrames. Needs the ``spark`` extra
(``pip install identilink[spark]``) and Java; see docs/spark.md.

- :func:`dedupe` / :func:`link` take what :func:`identilink.dedupe` / :func:`identilink.link`
  take and give the same results as Spark DataFrames: training (EM on counts of comparison
  vectors that Spark aggregates), blocking, comparisons, scoring, clusters and golden
  records, each the local engine's code run where the data lives, so the model, pairs,
  weights, clusters and golden records agree with it (tested on FEBRL3, FEBRL4 and a
  generated multi-channel set).
- :class:`SparkEngine` is the :class:`identilink.Engine` over them.
- :func:`connected_components` is the clustering step: GraphFrames is not installable
  everywhere, so it is the standard iterative algorithm written on DataFrames, min label
  propagation with pointer jumping (the distributed form of
  :func:`identilink.cluster.components`), checkpointed so the plan does not grow with rounds.
- :func:`local_session` and :func:`from_pandas` help to start on one machine.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from identilink._pipeline import _SIDES, _coerce_settings, _resolve_settings, settings_to_run
from identilink._table import (
    IdentilinkWarning,
    Table,
    _bulk_normalizer_for,
    _transform,
    normalizer_for,
    quick_normalizer_for,
)
from identilink.blocking import key_pieces
from identilink.compare import gammas
from identilink.config import BlockingRule, Comparison, Key, Settings
from identilink.errors import (
    ConfigurationError,
    InputDataError,
    InputFileError,
    ModelError,
    UnknownColumnError,
)
from identilink.golden import golden_records
from identilink.model import _FLOOR, FellegiSunterModel, fit, sample_pairs, total_pairs
from identilink.normalize._column import normalize_column

__all__ = [
    "SparkEngine",
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
        # a run is many short queries (connected components checkpoints every step); keeping
        # every query's plan text for a UI that is off filled a 2 GiB driver in the tests
        .config("spark.sql.ui.retainedExecutions", "20")
        .config("spark.ui.retainedJobs", "100")
        .config("spark.ui.retainedStages", "100")
        .config("spark.sql.maxPlanStringLength", "100000")
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
    """What :func:`dedupe` or :func:`link` produced: Spark DataFrames, the model and settings.

    - ``pairs``: ``left_id, right_id, match_weight, match_probability, matched, rule`` and
      one ``gamma_<role>`` column per comparison, for every candidate pair.
    - ``clusters``: ``record_id, cluster_id`` (and ``source`` when linking; a cluster is
      named after its smallest record).
    - ``golden``: one row per cluster by the local engine's survivorship rules (most frequent
      normalised value, then the most complete record, then the earliest in input order).
    - ``model``: the model that scored the pairs (trained here unless one was given);
      ``settings``: the settings as run, with everything inferred filled in.
    - ``report``: records, roles, skipped roles, rules left out, values that did not
      normalise per role, EM iterations.
    """

    pairs: Any
    clusters: Any
    golden: Any
    model: FellegiSunterModel
    settings: Settings
    report: dict[str, Any]
    #: what the run persisted for these tables (the records, the scored pairs)
    cached: tuple[Any, ...] = attrs.field(default=(), repr=False, eq=False)

    def unpersist(self) -> None:
        """Free what the run keeps cached once its tables are written or collected (a
        session that runs many jobs fills its memory otherwise); the tables stay usable,
        recomputed from their sources if read again."""
        for frame in self.cached:
            frame.unpersist()


def dedupe(
    frame: Any,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    model: FellegiSunterModel | None = None,
    columns: Mapping[str, str] | None = None,
    checkpoint_every: int = 4,
) -> SparkResult:
    """Find the records of a Spark DataFrame that describe the same customer, as
    :func:`identilink.dedupe` does locally: the same arguments, the same results.

    Without a ``model`` one is trained here: u on the same random pairs the local engine
    draws (records are numbered in input order), m and the prior by EM on the counts of
    distinct comparison vectors, which Spark aggregates, so the model is the local one.
    Each step runs where the data lives: normalisation and blocking keys per partition with
    the local code (``mapInPandas``), blocking as joins on the keys (blocks over
    ``max_block_size`` skipped, as locally), comparisons per partition of pairs with the
    local comparison code (rapidfuzz, Arrow batches), match weights and must-link rules in
    Spark SQL with term frequencies counted over all records, clusters by
    :func:`connected_components`, golden records by grouped survivorship. Roles are inferred
    from the first 1,000 rows when the settings do not give them.
    """
    return _run([frame], ["input"], settings, model, columns, checkpoint_every)


def link(
    left: Any,
    right: Any,
    /,
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    model: FellegiSunterModel | None = None,
    columns: Mapping[str, str] | None = None,
    checkpoint_every: int = 4,
) -> SparkResult:
    """:func:`dedupe` for two inputs: only pairs across them, and ``clusters`` gains a
    ``source`` column (``left`` / ``right``), as :func:`identilink.link` does locally."""
    return _run([left, right], ["left", "right"], settings, model, columns, checkpoint_every)


@attrs.frozen
class SparkEngine:
    """The Spark engine as an :class:`identilink.Engine`: reads Parquet or CSV paths into
    Spark DataFrames, runs :func:`dedupe` / :func:`link` (pandas frames are sent over with
    :func:`from_pandas`), writes tables as Parquet directories."""

    session: Any
    checkpoint_every: int = 4

    @classmethod
    def start(cls, *, master: str | None = None, session: Any = None) -> SparkEngine:
        """On ``session``, or on the active session, or on a new one (``master``, e.g.
        ``local[2]`` or ``yarn``; without it, what ``spark-submit`` configured)."""
        if session is None:
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.appName("identilink")
            if master is not None:
                builder = builder.master(master)
            session = builder.getOrCreate()
        return cls(session)

    @property
    def name(self) -> str:
        return "spark"

    def read(self, path: str, /) -> Any:
        from pyspark.errors import AnalysisException

        try:
            if str(path).endswith((".csv", ".tsv")):
                separator = "\t" if str(path).endswith(".tsv") else ","
                reader = self.session.read.option("header", True).option("sep", separator)
                return reader.csv(str(path))
            return self.session.read.parquet(str(path))
        except AnalysisException as exc:  # a missing path, not a table: one line, no trace
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputFileError(f"{path}: {reason}") from None

    def _frame(self, data: Any) -> Any:
        if isinstance(data, pd.DataFrame):
            return from_pandas(self.session, data)
        return data

    def dedupe(
        self,
        data: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> SparkResult:
        return dedupe(
            self._frame(data),
            settings,
            model=model,
            columns=columns,
            checkpoint_every=self.checkpoint_every,
        )

    def link(
        self,
        left: Any,
        right: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> SparkResult:
        return link(
            self._frame(left),
            self._frame(right),
            settings,
            model=model,
            columns=columns,
            checkpoint_every=self.checkpoint_every,
        )

    def write(self, table: Any, path: str, /) -> None:
        table.write.mode("overwrite").parquet(str(path))


_HEAD = 1000  # rows read to infer roles
_PART_BITS = 33  # monotonically_increasing_id: partition id above, row number below


def _run(
    frames: list[Any],
    names: list[str],
    given: Settings | Mapping[str, Any] | None,
    model: FellegiSunterModel | None,
    columns: Mapping[str, str] | None,
    checkpoint_every: int,
) -> SparkResult:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    settings = settings_to_run(_coerce_settings(given), model)
    given_rules = settings.blocking_rules
    linking = len(frames) == 2
    heads = [frame.limit(_HEAD).toPandas() for frame in frames]
    settings, explicit = _resolve_settings(heads, names, settings, columns or {})
    assert settings.roles is not None
    assert settings.comparisons is not None
    roles = dict(settings.roles)
    for frame, name in zip(frames, names, strict=True):
        wanted = [c for c in [settings.id_column, *roles.values()] if c is not None]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise UnknownColumnError(
                f"{name}: column(s) {missing} not found; it has {list(frame.columns)}"
            )
        lists = [
            f.name
            for f in frame.schema.fields
            if f.name in roles.values() and isinstance(f.dataType, T.ArrayType | T.MapType)
        ]
        if lists:
            raise InputDataError(
                f"{name}: column(s) {lists} hold lists (several values per record), which "
                "the Spark engine does not take: it compares one value per cell. Use the "
                "local engine (identilink.dedupe / link), or one column per value"
            )
    every_key = [k for r in settings.blocking_rules or () for k in r.keys]
    keys = {  # equality keys: one value per record
        f"key_{i}": key
        for i, key in enumerate(dict.fromkeys(k for k in every_key if k.kind == "equal"))
    }
    pieces = {  # multi-valued keys: an array of values per record
        f"pieces_{i}": key
        for i, key in enumerate(dict.fromkeys(k for k in every_key if k.kind == "multi"))
    }
    records, sizes = _records(frames, names, settings, roles, keys, pieces)
    n = sum(sizes)
    source = None if not linking else np.repeat(np.array([0, 1], np.int8), sizes)

    # roles with no usable value are left out, as locally
    counted = records.agg(
        *[F.count(role).alias(role) for role in roles],
        *[F.sum(F.col(f"_x_{role}").cast("long")).alias(f"_x_{role}") for role in roles],
    ).first()
    assert counted is not None
    usable = {role for role in roles if counted[role]}
    for role in roles:
        if role not in usable:
            message = f"column {roles[role]!r} (role {role}) has no usable values"
            if role in explicit:
                raise InputDataError(message)
            warnings.warn(f"{message}; it is ignored", IdentilinkWarning, stacklevel=3)
    if not usable:
        raise InputDataError(f"no usable columns: roles {sorted(roles)} hold no usable values")
    unknown = [c.role for c in settings.comparisons if c.role not in roles]
    if unknown:
        raise ConfigurationError(
            f"comparison(s) for role(s) {unknown} have no column; map them in roles"
        )
    comparisons = tuple(c for c in settings.comparisons if c.role in usable)
    skipped = [c.role for c in settings.comparisons if c.role not in usable]
    rules = tuple(r for r in settings.blocking_rules or () if all(k.role in usable for k in r.keys))
    key_of = {str(k): name for name, k in [*keys.items(), *pieces.items()]}
    dropped: list[dict[str, object]] = []
    if rules and given_rules is None:  # default rules: equality keys only
        candidates = [_Blocking.of(r, key_of) for r in rules]
        rules, dropped = _within_budget(records, rules, candidates, linking, settings, n)
        settings = attrs.evolve(settings, blocking_rules=rules)
    if not rules:
        raise ConfigurationError(
            "no blocking rule can run: every rule uses a role the input lacks or has empty"
        )
    if model is not None and tuple(cm.comparison for cm in model.comparisons) != comparisons:
        raise ModelError(
            f"the model's comparisons do not fit this input (roles missing or empty: {skipped})"
        )
    blockings = [_Blocking.of(rule, key_of) for rule in rules]
    tf_roles = [c.role for c in comparisons if c.term_frequency and c.levels[0].kind == "exact"]
    with_tf = records
    for role in tf_roles:  # term frequencies over all records, as tf_<role>
        present = records.where(F.col(role).isNotNull())
        total = max(int(counted[role]), 1)  # non-null values, counted above
        counts = present.groupBy(role).agg((F.count("*") / F.lit(total)).alias(f"tf_{role}"))
        with_tf = with_tf.join(counts, role, "left")

    pairs = _blocked_pairs(records, blockings, linking, settings.max_block_size)
    used_keys = sorted({c for b in blockings if b.kind == "equal" for c in b.equal})
    sides = [*[r for r in roles if r in usable], *used_keys]
    left = with_tf.select(
        F.col("_key").alias("a"),
        F.col("_id").alias("left_id"),
        *[F.col(c).alias(f"l_{c}") for c in sides],
        *[F.col(f"tf_{r}") for r in tf_roles],
    )
    right = records.select(
        F.col("_key").alias("b"),
        F.col("_id").alias("right_id"),
        *[F.col(c).alias(f"r_{c}") for c in sides],
    )
    joined = pairs.join(left, "a").join(right, "b")
    for i, blocking in enumerate(blockings):  # which rules make each pair (EM sessions)
        if blocking.kind == "equal":  # the pairs that share its keys, as locally
            same = [F.col(f"l_{c}") == F.col(f"r_{c}") for c in blocking.equal]
            joined = joined.withColumn(f"_in{i}", F.coalesce(_all(same), F.lit(False)))
        else:  # the pairs it made
            joined = joined.withColumnRenamed(f"_made{i}", f"_in{i}")
    decided = F.lit("model")
    for must in reversed(settings.must_link):  # the first rule that holds names the pair
        if all(r in usable for r in must):
            agree = F.coalesce(
                _all([F.col(f"l_{r}") == F.col(f"r_{r}") for r in must]), F.lit(False)
            )
            decided = F.when(agree, F.lit("must_link:" + "+".join(must))).otherwise(decided)
    joined = joined.withColumn("rule", decided)
    keep = ["a", "b", "left_id", "right_id", "rule", *[f"tf_{r}" for r in tf_roles]]
    keep += [f"_in{i}" for i in range(len(rules))]
    compared = _compare(joined, comparisons, keep, [r for r in roles if r in usable]).persist()
    gamma_cols = [f"gamma_{c.role}" for c in comparisons]

    report: dict[str, Any] = {
        "mode": "link" if linking else "dedupe",
        "n_records": n,
        "threshold": settings.threshold,
        "roles": roles,
        "skipped_roles": skipped,
        "rules_over_budget": dropped,
        "unusable_values": {r: int(counted[f"_x_{r}"] or 0) for r in roles},
    }
    if model is None:
        usable_roles = [r for r in roles if r in usable]
        sample = _sample_counts(records, comparisons, usable_roles, n, source, settings)
        rows = compared.groupBy(*gamma_cols, *[f"_in{i}" for i in range(len(rules))]).count()
        blocked = _blocked_counts(rows.toPandas(), gamma_cols, len(rules))
        model = fit(
            settings,
            comparisons,
            sample,
            blocked,
            rule_roles=[{k.role for k in r.keys} for r in rules],
            total_pairs=total_pairs(n, source),
        )
        report.update(em_iterations=model.em_iterations, em_converged=model.converged)
    report["prior"] = model.prior

    weight = _weight_expression(model)
    probability = 1.0 / (
        1.0 + F.pow(F.lit(2.0), -F.least(F.greatest(weight, F.lit(-1000.0)), F.lit(1000.0)))
    )
    scored = (
        compared.withColumn("match_weight", weight)
        .withColumn(
            "match_probability",
            F.when(F.col("rule") != "model", F.lit(1.0)).otherwise(probability),
        )
        .withColumn("matched", F.col("match_probability") >= F.lit(settings.threshold))
    )
    scored = scored.select(
        "a",
        "b",
        "left_id",
        "right_id",
        "match_weight",
        "match_probability",
        "matched",
        "rule",
        *gamma_cols,
    ).persist()
    report["n_candidate_pairs"] = scored.count()  # made from the comparisons while cached
    compared.unpersist()
    edges = scored.where("matched").select(F.col("a").alias("src"), F.col("b").alias("dst"))
    vertices = records.select(F.col("_key").alias("id"))
    labels = connected_components(edges, vertices, checkpoint_every=checkpoint_every)
    # a cluster is named after its smallest record key: the record's id, and when linking
    # its side too (``left:17``, as the local engine names them: ids repeat across sides)
    side_and_id = F.split(F.col("id"), ":", 2)
    smallest = F.split(F.col("component"), ":", 2)
    cluster = smallest.getItem(1)
    out = [side_and_id.getItem(1).alias("record_id")]
    if linking:

        def side(parts: Any) -> Any:
            return F.when(parts.getItem(0) == "0", str(_SIDES[0])).otherwise(str(_SIDES[1]))

        out.append(side(side_and_id).alias("source"))
        cluster = F.concat(side(smallest), F.lit(":"), cluster)
    clusters = labels.select(*out, cluster.alias("cluster_id"))
    originals = [f"o_{r}" for r in roles]
    members = records.join(
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
    golden = (
        members.repartition("_cluster")
        .sortWithinPartitions("_cluster", "_src", "_pos")
        .mapInPandas(_survivors(roles), golden_schema)
    )
    return SparkResult(
        pairs=scored.drop("a", "b"),
        clusters=clusters,
        golden=golden,
        model=model,
        settings=settings,
        report=report,
        cached=(records, scored),
    )


def _records(
    frames: list[Any],
    names: list[str],
    settings: Settings,
    roles: dict[str, str],
    keys: dict[str, Key],
    pieces: dict[str, Key],
) -> tuple[Any, list[int]]:
    """Every record normalised (persisted), and the number of records of each input.

    Columns: ``_key`` (side and id: ids need only be unique within a side), ``_src``,
    ``_id``, ``_pos`` (input order), ``_idx`` (position in the inputs one after the other,
    as the local engine numbers records), each role normalised, each blocking key, ``o_<role>``
    the original value and ``_x_<role>`` whether a value was there but did not normalise."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    flags = [f"_x_{r}" for r in roles]
    schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in ["_id", *roles, *keys]]
        + [T.StructField(c, T.ArrayType(T.StringType())) for c in pieces]
        + [T.StructField(f"o_{r}", T.StringType()) for r in roles]
        + [T.StructField(c, T.BooleanType()) for c in flags]
        + [T.StructField("_pos", T.LongType())]
    )
    parts = []
    for source, frame in enumerate(frames):
        ident = F.lit(None) if settings.id_column is None else F.col(settings.id_column)
        parts.append(
            frame.select(
                ident.cast("string").alias("_id"),
                *[F.col(c).cast("string").alias(f"_c_{r}") for r, c in roles.items()],
            )
            .withColumn("_pos", F.monotonically_increasing_id())
            .mapInPandas(_normaliser(settings, roles, keys, pieces), schema)
            .withColumn("_src", F.lit(source))
        )
    first = functools.reduce(lambda x, y: x.unionByName(y), parts).persist()
    # dense positions: rows counted per input partition, offsets in input order
    part = F.shiftright(F.col("_pos"), _PART_BITS)
    counts = first.groupBy("_src", part.alias("_part")).count().toPandas()
    counts = counts.sort_values(["_src", "_part"]).reset_index(drop=True)
    counts["_offset"] = counts["count"].cumsum() - counts["count"]
    sizes = [int(counts.loc[counts["_src"] == s, "count"].sum()) for s in range(len(frames))]
    offsets = _small_frame(first.sparkSession, counts[["_src", "_part", "_offset"]].astype("int64"))
    within = F.col("_pos").bitwiseAND(F.lit((1 << _PART_BITS) - 1))
    records = (
        first.withColumn("_part", part)
        .join(F.broadcast(offsets), ["_src", "_part"])
        .withColumn("_idx", F.col("_offset") + within)
        .drop("_part", "_offset")
    )
    if settings.id_column is None:  # ids are positions within each input, as locally
        side_start = F.when(F.col("_src") == 1, F.lit(sizes[0])).otherwise(F.lit(0))
        records = records.withColumn("_id", (F.col("_idx") - side_start).cast("string"))
    records = records.withColumn(
        "_key", F.concat(F.col("_src").cast("string"), F.lit(":"), F.col("_id"))
    ).persist()
    records.count()
    first.unpersist()
    if settings.id_column is not None:
        for source, name in enumerate(names):
            side = records.where(F.col("_src") == source)
            if side.where(F.col("_id").isNull()).limit(1).count():
                raise InputDataError(f"{name}: a record id is missing")
            twice = side.groupBy("_id").count().where(F.col("count") > 1)
            example = twice.limit(1).collect()
            if example:
                raise InputDataError(
                    f"{name}: duplicate record id {example[0]['_id']!r} "
                    f"({twice.count()} ids appear more than once)"
                )
    return records, sizes


def _small_frame(session: Any, frame: pd.DataFrame) -> Any:
    """A Spark DataFrame of a small pandas one of numbers, sent through Arrow."""
    key = "spark.sql.execution.arrow.pyspark.enabled"
    before = session.conf.get(key, "false")
    session.conf.set(key, "true")
    try:
        return session.createDataFrame(frame)
    finally:
        session.conf.set(key, before)


@attrs.frozen
class _Blocking:
    """A blocking rule in terms of the records' columns: its equality key columns, and its
    multi-valued key's column of pieces or its window key's role and width."""

    equal: tuple[str, ...]
    pieces: str | None = None
    window: tuple[str, int] | None = None

    @classmethod
    def of(cls, rule: BlockingRule, key_of: Mapping[str, str]) -> _Blocking:
        equal = tuple(key_of[str(k)] for k in rule.keys if k.kind == "equal")
        multi = next((key_of[str(k)] for k in rule.keys if k.kind == "multi"), None)
        window = next(((k.role, k.arg or 5) for k in rule.keys if k.kind == "window"), None)
        return cls(equal, multi, window)

    @property
    def kind(self) -> str:
        return "window" if self.window else "multi" if self.pieces else "equal"


def _rule_keys(records: Any, blockings: list[_Blocking]) -> Any:
    """One row per record and key of each (non-window) rule: ``rule`` (index), ``key`` (the
    array of the rule's key values: its equality keys, then one piece of its multi-valued
    key), ``_key``, ``_src``, ``_id``. All rules block in one join on ``(rule, key)`` this
    way, instead of one join per rule (three shuffles in all)."""
    from pyspark.sql import functions as F

    parts = []
    for i, blocking in enumerate(blockings):
        if blocking.window is not None:
            continue
        equal = [F.col(c) for c in blocking.equal]
        present = _all([c.isNotNull() for c in equal]) if equal else F.lit(True)
        chosen = records.where(present)
        if blocking.pieces is not None:  # one row per piece (none for a record without)
            chosen = chosen.withColumn("_piece", F.explode(blocking.pieces))
            equal.append(F.col("_piece"))
        parts.append(
            chosen.select(
                "_key", "_src", "_id", F.lit(i).alias("rule"), F.array(*equal).alias("key")
            )
        )
    return functools.reduce(lambda x, y: x.unionByName(y), parts) if parts else None


def _block_sizes(keys: Any, linking: bool) -> Any:
    """Per rule and key: ``size`` (records) and ``pairs`` (what the block makes)."""
    from pyspark.sql import functions as F

    if linking:
        left = F.sum((F.col("_src") == 0).cast("long"))
        right = F.sum((F.col("_src") == 1).cast("long"))
        return keys.groupBy("rule", "key").agg(
            F.count("*").alias("size"), (left * right).alias("pairs")
        )
    size = F.count("*")
    return keys.groupBy("rule", "key").agg(
        size.alias("size"), F.expr("count(*) * (count(*) - 1) div 2").alias("pairs")
    )


def _within_budget(
    records: Any,
    rules: tuple[BlockingRule, ...],
    blockings: list[_Blocking],
    linking: bool,
    settings: Settings,
    n: int,
) -> tuple[tuple[BlockingRule, ...], list[dict[str, object]]]:
    """The local engine's choice of default rules (see ``identilink._pipeline``), with
    each rule's pairs counted from its block sizes on Spark (one job for all rules)."""
    from pyspark.sql import functions as F

    keys = _rule_keys(records, blockings)
    assert keys is not None  # default rules are equality rules
    sizes = _block_sizes(keys, linking)
    totals = dict(sizes.groupBy("rule").agg(F.sum("pairs")).collect())
    counts = [int(totals.get(i) or 0) for i in range(len(rules))]
    budget = settings.max_pairs_per_record * max(n, 1)
    keep = [c <= budget for c in counts]
    if not any(keep):
        keep[int(np.argmin(counts))] = True
    dropped: list[dict[str, object]] = [
        {"rule": str(r), "pairs": c, "budget": int(budget)}
        for r, c, k in zip(rules, counts, keep, strict=True)
        if not k
    ]
    return tuple(r for r, k in zip(rules, keep, strict=True) if k), dropped


def _blocked_pairs(records: Any, blockings: list[_Blocking], linking: bool, cap: int) -> Any:
    """Candidate pairs ``(a, b)`` of record keys, as the local engine makes them: records
    joined on any rule's keys, blocks of more than ``cap`` records (both sides together) left
    out; window rules' neighbours beside them. Each pair once, with ``_made<i>``: whether
    rule ``i`` made it, for the multi-valued and window rules (their EM sessions)."""
    from pyspark.sql import functions as F

    made = []
    keys = _rule_keys(records, blockings)
    if keys is not None:
        small = _block_sizes(keys, linking).where(F.col("size") <= cap).select("rule", "key")
        keys = keys.join(small, ["rule", "key"])
        ends = ("_key", "_src", "_id")
        a = keys.select("rule", "key", *[F.col(c).alias(f"a{c}") for c in ends])
        b = keys.select("rule", "key", *[F.col(c).alias(f"b{c}") for c in ends])
        pairs = a.join(b, ["rule", "key"])
        if linking:
            pairs = pairs.where((F.col("a_src") == 0) & (F.col("b_src") == 1))
        else:
            pairs = pairs.where(F.col("a_id") < F.col("b_id"))
        made.append(pairs.select(F.col("a_key").alias("a"), F.col("b_key").alias("b"), "rule"))
    for i, blocking in enumerate(blockings):
        if blocking.window is not None:
            made.append(_window_pairs(records, blocking, linking).withColumn("rule", F.lit(i)))
    everything = functools.reduce(lambda x, y: x.unionByName(y), made)
    special = [i for i, b in enumerate(blockings) if b.kind != "equal"]
    if not special:
        return everything.select("a", "b").distinct()
    return everything.groupBy("a", "b").agg(
        *[F.max(F.col("rule") == i).alias(f"_made{i}") for i in special]
    )


def _window_pairs(records: Any, blocking: _Blocking, linking: bool) -> Any:
    """A sorted-neighbourhood rule's pairs ``(a, b)``: within each group of its equality
    keys, records ranked by the window role's value, then input position (as the local
    engine sorts them), each paired with the next ``width - 1``; across sides when linking."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    assert blocking.window is not None
    role, width = blocking.window
    equal = list(blocking.equal)
    present = _all([F.col(c).isNotNull() for c in [*equal, role]])
    order = Window.partitionBy(*equal).orderBy(F.col(role), F.col("_idx"))
    ranked = records.where(present).select(
        "_key", "_src", "_id", *equal, F.row_number().over(order).alias("_rank")
    )
    ends = ("_key", "_src", "_id")
    ahead = ranked.select(
        *equal,
        *[F.col(c).alias(f"x{c}") for c in ends],
        F.explode(F.sequence(F.col("_rank") + 1, F.col("_rank") + width - 1)).alias("_rank"),
    )
    there = ranked.select(*equal, "_rank", *[F.col(c).alias(f"y{c}") for c in ends])
    near = ahead.join(there, [*equal, "_rank"])
    if linking:
        near = near.where(F.col("x_src") != F.col("y_src"))
        x_first = F.col("x_src") == 0
    else:
        x_first = F.col("x_id") < F.col("y_id")
    return near.select(
        F.when(x_first, F.col("x_key")).otherwise(F.col("y_key")).alias("a"),
        F.when(x_first, F.col("y_key")).otherwise(F.col("x_key")).alias("b"),
    )


def _all(conditions: list[Any]) -> Any:
    return functools.reduce(operator.and_, conditions)


def _compare(
    pairs: Any, comparisons: tuple[Comparison, ...], keep: list[str], roles: list[str]
) -> Any:
    """Per partition of pairs (``l_<role>``, ``r_<role>`` columns): the local comparison
    code's gammas, as ``gamma_<role>`` beside the ``keep`` columns."""
    from pyspark.sql import types as T

    schema = T.StructType(
        [pairs.schema[c] for c in keep]
        + [T.StructField(f"gamma_{c.role}", T.ByteType()) for c in comparisons]
    )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            k = len(batch)
            values = {
                r: np.concatenate([_objects(batch[f"l_{r}"]), _objects(batch[f"r_{r}"])])
                for r in roles
            }
            table = Table(np.arange(2 * k).astype(object), values, [])
            a = np.arange(k, dtype=np.int64)
            g = gammas(table, comparisons, a, a + k)
            out: dict[str, Any] = {c: batch[c] for c in keep}
            out.update({f"gamma_{c.role}": g[:, j] for j, c in enumerate(comparisons)})
            yield pd.DataFrame(out)

    return pairs.mapInPandas(run, schema)


def _sample_counts(
    records: Any,
    comparisons: tuple[Comparison, ...],
    roles: list[str],
    n: int,
    source: npt.NDArray[np.int8] | None,
    settings: Settings,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Distinct gamma rows of the random pairs u is estimated on (the local engine's pairs:
    records are numbered alike), with their counts."""
    from pyspark.sql import functions as F

    a, b = sample_pairs(n, source, settings.u_sample_pairs, settings.seed)
    pairs = _small_frame(records.sparkSession, pd.DataFrame({"ia": a, "ib": b}))
    left = records.select(F.col("_idx").alias("ia"), *[F.col(r).alias(f"l_{r}") for r in roles])
    right = records.select(F.col("_idx").alias("ib"), *[F.col(r).alias(f"r_{r}") for r in roles])
    joined = pairs.join(left, "ia").join(right, "ib")
    columns = [f"gamma_{c.role}" for c in comparisons]
    rows = _compare(joined, comparisons, [], roles).groupBy(*columns).count().toPandas()
    return rows[columns].to_numpy(np.int8), rows["count"].to_numpy(np.float64)


def _blocked_counts(
    rows: pd.DataFrame, columns: list[str], n_rules: int
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64], list[npt.NDArray[np.float64]]]:
    """Distinct gamma rows of the blocked pairs, their counts, and per rule their counts
    among that rule's pairs, from counts grouped by gammas and rule flags."""
    g = rows[columns].to_numpy(np.int8).reshape(len(rows), len(columns))
    count = rows["count"].to_numpy(np.float64)
    patterns, inverse = np.unique(g, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    size = len(patterns)

    def total(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(inverse, weights=weights, minlength=size).astype(np.float64)

    per_rule = [total(count * rows[f"_in{i}"].to_numpy(bool)) for i in range(n_rules)]
    return patterns.astype(np.int8), total(count), per_rule


def _weight_expression(model: FellegiSunterModel) -> Any:
    """A pair's match weight in Spark SQL, summed in the local engine's order: prior weight,
    then per comparison the level's ``log2(m/u)`` and, for an exact agreement on a
    term-frequency role, ``log2(u / tf)``."""
    from pyspark.sql import functions as F

    tf_roles = set(model.term_frequency_roles())
    weight = F.lit(model.prior_weight)
    for cm in model.comparisons:
        role = cm.comparison.role
        factors = cm.log2_bayes_factors()  # per level, then 0.0 for null
        gamma = F.col(f"gamma_{role}")
        term = F.when(gamma == 0, F.lit(float(factors[0])))
        for level in range(1, len(factors) - 1):
            term = term.when(gamma == level, F.lit(float(factors[level])))
        weight = weight + term.otherwise(F.lit(0.0))
        if role in tf_roles:
            u_exact = F.lit(max(cm.u[0], _FLOOR))
            tf = F.greatest(F.col(f"tf_{role}"), F.lit(_FLOOR))
            weight = weight + F.when(gamma == 0, F.log2(u_exact / tf)).otherwise(F.lit(0.0))
    return weight


def _normaliser(
    settings: Settings, roles: dict[str, str], keys: dict[str, Key], pieces: dict[str, Key]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Per partition: each role normalised as the local engine does, each blocking key's
    value (its transform of the normalised value, as ``Table.key_codes`` computes it), the
    original values, and which values were there but did not normalise."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        transforms = {name: (_transform(k) if k.transform else None) for name, k in keys.items()}
        for batch in batches:
            batch = batch.reset_index(drop=True)
            out: dict[str, Any] = {"_id": batch["_id"]}
            for role, column in roles.items():
                out[role], _ = normalize_column(
                    batch[f"_c_{role}"],
                    normalizer_for(role, settings),
                    column=column,
                    role=role,
                    quick=quick_normalizer_for(role, settings),
                    bulk=_bulk_normalizer_for(role, settings),
                )
            for name, key in keys.items():
                f = transforms[name]
                values = out[key.role]
                out[name] = [v if v is None or f is None else f(v) for v in values]
            for name, key in pieces.items():  # the local engine's keys, as text
                out[name] = key_pieces(key, list(out[key.role]))
            for role in roles:
                original = batch[f"_c_{role}"]
                out[f"o_{role}"] = original
                given = original.notna() & (original.astype(str).str.strip() != "")
                out[f"_x_{role}"] = given.to_numpy() & pd.isna(out[role])
            out["_pos"] = batch["_pos"]
            yield pd.DataFrame(out)

    return run


def _survivors(
    roles: dict[str, str],
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """Per partition of members sorted by cluster, then input order: the local engine's
    golden records, one vectorised call per batch of whole clusters (one Python call per
    cluster, as ``applyInPandas`` makes, took minutes for 100,000 records). A cluster cut
    by a batch boundary waits for the next batch."""

    def chunk(members: pd.DataFrame) -> pd.DataFrame:
        labels, names = pd.factorize(members["_cluster"])
        return golden_records(
            pd.DataFrame({column: members[f"o_{r}"] for r, column in roles.items()}),
            {r: _objects(members[r]) for r in roles},
            roles,
            labels.astype(np.int64),
            np.asarray(names, dtype=object),
            members["_id"].to_numpy(dtype=object),
        )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        carried: pd.DataFrame | None = None
        for batch in batches:
            if carried is not None:
                batch = pd.concat([carried, batch], ignore_index=True)
            if len(batch) == 0:
                continue
            clusters = batch["_cluster"].to_numpy(dtype=object)
            last = clusters == clusters[-1]  # the last cluster may go on in the next batch
            carried = batch[last].reset_index(drop=True)
            if not last.all():
                yield chunk(batch[~last].reset_index(drop=True))
        if carried is not None and len(carried):
            yield chunk(carried)

    return run


def _objects(series: pd.Series) -> np.ndarray:
    """Strings and ``None`` (Arrow may hand nulls over as NaN)."""
    values = series.to_numpy(dtype=object)
    values[pd.isna(values)] = None
    return values
