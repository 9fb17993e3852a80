"""A local[2] Spark session for the Spark engine's tests (marked ``spark``).

Needs the ``spark`` extra and Java (on this machine; ``scripts/test`` installs the extra). The
tests skip without pyspark, and fail instead under CI, which installs it.
"""

from __future__ import annotations

import importlib.util
import os
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
    if importlib.util.find_spec("pyspark") is None:
        if os.environ.get("CI"):
            pytest.fail(SPARK_HELP)
        pytest.skip(SPARK_HELP)
    from identilink.spark import local_session

    checkpoints: Path = tmp_path_factory.mktemp("spark-checkpoints")
    session = local_session(2, memory="4g", shuffle_partitions=4, checkpoints=str(checkpoints))
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's cached frames freed after it: runs add up in one session's memory (1 GiB
    ran out by the fourth engine test)."""
    yield
    if "spark" in request.fixturenames:
        request.getfixturevalue("spark").catalog.clearCache()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/spark/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.spark)
