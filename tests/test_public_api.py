from __future__ import annotations

import identilink


def test_all_is_unique_and_importable() -> None:
    # the order is ruff's RUF022 "isort-style" sort, which `ruff check` enforces
    assert len(set(identilink.__all__)) == len(identilink.__all__)
    for name in identilink.__all__:
        assert hasattr(identilink, name)


def test_public_names_are_all_listed() -> None:
    public = {n for n in vars(identilink) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(identilink, n)).__name__ == "module"}
    assert public - modules == set(identilink.__all__) - {"__version__"}
