from __future__ import annotations

from identilink.extract import find_emails, find_names, find_phones, strip_quoted


def test_emails_and_phones_in_text() -> None:
    text = "Hi, this is Jane Doe. Call (415) 270-4859 or +44 20 7946 0958; mail jane.doe@gmail.com."
    assert list(find_emails(text)) == ["jane.doe@gmail.com"]
    assert list(find_phones(text)) == ["+14152704859", "+442079460958"]
    assert list(find_names(text)) == ["Jane Doe"]


def test_mentions_are_not_identifiers() -> None:
    text = "thanks @shopco and @helpdesk! order 12345 arrived"
    assert list(find_emails(text)) == []
    assert list(find_phones(text)) == []


def test_invalid_candidates_are_skipped() -> None:
    assert list(find_emails("write to a@b or x@@y.com or jane@localhost")) == []
    assert list(find_phones("call 555-0000 now")) == []


def test_quoted_replies_are_removed() -> None:
    body = "Thanks!\n> old text\nOn Mon, 1 Jan 2024 at 09:00, Bob <bob@x.com> wrote:\nbob@x.com"
    assert strip_quoted(body) == "Thanks!"
