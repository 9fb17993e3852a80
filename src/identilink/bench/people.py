"""A seeded generator of person records with duplicates, scalable to tens of millions.

Each *person* has a first and last name, date of birth, e-mail, phone and address. Records are
the people once each plus ``duplicate_rate`` of the total as extra copies of random people,
each copy with the damage years of data entry leave: typos, nicknames, swapped date digits,
missing or re-cased e-mails, reformatted or missing phones, moved house. Attributes are drawn
in bulk with numpy; only the damaged copies go through a Python loop.

    frame = generate_people(1_000_000, seed=1)
    truth = frame.pop("person_id")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from identilink.bench.multichannel import (
    _AREA_CODES,
    _FIRST,
    _LAST,
    _NICKNAMES,
    _TYPO_LETTERS,
    _edit,
)

__all__ = ["generate_people"]

_PREFIXES = (
    "ab al an ar ash bar bel ber bran brook cal car chad clay cor dal dar dun el fair far fen "
    "gar glen gold grey hal har hart haw hol kings lang lin mar mer mill mor nor oak pem "
    "ran red ros sal shel stan sum thorn wal war wes whit win wood yar"
).split()
_SUFFIXES = (
    "by combe croft dale den don field ford gate ham hurst ington land ley low man mont more "
    "ner ridge row shaw son stead stock ton well wick win worth"
).split()
_STREETS = (
    "oak maple cedar pine elm washington lake hill park river spring church main highland "
    "sunset forest willow meadow ridge valley mill cherry walnut chestnut franklin lincoln "
    "jackson adams madison jefferson grant center north south east west"
).split()
_TYPES = ("st", "ave", "rd", "dr", "ln", "ct", "pl", "way")
_NONE = np.array(None, dtype=object)
_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com")


def _surnames() -> np.ndarray:
    made = [p + s for p in _PREFIXES for s in _SUFFIXES]
    return np.array(sorted(set(_LAST) | set(made)), dtype=object)


def _zipf_weights(n: int, a: float = 0.9) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** a
    out: np.ndarray = w / w.sum()
    return out


def _typo(text: str, rng: np.random.Generator) -> str:
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text) - 1))
    op = int(rng.integers(4))
    letter = _TYPO_LETTERS[int(rng.integers(len(_TYPO_LETTERS)))] if op == 3 else ""
    return _edit(text, i, op, letter)


def generate_people(records: int, /, *, duplicate_rate: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """``records`` rows: ``record_id``, names, ``dob``, ``email``, ``phone``, address, and the
    truth in ``person_id``. Same arguments, same frame."""
    if records < 1:
        raise ValueError("records must be at least 1")
    if not 0 <= duplicate_rate < 1:
        raise ValueError("duplicate_rate must be in [0, 1)")
    rng = np.random.default_rng(seed)
    people = max(1, round(records * (1 - duplicate_rate)))
    first_pool = np.array(_FIRST, dtype=object)
    last_pool = _surnames()
    first = first_pool[rng.choice(len(first_pool), people, p=_zipf_weights(len(first_pool)))]
    last = last_pool[rng.choice(len(last_pool), people, p=_zipf_weights(len(last_pool), 0.7))]
    born = np.datetime64("1940-01-01") + rng.integers(0, 65 * 365, people).astype("timedelta64[D]")
    dob = np.datetime_as_string(born, unit="D").astype(object)
    year2 = pd.Series(dob).str[2:4].to_numpy(dtype=object)
    style = rng.integers(0, 3, people)
    local = np.where(
        style == 0,
        first + "." + last,
        np.where(style == 1, pd.Series(first).str[0].to_numpy(dtype=object) + last, first + year2),
    )
    serial = rng.integers(0, 1000, people).astype(str).astype(object)
    local = np.where(rng.random(people) < 0.5, local + serial, local)
    email = local + "@" + np.array(_DOMAINS, dtype=object)[rng.integers(0, len(_DOMAINS), people)]
    taken = pd.Series(email).duplicated().to_numpy()  # an address belongs to one person
    email[taken] = (
        pd.Series(local[taken]) + "." + pd.Series(np.flatnonzero(taken)).astype(str) + "@mail.com"
    ).to_numpy(dtype=object)
    area = np.array(_AREA_CODES, dtype=np.int64)[rng.integers(0, len(_AREA_CODES), people)]
    line = rng.integers(2_000_000, 9_999_999, people)
    line = np.where((line // 10_000) % 100 == 11, line + 10_000, line)  # no N11 exchanges
    phone = (area * 10_000_000 + line).astype(str).astype(object)
    postcodes = rng.integers(1000, 99999, 3000)
    zip_index = rng.choice(len(postcodes), people, p=_zipf_weights(len(postcodes), 0.5))
    postcode = np.char.zfill(postcodes[zip_index].astype(str), 5).astype(object)
    city = ("city" + pd.Series(zip_index % 900).astype(str)).to_numpy(dtype=object)
    street = (
        rng.integers(1, 9999, people).astype(str).astype(object)
        + " "
        + np.array(_STREETS, dtype=object)[rng.integers(0, len(_STREETS), people)]
        + " "
        + np.array(_TYPES, dtype=object)[rng.integers(0, len(_TYPES), people)]
    )
    base = pd.DataFrame(
        {
            "person_id": np.arange(people),
            "first_name": first,
            "last_name": last,
            "dob": dob,
            "email": np.where(rng.random(people) < 0.85, email, _NONE),
            "phone": np.where(rng.random(people) < 0.8, phone, _NONE),
            "street": street,
            "city": city,
            "postcode": postcode,
        }
    )
    extra = records - people
    copies = base.iloc[rng.integers(0, people, extra)].copy() if extra > 0 else base.iloc[:0]
    copies = _damage(copies, rng)
    frame = pd.concat([base, copies], ignore_index=True)
    order = rng.permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "record_id", np.arange(len(frame)))
    return frame


def _damage(copies: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Typos, nicknames, digit swaps, missing and reformatted values on the copies."""
    n = len(copies)
    if not n:
        return copies
    out = {c: copies[c].to_numpy(dtype=object).copy() for c in copies.columns}
    draws = rng.random((n, 9))
    for i in range(n):
        d = draws[i]
        if d[0] < 0.15:
            out["first_name"][i] = _typo(out["first_name"][i], rng)
        elif d[0] < 0.25:
            out["first_name"][i] = _NICKNAMES.get(out["first_name"][i], out["first_name"][i])
        if d[1] < 0.15:
            out["last_name"][i] = _typo(out["last_name"][i], rng)
        dob = out["dob"][i]
        if d[2] < 0.08 and isinstance(dob, str):
            out["dob"][i] = dob[:8] + dob[9] + dob[8] if dob[9] != dob[8] else dob
        elif d[2] < 0.12:
            out["dob"][i] = None
        email = out["email"][i]
        if isinstance(email, str):  # missing may read back as None or NaN
            if d[3] < 0.25:
                out["email"][i] = None
            elif d[3] < 0.35:
                out["email"][i] = email.upper()
            elif d[3] < 0.42:
                out["email"][i] = _typo(email, rng)
        phone = out["phone"][i]
        if isinstance(phone, str):
            if d[4] < 0.25:
                out["phone"][i] = None
            elif d[4] < 0.6:
                out["phone"][i] = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
        if d[5] < 0.2:  # moved house
            name = _STREETS[int(rng.integers(len(_STREETS)))]
            out["street"][i] = f"{int(rng.integers(1, 9999))} {name} st"
            if d[6] < 0.5:
                out["postcode"][i] = f"{int(rng.integers(1000, 99999)):05d}"
        elif d[5] < 0.3:
            out["street"][i] = _typo(out["street"][i], rng)
        if d[7] < 0.05:
            out["postcode"][i] = None
        if d[8] < 0.05:
            out["city"][i] = None
    return pd.DataFrame(out, index=copies.index)
