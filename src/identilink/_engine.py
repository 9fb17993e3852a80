"""Engines: where a run executes. The local engine (pandas and numpy on this machine) is the
default; the Spark engine (:class:`identilink.spark.SparkEngine`) runs the same settings and
model on a cluster. Both implement :class:`Engine`, so code written against it (the CLI, a
pipeline) runs on either::

    engine = identilink.engine("spark")          # or "local", or an Engine you wrote
    result = engine.dedupe(engine.read("customers.parquet"), settings)
    engine.write(result.clusters, "clusters.parquet")

A result's tables are the engine's own frames (pandas DataFrames locally, Spark DataFrames
on Spark), with the same columns and, given the same input and settings, the same content:
the Spark engine's tests hold it to the local one (pairs, match weights to 1e-9, model,
clusters, golden records).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from identilink._io import read_table, write_table
from identilink._pipeline import dedupe, link
from identilink.config import Settings
from identilink.errors import ConfigurationError
from identilink.model import FellegiSunterModel

__all__ = ["Engine", "EngineResult", "LocalEngine", "engine"]


@runtime_checkable
class EngineResult(Protocol):
    """What a run gives back, whatever the engine (tables in the engine's frame type)."""

    @property
    def pairs(self) -> Any: ...
    @property
    def clusters(self) -> Any: ...
    @property
    def golden(self) -> Any: ...
    @property
    def model(self) -> FellegiSunterModel: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def report(self) -> dict[str, Any]: ...


@runtime_checkable
class Engine(Protocol):
    """Reads tables, deduplicates or links them with settings or a trained model, and
    writes tables. Missing settings are inferred from the data as :func:`identilink.dedupe`
    infers them; without a model, one is trained on the data."""

    @property
    def name(self) -> str: ...

    def read(self, path: str, /) -> Any:
        """A table from a Parquet or CSV path, in the engine's frame type."""
        ...

    def dedupe(
        self,
        data: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> EngineResult: ...

    def link(
        self,
        left: Any,
        right: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> EngineResult: ...

    def write(self, table: Any, path: str, /) -> None:
        """Write a result table to ``path`` (its format from the suffix where the engine has
        a choice)."""
        ...


@attrs.frozen
class LocalEngine:
    """The embedded default: :func:`identilink.dedupe` and :func:`identilink.link`."""

    progress: bool = False
    encoding: str = "utf-8"

    @property
    def name(self) -> str:
        return "local"

    def read(self, path: str, /) -> Any:
        return read_table(path, encoding=self.encoding)

    def dedupe(
        self,
        data: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> EngineResult:
        return dedupe(data, settings, model=model, columns=columns, progress=self.progress)

    def link(
        self,
        left: Any,
        right: Any,
        /,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        model: FellegiSunterModel | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> EngineResult:
        return link(left, right, settings, model=model, columns=columns, progress=self.progress)

    def write(self, table: Any, path: str, /) -> None:
        write_table(table, path)


def engine(name: str, /, **options: Any) -> Engine:
    """The engine called ``name`` (``"local"`` or ``"spark"``), made with ``options``
    (for Spark: ``session``, or ``master`` to start one)."""
    if name == "local":
        return LocalEngine(**options)
    if name == "spark":
        try:
            from identilink.spark import SparkEngine
        except ImportError:  # pragma: no cover - the extra is installed where tests run
            raise ConfigurationError(
                "the spark engine needs the spark extra: pip install identilink[spark]"
            ) from None
        return SparkEngine.start(**options)
    raise ConfigurationError(f"unknown engine {name!r}; expected 'local' or 'spark'")
