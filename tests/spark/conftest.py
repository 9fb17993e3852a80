"""A local[2] Spark session for the Spark engine's tests (marked ``spark``).

Needs the ``spark`` extra and Java (on this machine; ``scripts/test`` installs the extra). The
tests skip without pyspark, and fail instead under CI, which installs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SPARK_HELP = (
    "Spark tests need the spark extra and Java: pip install -e '.[test,spark]' "
    "(scripts/test does), and a JDK on PATH"
)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(SPARK_HELP)
        pytest.skip(SPARK_HELP)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("identilink-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    checkpoints: Path = tmp_path_factory.mktemp("spark-checkpoints")
    session.sparkContext.setCheckpointDir(str(checkpoints))
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/spark/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.spark)
