"""A seeded generator of multi-channel customer data with recorded ground truth.

People live in households (shared last name, address and sometimes a landline), have one to
three e-mail addresses and one or two mobiles, sometimes an employer's switchboard number
shared by hundreds, a Twitter account and a Facebook page-scoped id, nicknames, typos and old
addresses. Each person appears in a chosen mix of channels, and each channel is written in its
native format so the adapters read it as they would read production data:

====================  ==========================================================
``crm.csv``           HubSpot-style contact export
``email.mbox``        RFC 5322 messages (display names, signatures with phones)
``sms.jsonl``         Twilio inbound-message webhooks
``twitter.jsonl``     X API v2 pages: tweets with ``includes.users``
``facebook.jsonl``    Messenger webhook batches and User Profile responses
``webchat.jsonl``     transcripts in identilink's schema
``webchat_zendesk.jsonl``  transcripts in Zendesk Chat's export format
``calls.csv``         Asterisk ``Master.csv`` call detail records
``truth.csv``         fragment_id -> person_id
``identifiers.jsonl`` fragment_id -> the identifiers truly disclosed in it
====================  ==========================================================

Same seed, same files, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import itertools
import json
import random
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

import attrs

from identilink.normalize.names import VARIANTS

__all__ = ["CHANNEL_FILES", "NAME_POOLS", "GeneratedSet", "generate"]

#: The channel files :func:`generate` writes (beside them: the truth files).
CHANNEL_FILES = (
    "crm.csv",
    "email.mbox",
    "sms.jsonl",
    "twitter.jsonl",
    "facebook.jsonl",
    "webchat.jsonl",
    "webchat_zendesk.jsonl",
    "calls.csv",
)

NamePool = Literal["census", "small"]
#: ``census``: names drawn with US Census 1990 frequencies (10,000 surnames, 1,000 given names
#: of each sex): two random people share a full name with probability ~5e-6, about as in the
#: US population. ``small``: 200 given names x 250 surnames drawn uniformly (2e-5, four times
#: as often: the pool of the first releases, kept to reproduce their figures).
NAME_POOLS: tuple[NamePool, ...] = ("census", "small")

_FIRST = (
    "james mary robert patricia john jennifer michael linda david elizabeth william barbara "
    "richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy "
    "matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily andrew "
    "donna joshua michelle kenneth carol kevin amanda brian melissa george deborah timothy "
    "stephanie ronald rebecca edward sharon jason laura jeffrey cynthia ryan kathleen jacob amy "
    "gary angela nicholas shirley eric anna jonathan brenda stephen pamela larry emma justin "
    "nicole scott helen brandon samantha benjamin katherine samuel christine gregory debra "
    "alexander rachel frank carolyn patrick janet raymond catherine jack maria dennis heather "
    "jerry diane tyler ruth aaron julie jose olivia adam joyce nathan virginia henry victoria "
    "douglas kelly zachary lauren peter christina kyle joan ethan evelyn walter judith noah "
    "megan jeremy andrea christian cheryl keith hannah roger jacqueline terry martha gerald "
    "gloria harold teresa sean ann austin sara carl madison arthur frances lawrence kathryn "
    "dylan janice jesse jean jordan abigail bryan alice billy julia joe judy bruce sophia "
    "gabriel grace logan denise albert amber willie doris alan marilyn juan danielle wayne "
    "beverly elijah isabella randy theresa roy diana vincent natalie ralph brittany eugene "
    "charlotte russell marie bobby kayla mason alexis philip lori louis priya wei mohammed "
    "fatima hiroshi yuki olga ivan chidi amara lars ingrid"
).split()
_LAST = (
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez "
    "gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white "
    "harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres "
    "nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter roberts "
    "gomez phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales "
    "murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos "
    "kim cox ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes "
    "price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins perry "
    "russell sullivan bell coleman butler henderson barnes gonzales fisher vasquez simmons "
    "romero jordan patterson alexander hamilton graham reynolds griffin wallace moreno west "
    "cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford castro "
    "marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry "
    "chen freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez "
    "silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd "
    "rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols "
    "stephens soto weaver ryan gardner payne grant dunn kowalczyk oconnor fitzgerald nakamura "
    "okafor lindqvist abernathy zielinski okonkwo takahashi rasmussen villanueva"
).split()
_NICKNAMES = {name: variants[0] for name, variants in VARIANTS.items()}
_STREETS = (
    "oak maple cedar pine elm washington lake hill park river spring church main highland "
    "sunset forest willow meadow ridge valley mill cherry walnut chestnut franklin lincoln"
).split()
_STREET_TYPES = ("Street", "Avenue", "Road", "Drive", "Lane", "Court", "Place")
_CITIES = (
    ("Springfield", "IL", "62701"),
    ("Riverton", "WY", "82501"),
    ("Fairview", "TN", "37062"),
    ("Greenville", "SC", "29601"),
    ("Madison", "WI", "53703"),
    ("Georgetown", "TX", "78626"),
    ("Salem", "OR", "97301"),
    ("Franklin", "MA", "02038"),
    ("Clinton", "NY", "13323"),
    ("Arlington", "VA", "22201"),
    ("Ashland", "KY", "41101"),
    ("Dover", "DE", "19901"),
)
_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com")
_AREA_CODES = (
    "201 202 203 205 206 207 208 210 212 213 214 215 216 217 218 219 224 225 228 229 231 234 "
    "239 240 248 251 252 253 254 256 260 262 267 269 270 276 281 301 302 303 304 305 307 308 "
    "309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 334 336 337 339 347 352 360 "
    "361 386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 419 423 424 425 432 434 "
    "435 440 443 469 478 479 480 484 501 502 503 504 505 507 508 509 510 512 513 515 516 517 "
    "518 520 530 540 541 551 559 561 562 563 570 571 573 574 575 580 585 586 601 602 603 605 "
    "606 607 608 609 610 612 614 615 616 617 618 619 620 623 626 630 631 636 641 646 650 651 "
    "660 661 662 678 682 701 702 703 704 706 707 708 712 713 714 715 716 717 718 719 720 724 "
    "727 731 732 734 740 754 757 760 763 765 770 772 773 774 775 781 785 786 801 802 803 804"
).split()
_COMPANIES = ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne")
_PLACEHOLDER_PHONES = ("000-000-0000", "(555) 555-5555", "123-456-7890", "999-999-9999")
_PLACEHOLDER_EMAILS = ("test@test.com", "noreply@example.com", "none@none.com", "na@na.com")
_SMS_TEXTS = (
    "Hi, is my order on its way?",
    "Can I change my delivery address?",
    "STOP",
    "Thanks!",
    "When does the store open tomorrow?",
    "My package arrived damaged",
)
_TWEETS = (
    "Loving the new collection @shopco!",
    "@shopco my order is late again, any update?",
    "Great service today, thanks @shopco and @helpdesk",
    "Anyone else waiting on a refund from @shopco?",
)
_FB_TEXTS = (
    "Hello, I have a question about my order",
    "Do you ship to Canada?",
    "My discount code does not work",
    "Thanks for the quick reply!",
)
_BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@attrs.define
class _Person:
    pid: int
    first: str
    last: str
    dob: dt.date
    address: tuple[str, str, str, str]
    old_address: tuple[str, str, str, str] | None
    emails: list[str]
    mobiles: list[str]
    landline: str | None
    work_phone: str | None
    handle: str
    twitter_id: str
    psid: str


@attrs.frozen
class GeneratedSet:
    """Where the files are and how much was written."""

    directory: Path
    people: int
    fragments: int
    by_channel: dict[str, int]


@functools.cache
def _census() -> dict[str, tuple[list[str], list[int]]]:
    """kind -> (names, cumulative weights) from the packaged census table."""
    rows: dict[str, list[tuple[str, int]]] = {"first": [], "last": []}
    with gzip.open(Path(__file__).with_name("census_names.tsv.gz"), "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            kind, name, weight = line.rstrip("\n").split("\t")
            rows[kind].append((name, int(weight)))
    return {
        kind: ([n for n, _ in pairs], list(itertools.accumulate(w for _, w in pairs)))
        for kind, pairs in rows.items()
    }


class _Gen:
    def __init__(self, seed: int, names: NamePool = "census") -> None:
        if names not in NAME_POOLS:
            raise ValueError(f"names must be one of {', '.join(NAME_POOLS)}, not {names!r}")
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        self.serial = 0
        self.names = names

    def name(self, kind: Literal["first", "last"]) -> str:
        if self.names == "small":
            return self.rng.choice(_FIRST if kind == "first" else _LAST)
        pool, cumulative = _census()[kind]
        return self.rng.choices(pool, cum_weights=cumulative)[0]

    def unique(self, base: str) -> str:
        value, n = base, 1
        while value in self.used:
            n += 1
            value = f"{base}{n}"
        self.used.add(value)
        return value

    def unique_email(self, local: str, domain: str) -> str:
        value, n = f"{local}@{domain}", 1
        while value in self.used:
            n += 1
            value = f"{local}{n}@{domain}"
        self.used.add(value)
        return value

    def phone_digits(self) -> str:
        r = self.rng
        while True:
            exchange = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
            if exchange[1:] == "11" or exchange == "555":
                continue
            number = f"{r.choice(_AREA_CODES)}{exchange}{r.randint(0, 9999):04d}"
            if number not in self.used:
                self.used.add(number)
                return number

    def typo(self, text: str) -> str:
        if len(text) < 4:
            return text
        r = self.rng
        i = r.randrange(1, len(text) - 1)
        op = r.randrange(4)
        return _edit(text, i, op, r.choice(_TYPO_LETTERS) if op == 3 else "")

    def address(self) -> tuple[str, str, str, str]:
        r = self.rng
        city, state, zipcode = r.choice(_CITIES)
        street = f"{r.randint(1, 9999)} {r.choice(_STREETS).title()} {r.choice(_STREET_TYPES)}"
        return street, city, state, zipcode

    def when(self) -> dt.datetime:
        return _BASE_TIME + dt.timedelta(seconds=self.rng.randint(0, 365 * 24 * 3600))

    def next_id(self) -> int:
        self.serial += 1
        return self.serial


_TYPO_LETTERS = "aeiourstln"


def _edit(text: str, i: int, op: int, letter: str) -> str:
    """One typing slip at position ``i``: swap with the next character (0), drop (1),
    double (2) or replace by ``letter`` (3)."""
    if op == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if op == 1:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + text[i] + text[i:]
    return text[:i] + letter + text[i + 1 :]


def _fmt_phone(digits: str, rng: random.Random) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice((f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}", f"{a}.{b}.{c}"))


def _e164(digits: str) -> str:
    return f"+1{digits}"


def _people(g: _Gen, n: int) -> list[_Person]:
    r = g.rng
    people: list[_Person] = []
    switchboards = [g.phone_digits() for _ in _COMPANIES]
    while len(people) < n:
        size = r.choices((1, 2, 3, 4), weights=(40, 30, 18, 12))[0]
        last = g.name("last")
        address = g.address()
        landline = g.phone_digits() if r.random() < 0.35 else None
        for _ in range(min(size, n - len(people))):
            first = g.name("first")
            pid = len(people)
            year = r.randint(1945, 2005)
            emails = []
            for k in range(r.choices((1, 2, 3), weights=(55, 35, 10))[0]):
                style = r.randrange(3)
                local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{year % 100}")[style]
                domain = r.choice(_DOMAINS) if k == 0 else f"{r.choice(_COMPANIES)}.com"
                emails.append(g.unique_email(local, domain))
            mobiles = [g.phone_digits() for _ in range(r.choices((1, 2), weights=(80, 20))[0])]
            work = r.choice(switchboards) if r.random() < 0.08 else None
            people.append(
                _Person(
                    pid=pid,
                    first=first,
                    last=last,
                    dob=dt.date(year, r.randint(1, 12), r.randint(1, 28)),
                    address=address,
                    old_address=g.address() if r.random() < 0.2 else None,
                    emails=emails,
                    mobiles=mobiles,
                    landline=landline,
                    work_phone=work,
                    handle=g.unique(f"{first}{last[: r.randint(1, len(last))]}"),
                    twitter_id=str(10**15 + g.next_id() * 7919),
                    psid=str(6 * 10**15 + g.next_id() * 104729),
                )
            )
    return people


def _display_first(g: _Gen, p: _Person) -> str:
    r = g.rng.random()
    if r < 0.1 and p.first in _NICKNAMES:
        return _NICKNAMES[p.first]
    if r < 0.15:
        return g.typo(p.first)
    return p.first


class _Writers:
    """One open file per channel, plus truth; counts fragments per channel."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.files: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.truth = (directory / "truth.csv").open("w", newline="", encoding="utf-8")
        self.truth.write("fragment_id,person_id\n")
        self.ids = (directory / "identifiers.jsonl").open("w", encoding="utf-8")

    def file(self, name: str) -> Any:
        if name not in self.files:
            newline = "" if name.endswith(".csv") else None
            self.files[name] = (self.dir / name).open("w", encoding="utf-8", newline=newline)
        return self.files[name]

    def record(self, fragment_id: str, person: int, identifiers: list[str]) -> None:
        channel = fragment_id.split(":", 1)[0]
        self.counts[channel] = self.counts.get(channel, 0) + 1
        self.truth.write(f"{fragment_id},{person}\n")
        self.ids.write(json.dumps({"fragment_id": fragment_id, "identifiers": identifiers}) + "\n")

    def close(self) -> None:
        for f in [*self.files.values(), self.truth, self.ids]:
            f.close()


def _crm(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    columns = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Additional email addresses",
        "Phone Number",
        "Mobile Phone Number",
        "Street Address",
        "City",
        "State/Region",
        "Postal Code",
        "Date of birth",
        "Twitter Username",
        "Last Modified Date",
    ]
    writer = csv.writer(w.file("crm.csv"))
    writer.writerow(columns)
    for p in people:
        for copy in range(r.choices((0, 1, 2), weights=(15, 70, 15))[0]):
            rid = str(100000 + g.next_id())
            ids: list[str] = []
            email = p.emails[0] if r.random() < 0.9 else ""
            if email and r.random() < 0.03:
                email = r.choice(_PLACEHOLDER_EMAILS)
            elif email:
                ids.append(f"email:{email.lower()}")
            additional = p.emails[1:] if r.random() < 0.6 else []
            ids += [f"email:{e.lower()}" for e in additional]
            phone = ""
            if p.work_phone and r.random() < 0.6:
                phone = _fmt_phone(p.work_phone, r)  # the employer's switchboard: shared
                ids.append(f"phone:{_e164(p.work_phone)}")
            elif p.landline and r.random() < 0.5:
                phone = _fmt_phone(p.landline, r)
                ids.append(f"phone:{_e164(p.landline)}")
            elif len(p.mobiles) > 1 and r.random() < 0.6:
                phone = _fmt_phone(p.mobiles[1], r)
                ids.append(f"phone:{_e164(p.mobiles[1])}")
            elif r.random() < 0.04:
                phone = r.choice(_PLACEHOLDER_PHONES)
            mobile = ""
            if r.random() < 0.85:
                mobile = _fmt_phone(p.mobiles[0], r)
                ids.append(f"phone:{_e164(p.mobiles[0])}")
            address = p.old_address if (copy == 0 and p.old_address) else p.address
            twitter = ""
            if r.random() < 0.15:
                twitter = "@" + p.handle
                ids.append(f"handle:twitter:{p.handle.lower()}")
            first = _display_first(g, p) if r.random() < 0.3 else p.first
            last = g.typo(p.last) if r.random() < 0.05 else p.last
            writer.writerow(
                [
                    rid,
                    first.title(),
                    last.title(),
                    email.upper() if email and r.random() < 0.1 else email,
                    ";".join(additional),
                    phone,
                    mobile,
                    address[0],
                    address[1],
                    address[2],
                    address[3],
                    p.dob.strftime("%m/%d/%Y") if r.random() < 0.6 else "",
                    twitter,
                    g.when().strftime("%Y-%m-%d %H:%M"),
                ]
            )
            w.record(f"crm:{rid}", p.pid, ids)


def _emails(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    out = w.file("email.mbox")
    for p in people:
        for _ in range(r.choices((0, 1, 2, 4), weights=(35, 35, 20, 10))[0]):
            address = r.choice(p.emails)
            mid = f"{g.next_id()}.{r.randint(0, 10**9)}@mail.{address.split('@')[1]}"
            when = g.when()
            name = f"{_display_first(g, p).title()} {p.last.title()}"
            ids = [f"email:{address.lower()}"]
            body = r.choice(
                (
                    "Hello,\n\nI would like to ask about my recent order.\n",
                    "Hi team,\n\nPlease update my account details.\n",
                    "Good morning,\n\nI have not received my refund yet.\n",
                )
            )
            if r.random() < 0.4:
                number = r.choice(p.mobiles)
                body += f"\nThanks,\n{name}\n-- \n{name}\nMobile: {_fmt_phone(number, r)}\n"
                ids.append(f"phone:{_e164(number)}")
            else:
                body += f"\nThanks,\n{name.split()[0]}\n"
            if r.random() < 0.2:
                other = r.choice(people)
                body += (
                    f"\nOn Mon, 1 Jan 2024 at 09:00, Support <support@shopco.com> wrote:\n"
                    f"> Please contact {other.emails[0]} for details.\n"
                )
            out.write(
                f"From MAILER-DAEMON {format_datetime(when).replace(',', '')}\n"
                f"From: {name} <{address}>\n"
                f"To: Support <support@shopco.com>\n"
                f"Subject: Question about my order\n"
                f"Date: {format_datetime(when)}\n"
                f"Message-ID: <{mid}>\n"
                f"MIME-Version: 1.0\n"
                f"Content-Type: text/plain; charset=utf-8\n\n"
                + body.replace("\nFrom ", "\n>From ")
                + "\n"
            )
            w.record(f"email:{mid}", p.pid, ids)


def _sms(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    out = w.file("sms.jsonl")
    for p in people:
        for _ in range(r.choices((0, 1, 2, 3), weights=(40, 30, 20, 10))[0]):
            sid = f"SM{g.next_id():032x}"
            number = r.choice(p.mobiles)
            ids = [f"phone:{_e164(number)}"]
            body = r.choice(_SMS_TEXTS)
            if r.random() < 0.15:
                email = r.choice(p.emails)
                body = f"Hi this is {p.first.title()}, my email is {email}. {body}"
                ids.append(f"email:{email.lower()}")
            payload = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": "AC" + "0" * 32,
                "From": _e164(number),
                "To": "+12025550100",
                "Body": body,
                "NumMedia": "0",
                "FromCountry": "US",
                "FromState": p.address[2],
                "DateSent": g.when().isoformat(),
                "ApiVersion": "2010-04-01",
            }
            out.write(json.dumps(payload) + "\n")
            w.record(f"sms:{sid}", p.pid, ids)


def _twitter(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    out = w.file("twitter.jsonl")
    for p in people:
        if r.random() > 0.35:
            continue
        bio = r.choice(("Coffee lover.", "Dad, runner.", "Views my own.", ""))
        ids = [f"user_id:twitter:{p.twitter_id}", f"handle:twitter:{p.handle.lower()}"]
        if r.random() < 0.2:
            email = p.emails[0]
            bio += f" Contact: {email}"
            ids.append(f"email:{email.lower()}")
        user = {
            "id": p.twitter_id,
            "username": p.handle,
            "name": r.choice((f"{p.first.title()} {p.last.title()}", p.first.title())),
            "description": bio,
            "location": f"{p.address[1]}, {p.address[2]}",
        }
        for _ in range(r.randint(1, 3)):
            tid = str(17 * 10**17 + g.next_id())
            tweet = {
                "id": tid,
                "text": r.choice(_TWEETS),
                "author_id": p.twitter_id,
                "created_at": g.when().isoformat(),
            }
            out.write(json.dumps({"data": [tweet], "includes": {"users": [user]}}) + "\n")
            w.record(f"twitter:tweet-{tid}", p.pid, ids)


def _facebook(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    out = w.file("facebook.jsonl")
    for p in people:
        if r.random() > 0.3:
            continue
        psid = p.psid
        profile = {
            "id": psid,
            "first_name": _display_first(g, p).title(),
            "last_name": p.last.title(),
            "profile_pic": f"https://platform-lookaside.example/{psid}.jpg",
        }
        out.write(json.dumps(profile) + "\n")
        w.record(f"facebook:profile-{psid}", p.pid, [f"user_id:facebook:{psid}"])
        for _ in range(r.randint(1, 3)):
            mid = f"m_{g.next_id():020d}"
            text = r.choice(_FB_TEXTS)
            ids = [f"user_id:facebook:{psid}"]
            if r.random() < 0.35:
                if r.random() < 0.5:
                    number = r.choice(p.mobiles)
                    text += f" You can call me on {_fmt_phone(number, r)}"
                    ids.append(f"phone:{_e164(number)}")
                else:
                    email = r.choice(p.emails)
                    text += f" My email is {email}"
                    ids.append(f"email:{email.lower()}")
            ms = int(g.when().timestamp() * 1000)
            event = {
                "sender": {"id": psid},
                "recipient": {"id": "1234567890"},
                "timestamp": ms,
                "message": {"mid": mid, "text": text},
            }
            batch = {
                "object": "page",
                "entry": [{"id": "1234567890", "time": ms, "messaging": [event]}],
            }
            out.write(json.dumps(batch) + "\n")
            w.record(f"facebook:{mid}", p.pid, ids)


def _webchat(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    own = w.file("webchat.jsonl")
    zendesk = w.file("webchat_zendesk.jsonl")
    for p in people:
        for _ in range(r.choices((0, 1, 2), weights=(70, 22, 8))[0]):
            tid = f"chat-{g.next_id()}"
            name = f"{_display_first(g, p).title()} {p.last.title()}"
            email = r.choice(p.emails) if r.random() < 0.7 else ""
            phone = r.choice(p.mobiles) if r.random() < 0.3 else ""
            ids = ([f"email:{email.lower()}"] if email else []) + (
                [f"phone:{_e164(phone)}"] if phone else []
            )
            if not ids:  # an anonymous visitor who types nothing identifying is not a customer
                email = p.emails[0]
                ids = [f"email:{email.lower()}"]
            when = g.when().isoformat()
            text = "Hi, I need help with my order"
            if r.random() < 0.5:
                own.write(
                    json.dumps(
                        {
                            "transcript_id": tid,
                            "started_at": when,
                            "visitor": {
                                "id": f"v-{tid}",
                                "name": name,
                                "email": email,
                                "phone": _fmt_phone(phone, r) if phone else "",
                            },
                            "messages": [
                                {"from": "visitor", "text": text, "at": when},
                                {
                                    "from": "agent",
                                    "text": "Sure, contact help@shopco.com",
                                    "at": when,
                                },
                            ],
                        }
                    )
                    + "\n"
                )
            else:
                zendesk.write(
                    json.dumps(
                        {
                            "type": "chat",
                            "id": tid,
                            "timestamp": when,
                            "visitor": {
                                "id": f"v-{tid}",
                                "name": name,
                                "email": email,
                                "phone": phone,
                            },
                            "history": [
                                {
                                    "type": "chat.msg",
                                    "name": name,
                                    "msg": text,
                                    "sender_type": "Visitor",
                                },
                                {
                                    "type": "chat.msg",
                                    "name": "Agent",
                                    "msg": "Call 800-555-0199",
                                    "sender_type": "Agent",
                                },
                            ],
                        }
                    )
                    + "\n"
                )
            w.record(f"webchat:{tid}", p.pid, ids)


def _calls(g: _Gen, w: _Writers, people: list[_Person]) -> None:
    r = g.rng
    writer = csv.writer(w.file("calls.csv"))
    for p in people:
        for _ in range(r.choices((0, 1, 2, 3), weights=(45, 30, 15, 10))[0]):
            uid = f"{1700000000 + g.next_id()}.{r.randint(0, 999)}"
            number = p.landline if p.landline and r.random() < 0.3 else r.choice(p.mobiles)
            cnam = r.choice(
                (
                    f"{p.first.title()} {p.last.title()}",
                    "WIRELESS CALLER",
                    f"{p.last.upper()} {p.first.upper()[0]}",
                    "",
                )
            )
            start = g.when()
            duration = r.randint(10, 900)
            writer.writerow(
                [
                    "",
                    number,
                    "100",
                    "from-pstn",
                    f'"{cnam}" <{number}>' if cnam else f"<{number}>",
                    f"SIP/trunk-{r.randint(0, 9999):08x}",
                    f"SIP/agent{r.randint(1, 40)}-{r.randint(0, 9999):08x}",
                    "Dial",
                    "SIP/agent,30",
                    start.strftime("%Y-%m-%d %H:%M:%S"),
                    start.strftime("%Y-%m-%d %H:%M:%S"),
                    (start + dt.timedelta(seconds=duration)).strftime("%Y-%m-%d %H:%M:%S"),
                    str(duration + 5),
                    str(duration),
                    "ANSWERED",
                    "DOCUMENTATION",
                    uid,
                    "",
                ]
            )
            w.record(f"call:{uid}", p.pid, [f"phone:{_e164(number)}"])


def generate(
    directory: str | Path, /, *, people: int, seed: int = 0, names: NamePool = "census"
) -> GeneratedSet:
    """Write a multi-channel data set for ``people`` people into ``directory``.

    Roughly six fragments per person; the same ``seed`` and ``names`` (see
    :data:`NAME_POOLS`) write the same bytes.
    """
    if people < 1:
        raise ValueError("people must be at least 1")
    g = _Gen(seed, names)
    population = _people(g, people)
    writers = _Writers(Path(directory))
    try:
        for channel in (_crm, _emails, _sms, _twitter, _facebook, _webchat, _calls):
            channel(g, writers, population)
    finally:
        writers.close()
    return GeneratedSet(
        directory=Path(directory),
        people=people,
        fragments=sum(writers.counts.values()),
        by_channel=dict(writers.counts),
    )


def iter_truth(directory: str | Path) -> Iterator[tuple[str, int]]:
    """(fragment_id, person_id) rows of a generated set's ``truth.csv``."""
    with (Path(directory) / "truth.csv").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            fid, _, pid = line.rstrip("\n").rpartition(",")
            yield fid, int(pid)
