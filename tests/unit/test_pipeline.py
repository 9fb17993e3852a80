from __future__ import annotations

import warnings

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import identilink
from identilink import (
    ConfigurationError,
    FellegiSunterModel,
    InputDataError,
    Settings,
    UnknownColumnError,
)

ROWS = [
    {
        "id": "a1",
        "first_name": "Anna",
        "last_name": "Smith",
        "email": "anna.smith@x.com",
        "dob": "2000-01-01",
    },
    {
        "id": "a2",
        "first_name": "anna",
        "last_name": "smith",
        "email": "ANNA.SMITH@x.com",
        "dob": "2000-01-01",
    },
    {
        "id": "a3",
        "first_name": "Ana",
        "last_name": "Smith",
        "email": "anna.smith@x.com",
        "dob": "01/01/2000",
    },
    {
        "id": "b1",
        "first_name": "Bob",
        "last_name": "Jones",
        "email": "bob@y.org",
        "dob": "1990-05-05",
    },
    {
        "id": "b2",
        "first_name": "Robert",
        "last_name": "Jones",
        "email": "bob@y.org",
        "dob": "1990-05-05",
    },
    {
        "id": "c1",
        "first_name": "Carla",
        "last_name": "Diaz",
        "email": "carla@z.net",
        "dob": "1985-03-03",
    },
    {
        "id": "d1",
        "first_name": "Dan",
        "last_name": "Wu",
        "email": "not-an-email",
        "dob": "1970-07-07",
    },
]


def _clusters(result: identilink.Result) -> set[frozenset[str]]:
    groups = result.clusters.groupby("cluster_id")["record_id"]
    return {frozenset(g) for _, g in groups}


EXPECTED = {
    frozenset({"a1", "a2", "a3"}),
    frozenset({"b1", "b2"}),
    frozenset({"c1"}),
    frozenset({"d1"}),
}


@pytest.mark.parametrize(
    "convert",
    [
        lambda rows: pd.DataFrame(rows),
        lambda rows: pl.DataFrame(rows),
        lambda rows: pa.Table.from_pylist(rows),
        lambda rows: iter(rows),
    ],
    ids=["pandas", "polars", "pyarrow", "dicts"],
)
def test_dedupe_accepts_every_input_kind(convert: object) -> None:
    result = identilink.dedupe(convert(ROWS), {"must_link": [["email"]]})  # type: ignore[operator]
    assert _clusters(result) == EXPECTED
    assert list(result.clusters.columns) == ["record_id", "cluster_id"]
    assert set(result.pairs.columns) >= {"left_id", "right_id", "match_weight", "match_probability"}
    assert len(result.golden) == 4


def test_malformed_value_compares_as_null_and_is_counted() -> None:
    result = identilink.dedupe(ROWS)
    assert result.report["n_rejected_values"] == 1
    [rejected] = result.report["rejected_values"]
    assert rejected["role"] == "email"
    assert rejected["examples"][0][0] == "not-an-email"
    assert len(result.clusters) == len(ROWS)  # nothing dropped


def test_golden_record_values_come_from_records() -> None:
    result = identilink.dedupe(ROWS, {"must_link": [["email"]]})
    golden = result.golden.set_index("cluster_id")
    row = golden.loc["a1"]
    assert row["n_records"] == 3
    assert row["first_name"] in {"Anna", "anna"}
    assert row["email__source"] in {"a1", "a2", "a3"}


def test_link_only_pairs_across_sources() -> None:
    left, right = ROWS[:4], [*ROWS[4:], dict(ROWS[0], id="z9")]
    result = identilink.link(left, right)
    assert set(result.clusters["source"]) == {"left", "right"}
    assert set(result.pairs["left_id"]) <= {r["id"] for r in left}
    assert set(result.pairs["right_id"]) <= {r["id"] for r in right}
    clusters = result.clusters.set_index(["source", "record_id"])["cluster_id"]
    assert clusters[("left", "a1")] == clusters[("right", "z9")]


def test_model_round_trips_and_rescores_identically(tmp_path) -> None:
    first = identilink.dedupe(ROWS)
    path = tmp_path / "model.json"
    first.model.save(path)
    model = FellegiSunterModel.load(path)
    assert model == first.model
    second = identilink.dedupe(ROWS, model=model)
    pd.testing.assert_frame_equal(first.pairs, second.pairs)


def test_explicit_settings_and_column_overrides() -> None:
    frame = pd.DataFrame(ROWS).rename(columns={"email": "contact"})
    result = identilink.dedupe(frame, columns={"email": "contact"})
    assert result.settings.roles is not None
    assert result.settings.roles["email"] == "contact"
    settings = Settings(
        id_column="id",
        roles={"first_name": "first_name", "last_name": "last_name"},
        blocking_rules=[["last_name"]],
        comparisons=[{"role": "first_name", "levels": ["exact"]}],
    )
    result = identilink.dedupe(frame, settings)
    assert result.report["n_candidate_pairs"] == 4  # smith x3 + jones x1


@pytest.mark.parametrize(
    ("data", "settings", "error", "match"),
    [
        ([], None, InputDataError, "no records"),
        ([*ROWS, dict(ROWS[0])], None, InputDataError, "duplicate record id 'a1'"),
        (
            [dict(ROWS[0], id=None), *ROWS[1:]],
            None,
            InputDataError,
            "record id is missing in row 0",
        ),
        (ROWS, {"id_column": "nope"}, UnknownColumnError, "id column 'nope'"),
        (ROWS, {"roles": {"email": "mail"}}, UnknownColumnError, "mail"),
        (ROWS, {"roles": {"colour": "email"}}, ConfigurationError, "unknown role"),
        (
            [{"id": 1, "x": None}, {"id": 2, "x": None}],
            None,
            InputDataError,
            "no column could be given a role",
        ),
        (
            [{"id": 1, "email": None}, {"id": 2, "email": ""}],
            {"roles": {"email": "email"}},
            InputDataError,
            "has no usable values",
        ),
        ("file.csv", None, InputDataError, "read_table"),
        (42, None, InputDataError, "must be a pandas"),
    ],
)
def test_bad_input_is_one_clear_error(data, settings, error, match) -> None:
    with pytest.raises(error, match=match):
        identilink.dedupe(data, settings)


def test_all_null_inferred_column_is_ignored_with_a_warning() -> None:
    rows = [dict(r, phone=None) for r in ROWS]
    with pytest.warns(identilink.IdentilinkWarning, match="'phone'"):
        result = identilink.dedupe(rows, {"roles": None})
    assert (
        "phone" not in (result.model.settings.roles or {})
        or "phone" in result.report["skipped_roles"]
    )


def test_empty_result_when_nothing_blocks() -> None:
    rows = [{"id": i, "email": f"user{i}@x{i}.com"} for i in range(5)]
    result = identilink.dedupe(rows)
    assert result.report["n_candidate_pairs"] == 0
    assert result.clusters["cluster_id"].nunique() == 5


def test_nested_values_are_rejected_not_crashed_on() -> None:
    rows = [dict(r) for r in ROWS]
    rows[0]["first_name"] = {"given": "Anna"}
    rows[1]["email"] = [["a@x.com"]]  # a list cell holds values; a list in it is nested
    result = identilink.dedupe(rows)
    assert result.report["n_rejected_values"] == 3  # two nested values and 'not-an-email'
    reasons = {r["role"]: r["examples"][0][1] for r in result.report["rejected_values"]}
    assert reasons["first_name"] == "a nested value, not a scalar"
    assert reasons["email"] == "a nested value, not a scalar"


def test_a_single_record_is_its_own_cluster() -> None:
    result = identilink.dedupe(ROWS[:1])
    assert result.clusters.to_dict("records") == [{"record_id": "a1", "cluster_id": "a1"}]
    assert len(result.pairs) == 0


def test_placeholder_identifiers_never_link() -> None:
    rows = [
        {
            "id": 1,
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "test@test.com",
            "phone": "000-000-0000",
        },
        {
            "id": 2,
            "first_name": "Bob",
            "last_name": "Ray",
            "email": "test@test.com",
            "phone": "000-000-0000",
        },
    ]
    with pytest.warns(identilink.IdentilinkWarning, match="no usable values"):
        result = identilink.dedupe(rows, {"must_link": [["email"]]})
    assert result.clusters["cluster_id"].nunique() == 2
    reasons = {r["role"]: r["examples"][0][1] for r in result.report["rejected_values"]}
    assert reasons["email"].startswith("placeholder")
    assert reasons["phone"].startswith("placeholder")


def test_candidate_pairs_in_chunks_are_the_pairs_a_run_compares() -> None:
    from identilink.bench.people import generate_people

    frame = generate_people(3000, seed=5).drop(columns=["person_id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", identilink.IdentilinkWarning)
        run = identilink.dedupe(frame)
        chunks = list(identilink.candidate_pairs(frame, chunk_pairs=500))
    assert len(chunks) > 2
    assert all(list(c.columns) == ["left_id", "right_id", "rule"] for c in chunks)
    streamed = pd.concat(chunks, ignore_index=True)
    assert not streamed.duplicated(["left_id", "right_id"]).any()
    assert set(zip(streamed["left_id"], streamed["right_id"], strict=True)) == set(
        zip(run.pairs["left_id"], run.pairs["right_id"], strict=True)
    )
    # each rule's new pairs, as the run's blocking report counts them
    new = streamed["rule"].value_counts().to_dict()
    report = {r["rule"]: r["new_pairs"] for r in run.report["blocking"] if r["new_pairs"]}
    assert new == report


def test_roles_normalised_on_two_threads_give_what_one_gives(monkeypatch) -> None:
    """Large inputs normalise their roles on two threads; the table, its reports and the
    warning for an empty column are those of one thread."""
    from identilink import _table

    rows = [dict(r, phone=None, id=i) for i, r in enumerate(ROWS * 40)]

    def run() -> tuple[pd.DataFrame, list[object]]:
        with pytest.warns(identilink.IdentilinkWarning, match="'phone'"):
            result = identilink.dedupe(rows, {"roles": None})
        return result.pairs, result.report["rejected_values"]

    monkeypatch.setattr(_table, "_PARALLEL_ROWS", 10**9)
    one_pairs, one_rejects = run()
    monkeypatch.setattr(_table, "_PARALLEL_ROWS", 1)
    two_pairs, two_rejects = run()
    pd.testing.assert_frame_equal(one_pairs, two_pairs)
    assert one_rejects == two_rejects
    assert one_rejects  # the input's invalid e-mail is reported either way


@pytest.mark.parametrize("linking", [False, True])
def test_records_taken_in_block_order_give_what_the_input_order_gives(
    monkeypatch, linking: bool
) -> None:
    """Large inputs making many pairs a record are blocked, compared and scored with their
    records in the blocks of their largest rule; pairs, weights, clusters and golden
    records are those of the input's order."""
    from identilink import blocking
    from identilink._table import Table
    from tests.helpers import people_with_lists

    frame = people_with_lists(2400, seed=7)
    if linking:  # ids of objects one way, of integers the other
        frame["record_id"] = "r" + frame["record_id"].astype(str)
    taken: list[int] = []
    real_take = Table.take

    def take(self: Table, order: object) -> Table:
        taken.append(self.n)
        return real_take(self, order)  # type: ignore[arg-type]

    monkeypatch.setattr(Table, "take", take)

    def run() -> identilink.Result:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", identilink.IdentilinkWarning)
            if linking:
                return identilink.link(frame.iloc[:1100], frame.iloc[1100:])
            return identilink.dedupe(frame)

    plain = run()
    assert not taken  # small inputs stay as they are
    monkeypatch.setattr(blocking, "_LOCAL_RECORDS", 0)
    monkeypatch.setattr(blocking, "_LOCAL_PAIRS", 0)
    ordered = run()
    assert taken == [len(frame)]

    def by_pair(pairs: pd.DataFrame) -> pd.DataFrame:
        return pairs.sort_values(["left_id", "right_id"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(by_pair(plain.pairs), by_pair(ordered.pairs), rtol=1e-9)
    assert ordered.pairs["left_id"].iloc[0] in set(frame["record_id"])
    pd.testing.assert_frame_equal(plain.clusters, ordered.clusters)
    pd.testing.assert_frame_equal(plain.golden, ordered.golden)
    assert plain.report["blocking"] == ordered.report["blocking"]


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        ([10 + i for i in range(len(ROWS))], "i"),
        ([100 - 3 * i for i in range(len(ROWS))], "i"),
        ([f"r{i}" for i in range(len(ROWS))], "O"),
        (None, "i"),
    ],
)
def test_record_ids_keep_their_kind(ids: list[object] | None, kind: str) -> None:
    """Integer ids stay integers in pairs and clusters (no Python object per pair), other
    ids are the input's objects, and without an id column the row positions are the ids;
    each pair's ids are its records' ids."""
    frame = pd.DataFrame(ROWS).drop(columns=["id"])
    settings = None
    if ids is not None:
        frame.insert(0, "key", ids)
        settings = {"id_column": "key"}
    result = identilink.dedupe(frame, settings)
    expected = ids if ids is not None else list(range(len(frame)))
    assert result.clusters["record_id"].tolist() == expected
    assert result.clusters["record_id"].dtype.kind == kind
    assert result.pairs["left_id"].dtype.kind == kind
    assert len(result.pairs)
    # the same pairs, by position, as a run on row numbers finds
    plain = identilink.dedupe(frame.drop(columns=["key"]) if ids is not None else frame)
    by_position = {
        (expected[i], expected[j])
        for i, j in zip(plain.pairs["left_id"], plain.pairs["right_id"], strict=True)
    }
    assert set(zip(result.pairs["left_id"], result.pairs["right_id"], strict=True)) == by_position
