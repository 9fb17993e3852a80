from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=25, deadline=None)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "examples"


settings.register_profile(
    "thorough", max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


POSTGRES_HELP = (
    'PostgreSQL store tests need a server: eval "$(scripts/postgres.sh)" starts one on '
    "loopback and sets IDENTILINK_TEST_POSTGRES=postgresql://postgres@127.0.0.1:54329/postgres"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh PostgreSQL schema, dropped afterwards; skips without a server
    (fails instead under CI, which starts one)."""
    import uuid

    base = os.environ.get("IDENTILINK_TEST_POSTGRES")
    if not base:
        if os.environ.get("CI"):
            pytest.fail(POSTGRES_HELP)
        pytest.skip(POSTGRES_HELP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{base}?schema={schema}"
    import psycopg

    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Each store implementation in turn."""
    from identilink.store import MemoryStore, PostgresStore, SQLiteStore

    if request.param == "memory":
        made: Any = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "store.db")
    else:
        made = PostgresStore(request.getfixturevalue("postgres_url"))
    yield made
    made.close()
