from __future__ import annotations

import numpy as np
import pandas as pd

from identilink.golden import golden_records


def test_most_frequent_then_most_complete() -> None:
    original = pd.DataFrame(
        {"fn": ["Anna", "ANNA", "Ann", "Bob", None], "city": ["X", None, "Y", None, "Z"]}
    )
    normalized = {
        "first_name": np.array(["anna", "anna", "ann", "bob", None], dtype=object),
        "city": np.array(["x", None, "y", None, "z"], dtype=object),
    }
    labels = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    out = golden_records(
        original,
        normalized,
        {"first_name": "fn", "city": "city"},
        labels,
        np.array(["c0", "c1"], dtype=object),
        np.array(["r0", "r1", "r2", "r3", "r4"], dtype=object),
    )
    assert out["n_records"].tolist() == [3, 2]
    # "anna" wins by frequency; of its holders r0 is more complete, so its spelling survives
    assert out["fn"].tolist() == ["Anna", "Bob"]
    assert out["fn__source"].tolist() == ["r0", "r3"]
    # city: x and y tie on frequency; r0 (2 roles) beats r2 (2 roles) by order
    assert out["city"].tolist() == ["X", "Z"]
