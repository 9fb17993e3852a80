from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from identilink.cli import main

ROWS = pd.DataFrame(
    {
        "id": ["a1", "a2", "b1", "b2", "c1"],
        "given_name": ["Anna", "anna", "Bob", "Bob", "Carla"],
        "surname": ["Smith", "Smith", "Jones", "Jones", "Diaz"],
        "mail": ["a@x.com", "A@x.com", "bob@y.org", "bob@y.org", "bad-email"],
        "birth": ["2000-01-01", "2000-01-01", "1990-05-05", "1990-05-05", "1985-03-03"],
    }
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    ROWS.to_csv(path, index=False)
    return path


def test_dedupe_writes_every_output(data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out" / "clusters.csv"
    code = main(
        [
            "dedupe",
            str(data),
            "--out",
            str(out),
            "--golden",
            str(tmp_path / "golden.parquet"),
            "--pairs",
            str(tmp_path / "pairs.csv"),
            "--report",
            str(tmp_path / "report.json"),
            "--save-model",
            str(tmp_path / "model.json"),
            "--column",
            "email=mail",
            "--column",
            "dob=birth",
            "--quiet",
        ]
    )
    assert code == 0
    assert capsys.readouterr().err == ""
    clusters = pd.read_csv(out)
    assert list(clusters.columns) == ["record_id", "cluster_id"]
    groups = {frozenset(g) for _, g in clusters.groupby("cluster_id")["record_id"]}
    assert groups == {frozenset({"a1", "a2"}), frozenset({"b1", "b2"}), frozenset({"c1"})}
    assert len(pd.read_parquet(tmp_path / "golden.parquet")) == 3
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["roles"]["email"] == "mail"
    assert report["n_rejected_values"] == 1
    # the saved model scores the same file again
    again = tmp_path / "again.csv"
    assert (
        main(
            [
                "dedupe",
                str(data),
                "--out",
                str(again),
                "--model",
                str(tmp_path / "model.json"),
                "--quiet",
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(pd.read_csv(again), clusters)


def test_summary_and_rejects_on_stderr(data: Path, tmp_path: Path, capsys) -> None:
    assert (
        main(["dedupe", str(data), "--out", str(tmp_path / "c.csv"), "--column", "email=mail"]) == 0
    )
    err = capsys.readouterr().err
    assert "5 records" in err
    assert "malformed email value(s) in column 'mail'" in err


def test_link_has_source_column(data: Path, tmp_path: Path) -> None:
    right = tmp_path / "right.parquet"
    ROWS.iloc[[1, 3]].to_parquet(right)
    out = tmp_path / "c.csv"
    assert (
        main(["link", str(data), str(right), "--out", str(out), "--quiet", "--threshold", "0.5"])
        == 0
    )
    clusters = pd.read_csv(out)
    assert list(clusters.columns) == ["record_id", "source", "cluster_id"]
    assert set(clusters["source"]) == {"left", "right"}


def test_config_file(data: Path, tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        'id_column = "id"\nblocking_rules = [["last_name"]]\nthreshold = 0.8\n'
        '[roles]\nfirst_name = "given_name"\nlast_name = "surname"\n'
    )
    out = tmp_path / "c.csv"
    assert main(["dedupe", str(data), "--out", str(out), "--config", str(config), "--quiet"]) == 0


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], str]]:
    missing_ids = tmp_path / "missing_ids.csv"
    pd.DataFrame({"id": ["1", None], "email": ["a@x.com", "b@x.com"]}).to_csv(
        missing_ids, index=False
    )
    dup_ids = tmp_path / "dup_ids.csv"
    pd.DataFrame({"id": ["1", "1"], "email": ["a@x.com", "b@x.com"]}).to_csv(dup_ids, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,email\n")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,last_name\n1,Müller\n2,Mueller\n".encode("latin-1"))
    all_null = tmp_path / "all_null.csv"
    all_null.write_text("id,email\n1,\n2,\n")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("id,email\n1,a@x.com,extra\n")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("threshold = = 1")
    return [
        (["dedupe", str(tmp_path / "nope.csv")], "no such file"),
        (["dedupe", str(tmp_path / "x.xlsx")], "unsupported file type"),
        (["dedupe", str(missing_ids)], "record id is missing"),
        (["dedupe", str(dup_ids)], "duplicate record id"),
        (["dedupe", str(empty)], "empty"),
        (["dedupe", str(header_only)], "no records"),
        (["dedupe", str(latin1)], "not valid utf-8"),
        (["dedupe", str(all_null), "--column", "email=email"], "no usable values"),
        (["dedupe", str(corrupt)], "cannot read as parquet"),
        (["dedupe", str(ragged)], "more fields than the header"),
        (["dedupe", str(missing_ids), "--column", "email=mail"], "not in the input"),
        (["dedupe", str(missing_ids), "--column", "colour=email"], "unknown role"),
        (["dedupe", str(missing_ids), "--column", "email"], "ROLE=COLUMN"),
        (["dedupe", str(missing_ids), "--id-column", "key"], "id column 'key'"),
        (["dedupe", str(missing_ids), "--threshold", "2"], "threshold"),
        (["dedupe", str(missing_ids), "--config", str(bad_toml)], "not valid TOML"),
        (["dedupe", str(missing_ids), "--model", str(bad_toml)], "not valid JSON"),
    ]


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    for args, message in _bad_inputs(tmp_path):
        code = main([*args, "--out", str(tmp_path / "o.csv"), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2, args
        assert err.count("\n") == 1, err
        assert err.startswith("identilink: error:"), err
        assert message.lower() in err.lower(), (message, err)
        assert "Traceback" not in err


def test_latin1_input_with_encoding_option(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,last_name\n1,Müller\n2,Müller\n".encode("latin-1"))
    out = tmp_path / "o.csv"
    assert main(["dedupe", str(latin1), "--encoding", "latin-1", "--out", str(out), "--quiet"]) == 0


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["dedupe"])
    assert info.value.code == 2


def test_console_script_runs_as_module(data: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "identilink", "dedupe", str(data), "--out", str(tmp_path / "c.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "records" in proc.stderr


def test_generate_ingest_resolve(tmp_path: Path, capsys) -> None:
    data = tmp_path / "gen"
    assert main(["generate", "--people", "50", "--seed", "4", "--out", str(data)]) == 0
    assert "50 people" in capsys.readouterr().err
    fragments = tmp_path / "f.jsonl"
    rejects = tmp_path / "r.jsonl"
    code = main(
        [
            "ingest",
            str(data / "crm.csv"),
            str(data / "sms.jsonl"),
            "--out",
            str(fragments),
            "--rejects",
            str(rejects),
        ]
    )
    assert code == 0
    assert "fragments" in capsys.readouterr().err
    out = tmp_path / "customers.csv"
    golden = tmp_path / "golden.csv"
    # fragments files and raw channel files can be mixed
    assert (
        main(
            [
                "resolve",
                str(fragments),
                str(data / "calls.csv"),
                "--out",
                str(out),
                "--golden",
                str(golden),
                "--quiet",
            ]
        )
        == 0
    )
    clusters = pd.read_csv(out)
    assert list(clusters.columns) == ["fragment_id", "customer_id", "channel"]
    assert set(clusters["channel"]) == {"crm", "sms", "call"}
    assert len(pd.read_csv(golden)) == clusters["customer_id"].nunique()


def test_resolve_errors(tmp_path: Path, capsys) -> None:
    data = tmp_path / "gen"
    main(["generate", "--people", "20", "--out", str(data), "--quiet"])
    twice = str(data / "crm.csv")
    args = ["resolve", twice, twice, "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2
    assert "appears twice" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "f.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["generate", "--people", "0", "--out", str(tmp_path / "g")]) == 2


def test_store_commands(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    store = str(tmp_path / "customers.db")
    assert main(["generate", "--people", "30", "--seed", "2", "--out", str(data), "--quiet"]) == 0
    rules = tmp_path / "rules.json"
    rules.write_text('{"limits": {"email": 4}}')
    model = tmp_path / "model.json"
    crm = str(data / "crm.csv")
    assert main(["dedupe", crm, "--out", str(tmp_path / "c.csv"), "--save-model", str(model)]) == 0
    assert main(["store", "init", store, "--rules", str(rules), "--model", str(model)]) == 0
    ids = tmp_path / "ids.csv"
    files = [str(data / n) for n in ("crm.csv", "email.mbox", "sms.jsonl", "calls.csv")]
    assert main(["store", "add", store, *files, "--out", str(ids), "--batch", "7"]) == 0
    assigned = pd.read_csv(ids)
    assert assigned["customer_id"].notna().all()
    assert len(assigned) == assigned["fragment_id"].nunique()
    capsys.readouterr()
    first = assigned["fragment_id"].iloc[0]
    assert main(["store", "get", store, first]) == 0
    got = json.loads(capsys.readouterr().out)
    assert first in got["fragments"]
    assert main(["store", "get", store, got["customer_id"]]) == 0
    assert json.loads(capsys.readouterr().out) == got
    # a customer with more than one fragment has links to explain
    sizes = assigned["customer_id"].value_counts()
    big = sizes.index[0]
    members = assigned.loc[assigned["customer_id"] == big, "fragment_id"].tolist()
    html = tmp_path / "why.html"
    assert main(["store", "explain", store, big, "--html", str(html)]) == 0
    explained = capsys.readouterr().out
    assert "link(s)" in explained
    assert "model match weight" in explained  # links scored by the model given at init
    assert html.read_text().startswith("<!doctype html>")
    assert main(["store", "explain", store, members[0], members[-1]]) == 0
    capsys.readouterr()
    other = assigned.loc[assigned["customer_id"] != big, "fragment_id"].iloc[0]
    other_id = assigned.loc[assigned["fragment_id"] == other, "customer_id"].iloc[0]
    assert main(["store", "link", store, members[0], other]) == 0
    linked = json.loads(capsys.readouterr().out)
    assert {members[0], other} <= set(linked["fragments"])
    assert linked["customer_id"] == min(big, other_id)  # the older customer keeps its id
    assert main(["store", "unlink", store, members[0], other]) == 0
    assert other not in json.loads(capsys.readouterr().out)["fragments"]
    assert main(["store", "lock", store, big]) == 0
    assert main(["store", "unlock", store, big]) == 0
    golden = tmp_path / "golden.csv"
    assert main(["store", "golden", store, "--out", str(golden)]) == 0
    frame = pd.read_csv(golden)
    assert len(frame) == assigned["customer_id"].nunique()
    assert {"customer_id", "first_name", "first_name_source", "emails"} <= set(frame.columns)
    assert main(["store", "events", store, big]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert kinds[0] == "create"
    assert "merge" in kinds  # the steward's link merged a customer into this one


def test_store_errors(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "missing.db")
    assert main(["store", "get", missing, "x"]) == 2
    assert "no such store" in capsys.readouterr().err
    store = str(tmp_path / "s.db")
    bad = tmp_path / "rules.json"
    bad.write_text('{"limits": {"email": 0}}')
    assert main(["store", "init", store, "--rules", str(bad)]) == 2
    assert "at least 1" in capsys.readouterr().err
    bad.write_text("{nope")
    assert main(["store", "init", store, "--rules", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["store", "init", store]) == 0
    assert main(["store", "get", store, "crm:404"]) == 2
    assert "no customer 'crm:404'" in capsys.readouterr().err
    assert main(["store", "link", store, "crm:1", "crm:2"]) == 2
    assert "no fragment 'crm:1'" in capsys.readouterr().err
    assert main(["store", "explain", store, "a", "b", "c"]) == 2
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 200)
    assert main(["store", "get", str(junk), "x"]) == 2
    assert "cannot open store" in capsys.readouterr().err


def test_blocking_analyse(data: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rules.csv"
    assert main(["blocking", "analyse", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cumulative pairs exact" in printed
    table = pd.read_csv(out)
    assert {"rule", "pairs", "cumulative_pairs", "largest_block", "kept"} <= set(table.columns)
    assert table["cumulative_pairs"].is_monotonic_increasing
    assert main(["blocking", "analyse", str(tmp_path / "missing.csv")]) == 2


def test_list_cells_round_trip_through_files(tmp_path: Path) -> None:
    """Parquet list cells in; golden records list every value: a list in Parquet, text with
    '; ' between values in CSV (the form read back as several values)."""
    records = tmp_path / "lists.parquet"
    pd.DataFrame(
        {
            "id": [1, 2, 3],
            "first_name": ["ann", "ann", "bob"],
            "email": [["ann@x.com", "al@work.com"], ["al@work.com"], ["bob@x.com"]],
        }
    ).to_parquet(records)
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"blocking_rules": [["email"]], "must_link": [["email"]]}))
    for golden in (tmp_path / "g.parquet", tmp_path / "g.csv"):
        args = ["dedupe", str(records), "--out", str(tmp_path / "o.csv"), "--quiet"]
        code = main([*args, "--golden", str(golden), "--config", str(config)])
        assert code == 0
        frame = pd.read_parquet(golden) if golden.suffix == ".parquet" else pd.read_csv(golden)
        ann = frame[frame["n_records"] == 2].iloc[0]
        every = ann["email__all"]
        values = list(every) if golden.suffix == ".parquet" else every.split("; ")
        assert values == ["al@work.com", "ann@x.com"]
