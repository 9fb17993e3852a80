"""Each adapter on small records in its channel's native format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from identilink.adapters import ADAPTERS, ChannelAdapter, detect_channel, get_adapter, ingest
from identilink.errors import ConfigurationError
from identilink.fragments import Fragment, Quarantined


def _ids(fragment: Fragment) -> set[str]:
    return {f"{i.kind}:{i.value}" for i in fragment.identifiers if not i.blocked}


def _one(channel: str, path: Path) -> Fragment:
    items = list(get_adapter(channel).parse(path))
    assert len(items) == 1, items
    assert isinstance(items[0], Fragment)
    return items[0]


def test_every_adapter_meets_the_protocol() -> None:
    for name in ADAPTERS:
        assert isinstance(get_adapter(name), ChannelAdapter)
    with pytest.raises(ConfigurationError, match="unknown channel"):
        get_adapter("carrier-pigeon")


def test_crm_hubspot_export(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Record ID,First Name,Last Name,Email,Additional email addresses,Phone Number,"
        "Mobile Phone Number,City,Postal Code,Date of birth,Twitter Username\n"
        "501,Jane,Doe,Jane.Doe@Gmail.com,jd@acme.com;bad@@x,000-000-0000,(415) 270-4859,"
        "Salem,97301,03/04/1980,@JaneD\n"
    )
    f = _one("crm", path)
    assert f.fragment_id == "crm:501"
    assert _ids(f) == {
        "email:jane.doe@gmail.com",
        "email:jd@acme.com",
        "phone:+14152704859",
        "handle:twitter:janed",
    }
    assert [i.blocked for i in f.identifiers if i.kind == "phone"] == ["repeated digits", ""]
    assert f.attributes["dob"] == "1980-03-04"
    assert f.attributes["first_name"] == "jane"
    assert [(r.field, r.raw) for r in f.rejects] == [("email", "bad@@x")]


def test_crm_salesforce_names(tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    path.write_text("Id,FirstName,LastName,Email,MobilePhone\n003A,Bob,Ray,bob@ray.io,4152704859\n")
    f = _one("crm", path)
    assert f.fragment_id == "crm:003A"
    assert _ids(f) == {"email:bob@ray.io", "phone:+14152704859"}


EML = (
    "From: =?utf-8?q?Ren=C3=A9e_Doe?= <renee@example.net>\n"
    "Reply-To: Renee Doe <renee.doe@gmail.com>\n"
    "To: support@shop.com\n"
    "Subject: order\n"
    "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
    "Message-ID: <abc@mail.gmail.com>\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Hello, please call me.\n"
    "-- \nRenee Doe\nMobile: (415) 270-4859\n"
    "On Sun, 31 Dec 2023, Bob <bob@x.com> wrote:\n> mail carol@y.com\n"
)


def test_email_eml(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_text(EML)
    f = _one("email", path)
    assert f.fragment_id == "email:abc@mail.gmail.com"
    # example.net is a placeholder domain: kept, blocked; quoted reply addresses ignored
    assert _ids(f) == {"email:renee.doe@gmail.com", "phone:+14152704859"}
    assert f.attributes["full_name"] == "renee doe"
    assert f.observed_at == "2024-01-01T10:00:00+00:00"


def test_email_mbox_and_injected_header(tmp_path: Path) -> None:
    injected = EML.replace(
        "Reply-To: Renee Doe <renee.doe@gmail.com>",
        "Reply-To: =?utf-8?q?x=0D=0ABcc:_evil@attacker.com?= <renee.doe@gmail.com>",
    )
    path = tmp_path / "box.mbox"
    path.write_text(
        f"From a@b Mon Jan  1 10:00:00 2024\n{EML}\nFrom a@b Mon Jan  1 10:00:00 2024\n{injected}\n"
    )
    items = list(get_adapter("email").parse(path))
    assert isinstance(items[0], Fragment)
    assert isinstance(items[1], Quarantined)
    assert "injected" in items[1].reason


def test_sms_twilio_jsonl_and_csv(tmp_path: Path) -> None:
    payload = {
        "MessageSid": "SM1",
        "From": "+14152704859",
        "To": "+12025550100",
        "Body": "Hi this is Jane Doe, jane@doe.io",
        "FromCountry": "US",
    }
    path = tmp_path / "sms.jsonl"
    path.write_text(json.dumps(payload) + "\n{truncated\n")
    items = list(get_adapter("sms").parse(path))
    f, q = items
    assert isinstance(f, Fragment)
    assert _ids(f) == {"phone:+14152704859", "email:jane@doe.io"}
    assert f.attributes["full_name"] == "jane doe"
    assert isinstance(q, Quarantined)
    assert q.raw_ref.endswith(":2")
    csv_path = tmp_path / "sms.csv"
    csv_path.write_text("MessageSid,From,To,Body\nSM2,(415) 270-4859,+12025550100,STOP\n")
    assert _ids(_one("sms", csv_path)) == {"phone:+14152704859"}


def test_twitter_page_with_mentions(tmp_path: Path) -> None:
    page = {
        "data": [{"id": "9", "text": "@shopco call me 415-270-4859", "author_id": "42"}],
        "includes": {
            "users": [
                {
                    "id": "42",
                    "username": "JaneD",
                    "name": "Jane Doe",
                    "description": "mail: jane@doe.io",
                    "location": "Salem, OR",
                }
            ]
        },
    }
    path = tmp_path / "tw.jsonl"
    path.write_text(json.dumps(page) + "\n")
    f = _one("twitter", path)
    assert f.fragment_id == "twitter:tweet-9"
    assert _ids(f) == {
        "user_id:twitter:42",
        "handle:twitter:janed",
        "email:jane@doe.io",
        "phone:+14152704859",
    }  # @shopco is a mention, not the author's handle
    assert (f.attributes["city"], f.attributes["state"]) == ("salem", "or")


@pytest.mark.parametrize(
    ("location", "city", "state"),
    [
        ("Portland, Oregon, USA", "portland", None),
        ("NYC", "nyc", None),
        ("Dover, DE", "dover", "de"),
    ],
)
def test_twitter_location_gives_a_state_only_as_a_two_letter_code(
    tmp_path: Path, location: str, city: str, state: str | None
) -> None:
    path = tmp_path / "tw.jsonl"
    path.write_text(json.dumps({"id": "42", "username": "jd", "location": location}) + "\n")
    f = _one("twitter", path)
    assert (f.attributes["city"], f.attributes.get("state")) == (city, state)


def test_facebook_webhook_and_profile(tmp_path: Path) -> None:
    event = {
        "sender": {"id": "77"},
        "recipient": {"id": "1"},
        "timestamp": 1704103200000,
        "message": {"mid": "m_1", "text": "my email is jane@doe.io"},
    }
    read = {
        "sender": {"id": "77"},
        "recipient": {"id": "1"},
        "timestamp": 1,
        "read": {"watermark": 1},
    }
    batch = {"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [event, read]}]}
    profile = {"id": "77", "first_name": "Jane", "last_name": "Doe", "profile_pic": "x"}
    path = tmp_path / "fb.jsonl"
    path.write_text(json.dumps(batch) + "\n" + json.dumps(profile) + "\n")
    message, prof = list(get_adapter("facebook").parse(path))
    assert _ids(message) == {"user_id:facebook:77", "email:jane@doe.io"}
    assert message.observed_at == "2024-01-01T10:00:00+00:00"
    assert prof.fragment_id == "facebook:profile-77"
    assert prof.attributes == {"first_name": "jane", "last_name": "doe"}


def test_webchat_both_formats(tmp_path: Path) -> None:
    own = {
        "transcript_id": "t1",
        "visitor": {"name": "Jane Doe", "email": "jane@doe.io"},
        "messages": [
            {"from": "visitor", "text": "call 415-270-4859"},
            {"from": "agent", "text": "or mail help@shop.com"},
        ],
    }
    zendesk = {
        "type": "chat",
        "id": "z1",
        "visitor": {"name": "Visitor 123", "phone": "4152704859"},
        "history": [{"type": "chat.msg", "msg": "hi", "sender_type": "Visitor"}],
    }
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps(own) + "\n" + json.dumps(zendesk) + "\n")
    a, b = list(get_adapter("webchat").parse(path))
    assert _ids(a) == {"email:jane@doe.io", "phone:+14152704859"}
    assert _ids(b) == {"phone:+14152704859"}
    assert "full_name" not in b.attributes  # "Visitor 123" is no name


def test_asterisk_cdr(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text(
        '"","4152704859","100","from-pstn","""Jane Doe"" <4152704859>","SIP/a","SIP/b","Dial",'
        '"SIP/x,30","2024-01-01 10:00:00","2024-01-01 10:00:01","2024-01-01 10:05:00","300",'
        '"299","ANSWERED","DOCUMENTATION","1704103200.1",""\n'
        '"","2025550123","100","from-pstn","""WIRELESS CALLER"" <2025550123>","SIP/a","SIP/b",'
        '"Dial","","2024-01-01","","","1","1","ANSWERED","DOCUMENTATION","1704103200.2",""\n'
        '"short","row"\n'
        '"","2025550124","100","from-pstn","""DOE J"" <2025550124>","SIP/a","SIP/b",'
        '"Dial","","2024-01-01","","","1","1","ANSWERED","DOCUMENTATION","1704103200.3",""\n'
    )
    jane, wireless, short, directory = list(get_adapter("call").parse(path))
    assert jane.fragment_id == "call:1704103200.1"
    assert _ids(jane) == {"phone:+14152704859"}
    assert jane.attributes["full_name"] == "jane doe"
    assert "full_name" not in wireless.attributes
    assert isinstance(short, Quarantined)
    # a caller-id name in the directories' form, surname then initial
    assert (directory.attributes["first_name"], directory.attributes["last_name"]) == ("j", "doe")


def test_detection_and_ingest(tmp_path: Path) -> None:
    (tmp_path / "m.eml").write_text(EML)
    (tmp_path / "sms.jsonl").write_text('{"MessageSid": "S", "From": "+14152704859"}\n')
    (tmp_path / "x.txt").write_text("hello")
    assert detect_channel(tmp_path / "m.eml") == "email"
    assert detect_channel(tmp_path / "sms.jsonl") == "sms"
    with pytest.raises(ConfigurationError, match="pass --channel"):
        detect_channel(tmp_path / "x.txt")
    fragments, quarantined = ingest([tmp_path / "m.eml", tmp_path / "sms.jsonl"])
    assert [f.channel for f in fragments] == ["email", "sms"]
    assert quarantined == []


def test_ingest_pauses_the_collector_only_while_reading(tmp_path: Path) -> None:
    import gc

    (tmp_path / "sms.jsonl").write_text('{"MessageSid": "S", "From": "+14152704859"}\n')
    assert gc.isenabled()
    ingest([tmp_path / "sms.jsonl"])
    assert gc.isenabled()  # on again afterwards
    with pytest.raises(ConfigurationError):
        ingest([tmp_path / "sms.jsonl"], channel="carrier-pigeon")
    assert gc.isenabled()  # and after an error
    gc.disable()
    try:
        ingest([tmp_path / "sms.jsonl"])
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


def test_crm_parquet(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "contacts.parquet"
    pd.DataFrame(
        {"Id": ["003B"], "FirstName": ["Ann"], "LastName": ["Lee"], "Email": ["ann@lee.io"]}
    ).to_parquet(path)
    f = _one("crm", path)
    assert f.fragment_id == "crm:003B"
    assert _ids(f) == {"email:ann@lee.io"}
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    [item] = list(get_adapter("crm").parse(broken))
    assert isinstance(item, Quarantined)


def test_plugin_adapters_load_from_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    import identilink.adapters as registry

    class Ticket(registry.BaseAdapter):
        channel = "tickets"

    class EntryPoint:
        name = "tickets"

        def load(self) -> type:
            return Ticket

    monkeypatch.setattr(registry, "entry_points", lambda group: [EntryPoint()])
    assert "tickets" in registry.adapter_names()
    assert isinstance(registry.get_adapter("tickets"), Ticket)
    monkeypatch.setenv("IDENTILINK_NO_PLUGINS", "1")
    assert "tickets" not in registry.adapter_names()


def test_reading_fragments_stops_at_a_line_that_is_no_fragment(tmp_path: Path) -> None:
    from identilink.errors import InputFileError
    from identilink.fragments import read_fragments, write_fragments

    path = tmp_path / "fragments.jsonl"
    write_fragments([Fragment("sms", "s1")], path)
    with path.open("a") as f:
        f.write("[" * 200_000 + "]" * 200_000 + "\n")  # past any decoder's recursion
    read = read_fragments(path)
    assert next(read) == Fragment("sms", "s1")
    with pytest.raises(InputFileError, match=r":2: not a fragment: nested too deeply"):
        next(read)
    path.write_text('{"channel": "sms", "source_id": "1", "attributes": [1, 2]}\n')
    with pytest.raises(InputFileError, match=r":1: not a fragment: 'list' object"):
        list(read_fragments(path))


def test_an_email_with_an_unknown_charset_keeps_its_sender() -> None:
    """An encoded word naming no charset Python knows (here not even ASCII) is kept as
    written, and a body charset no codec can be is read as UTF-8: the sender is not lost."""
    message = (
        b"From: =?bo\xc2\x85gus?q?Jane?= <jane@example-mail.org>\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n"
        b'--b\nContent-Type: text/plain; charset="ut\\x00f"\n\ncall 415-270-4859\n--b--\n'
    )
    [fragment] = get_adapter("email").parse([message])
    assert isinstance(fragment, Fragment)
    assert fragment.values("email") == ["jane@example-mail.org"]
    assert fragment.values("phone") == ["+14152704859"]
