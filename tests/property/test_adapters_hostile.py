"""Malformed and hostile input to every adapter: fragments or quarantine, never an exception."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from identilink.adapters import ADAPTERS, get_adapter
from identilink.fragments import Fragment, Quarantined
from tests.helpers import native_records

SUFFIX = {"email": ".mbox", "crm": ".csv", "call": ".csv"}
junk_text = st.text(max_size=300)
huge = st.integers(10_000, 200_000).map(lambda n: "9" * n)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | junk_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(junk_text, children, max_size=4)
    ),
    max_leaves=12,
)


def _parse_all(channel: str, data: bytes) -> list[object]:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{SUFFIX.get(channel, '.jsonl')}"
        path.write_bytes(data)
        items = list(get_adapter(channel).parse(path))
    for item in items:
        assert isinstance(item, Fragment | Quarantined)
    return items


@given(st.sampled_from(sorted(ADAPTERS)), st.binary(max_size=2000))
def test_random_bytes(channel: str, data: bytes) -> None:
    _parse_all(channel, data)


@given(st.sampled_from(sorted(ADAPTERS)), st.lists(json_value, max_size=5), st.integers(0, 50))
def test_json_lines_of_anything_truncated(channel: str, values: list[object], cut: int) -> None:
    lines = [json.dumps(v) for v in values]
    if lines:
        lines[-1] = lines[-1][: max(len(lines[-1]) - cut, 0)]  # a truncated last line
    _parse_all(channel, "\n".join(lines).encode())


@given(st.sampled_from(sorted(ADAPTERS)), st.integers(100_000, 300_000))
def test_deeply_nested_json(channel: str, depth: int) -> None:
    """Nesting past the decoders' recursion limit is a quarantined line, and the next line
    is still read."""
    deep = '{"MessageSid": "S1", "From": "+14155550123", "x": ' + "[" * depth + "]" * depth + "}"
    items = _parse_all(channel, (deep + "\n" + json.dumps({"MessageSid": "S2"})).encode())
    if channel not in SUFFIX:  # a JSON Lines adapter
        first, *rest = items
        assert isinstance(first, Quarantined)
        assert first.reason == "invalid JSON: nested too deeply"
        # the next line was read: an item of its own, or (a record about no one) nothing
        assert all(item.raw_ref.endswith(":2") for item in rest)  # type: ignore[union-attr]
        if channel == "sms":  # a webhook without a sender: quarantined in its turn
            assert len(rest) == 1


def test_deeply_nested_mime_parts() -> None:
    """A message whose multipart parts nest past the standard library parser's recursion is
    quarantined; the mailbox's next message is still read."""
    depth = 5_000
    nested = "From: Jane <jane@x.com>\nContent-Type: multipart/mixed; boundary=b0\n\n"
    for i in range(1, depth):
        nested += f"--b{i - 1}\nContent-Type: multipart/mixed; boundary=b{i}\n\n"
    nested += f"--b{depth - 1}\nContent-Type: text/plain\n\nhello\n"
    plain = "From: Joe <joe@x.com>\nSubject: hi\n\nhello\n"
    items = _parse_all("email", f"From a\n{nested}\nFrom b\n{plain}".encode())
    assert [type(i) for i in items] == [Quarantined, Fragment]
    assert "nested too deeply" in items[0].reason  # type: ignore[attr-defined]


@given(st.sampled_from(sorted(ADAPTERS)), huge)
def test_huge_fields(channel: str, value: str) -> None:
    record = {
        "MessageSid": "S",
        "From": value,
        "Body": value,
        "visitor": {"name": value},
        "username": value,
        "id": value,
        "text": value,
    }
    _parse_all(channel, (json.dumps(record) + "\n").encode())
    _parse_all(channel, f"Record ID,Email,Phone\n1,{value}@x.com,{value}\n".encode())


one_line = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=100)


@given(one_line, one_line)
def test_email_header_injection(name: str, address: str) -> None:
    # (line breaks inside a header line are covered by test_random_bytes: no crash)
    header = (
        f"From: {name} <{address}>\r\nBcc: victim@x.com\r\n"
        f"Reply-To: =?utf-8?q?{name}=0D=0ABcc:victim@x.com?= <a@b.io>"
    )
    message = f"From x Mon Jan  1 00:00:00 2024\n{header}\nSubject: s\n\nbody\n"
    for item in _parse_all("email", message.encode("utf-8", "surrogatepass")):
        if isinstance(item, Fragment):  # Bcc is never a sender
            assert "victim@x.com" not in {i.value for i in item.identifiers}


@pytest.mark.parametrize("channel", ["crm", "call"])
def test_a_csv_field_over_the_size_limit_is_a_quarantined_row(channel: str) -> None:
    header = "Record ID,First Name,Last Name,Email\n"
    rows = f"1,{'a' * 10_000_001},x,y@z.com\n2,Jo,Doe,jo@doe.com\n"
    items = _parse_all(channel, (header + rows).encode())
    reasons = [i.reason for i in items if isinstance(i, Quarantined)]
    assert any("field larger than field limit" in r for r in reasons)
    if channel == "crm":
        assert [i.source_id for i in items if isinstance(i, Fragment)] == ["2"]


fragment_like = st.fixed_dictionaries(
    {"channel": junk_text | st.integers(), "source_id": json_value},
    optional={
        "identifiers": json_value | st.lists(st.dictionaries(junk_text, json_value), max_size=3),
        "attributes": json_value,
        "rejects": json_value,
        "observed_at": json_value,
    },
)


@given(st.lists(fragment_like | json_value, min_size=1, max_size=4))
def test_a_fragments_file_of_anything(lines: list[object]) -> None:
    """`identilink resolve` reads fragments files: each line is a fragment or the file is
    refused with an InputFileError naming the line, never another exception."""
    from identilink.errors import InputFileError
    from identilink.fragments import read_fragments

    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "fragments.jsonl"
        path.write_text("\n".join(json.dumps(v) for v in lines) + "\n")
        read: list[Fragment] = []
        refused: str | None = None
        try:
            read = list(read_fragments(path))
        except InputFileError as exc:
            refused = str(exc)
        assert refused is None or "not a fragment" in refused
        for f in read:  # what was read is typed as a fragment says
            assert isinstance(f.observed_at, str | None)
            assert all(isinstance(v, str) for i in f.identifiers for v in attrs.astuple(i))
            assert all(isinstance(v, str) for r in f.rejects for v in attrs.astuple(r))


def _mutated(value: object, data: st.DataObject) -> object:
    """``value`` with any of its fields, at any depth, replaced by anything or removed."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            choice = data.draw(st.integers(0, 9))
            if choice == 0:
                out[key] = data.draw(json_value)
            elif choice > 1:
                out[key] = _mutated(item, data)
        return out
    if isinstance(value, list):
        return [_mutated(item, data) for item in value]
    return data.draw(json_value) if data.draw(st.integers(0, 9)) == 0 else value


@given(st.sampled_from(["sms", "twitter", "facebook", "webchat", "webchat_zendesk"]), st.data())
def test_native_records_with_fields_replaced(name: str, data: st.DataObject) -> None:
    """Real records of each channel with fields of the wrong type or missing, at any depth
    (a page's ``includes.users`` a number, a visitor a list): fragments or quarantine."""
    line = data.draw(st.sampled_from(native_records()[name]))
    mutated = _mutated(json.loads(line), data)
    _parse_all(name.split("_")[0], json.dumps(mutated).encode())
