"""Pieces of the Spark engine (issue 6) that run on Spark DataFrames. Needs the ``spark``
extra (``pip install identilink[spark]``).

:func:`connected_components` is the clustering step at cluster scale: GraphFrames is not
installable everywhere, so it is the standard iterative algorithm written on DataFrames, min
label propagation with pointer jumping (the distributed form of
:func:`identilink.cluster.components`), checkpointed every few rounds so the query plan does
not grow with the number of rounds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["connected_components"]


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
