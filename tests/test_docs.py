"""The Python blocks of docs/*.md and the README run, top to bottom, as written."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


_SPARK_MARKS = [
    pytest.mark.spark,  # starts a local Spark session (reuses the Spark tests' one if running)
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # py4j's sockets
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
PAGES = [pytest.param(p, marks=_SPARK_MARKS if p.name == "spark.md" else []) for p in DOCS]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_run(page: Path, tmp_path: Path) -> None:
    if page.name == "spark.md" and not os.environ.get("CI"):  # CI installs it: fails there
        pytest.importorskip("pyspark", reason="the spark extra")
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "out").mkdir()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        namespace: dict[str, object] = {"__name__": "__docs__"}
        for code in blocks:
            exec(compile(code, str(page), "exec"), namespace)
    finally:
        os.chdir(cwd)
