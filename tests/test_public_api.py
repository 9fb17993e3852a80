from __future__ import annotations

import pytest

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


def test_entry_points_take_their_arguments_alike() -> None:
    """Data positional only, settings by position or keyword, the rest by keyword: locally,
    on Spark and through either engine (what works one way works the others)."""
    import inspect

    pytest.importorskip("pyspark")
    from identilink import spark

    def kinds(function: object) -> list[tuple[str, object]]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.kind) for p in parameters if p.name != "self"]

    for name in ("dedupe", "link"):
        functions = [
            getattr(identilink, name),
            getattr(spark, name),
            getattr(identilink.LocalEngine, name),
            getattr(spark.SparkEngine, name),
        ]
        data = 1 if name == "dedupe" else 2
        for function in functions:
            shown = kinds(function)
            assert all(k == inspect.Parameter.POSITIONAL_ONLY for _, k in shown[:data]), function
            assert shown[data] == ("settings", inspect.Parameter.POSITIONAL_OR_KEYWORD), function
            assert all(k == inspect.Parameter.KEYWORD_ONLY for _, k in shown[data + 1 :]), function
