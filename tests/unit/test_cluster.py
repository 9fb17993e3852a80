from __future__ import annotations

import numpy as np

from identilink.cluster import components, reference_components


def test_components_number_by_first_record() -> None:
    a = np.array([3, 1], dtype=np.int64)
    b = np.array([4, 2], dtype=np.int64)
    assert components(5, a, b).tolist() == [0, 1, 1, 2, 2]
    assert reference_components(5, a, b).tolist() == [0, 1, 1, 2, 2]


def test_no_links_means_singletons() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert components(3, empty, empty).tolist() == [0, 1, 2]
    assert components(0, empty, empty).tolist() == []
