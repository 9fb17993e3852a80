"""Kill the process in the middle of ``add_many``: the store opens, is consistent and holds
every committed fragment (each micro-batch is one SQLite transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from identilink import Resolver
from identilink.store import SQLiteStore

CHILD = textwrap.dedent(
    """
    import sys
    from identilink import Resolver
    from identilink.fragments import FragmentBuilder
    from identilink.store import SQLiteStore

    resolver = Resolver(SQLiteStore(sys.argv[1]))
    batch = 0
    while True:
        fragments = []
        for i in range(50):
            n = batch * 50 + i
            b = FragmentBuilder("crm", n)
            b.name(f"Person {n % 97}")
            b.email(f"p{n % 300}@example.org")
            b.phone(f"415270{n % 1000:04d}")
            fragments.append(b.build())
        resolver.add_many(fragments)
        batch += 1
        print(batch * 50, flush=True)
    """
)


def test_a_killed_add_many_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    committed = 0
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            committed = int(line)
            if committed >= 400:  # well into the run, mid-batch most likely
                break
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert committed >= 400
    store = SQLiteStore(path)
    resolver = Resolver(store)
    held = store.count()
    assert held >= committed
    assert held % 50 == 0  # whole batches only
    assert resolver.verify() == []
    ids = set(store.fragment_ids())
    assert {f"crm:{n}" for n in range(committed)} <= ids
    store.close()
