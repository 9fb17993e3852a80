"""CRM contact exports (CSV or Parquet), HubSpot and Salesforce column names recognised.

Other column spellings fall back to identilink's role inference (``given_name``, ``zip``, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from identilink._io import read_table
from identilink.adapters.base import BaseAdapter, csv_rows
from identilink.errors import InputFileError
from identilink.fragments import Fragment, Quarantined
from identilink.roles import infer_id_column, infer_roles

__all__ = ["CrmAdapter"]

# field -> column names, HubSpot first, then Salesforce (Contact and Lead), then generic
_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Record ID", "Contact ID", "Id", "ContactId", "LeadId"),
    "first_name": ("First Name", "FirstName"),
    "last_name": ("Last Name", "LastName"),
    "full_name": ("Name", "Full Name"),
    "email": ("Email", "Email Address"),
    "more_emails": ("Additional email addresses", "Secondary Email", "Other Email"),
    "phone": ("Phone Number", "Phone", "Work Phone"),
    "mobile": ("Mobile Phone Number", "MobilePhone", "Mobile Phone"),
    "street": ("Street Address", "MailingStreet", "Street", "Address"),
    "city": ("City", "MailingCity"),
    "state": ("State/Region", "MailingState", "State"),
    "postcode": ("Postal Code", "Zip", "MailingPostalCode", "PostalCode"),
    "country": ("Country/Region", "MailingCountry", "Country"),
    "dob": ("Date of birth", "Birthdate", "Date of Birth"),
    "twitter": ("Twitter Username", "Twitter Handle", "twitter"),
    "observed_at": ("Last Modified Date", "LastModifiedDate", "Create Date", "CreatedDate"),
}
_ATTRIBUTE_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "city",
    "state",
    "postcode",
    "country",
    "dob",
)
_SIGNATURES = ({"Record ID", "First Name"}, {"FirstName", "LastName"}, {"Id", "Email"})


@lru_cache(maxsize=64)
def _mapping(columns: tuple[str, ...]) -> dict[str, str]:
    """field -> column for one header (computed once per distinct header)."""
    present = set(columns)
    mapping = {
        field: next(c for c in names if c in present)
        for field, names in _COLUMNS.items()
        if any(c in present for c in names)
    }
    frame = pd.DataFrame(columns=list(columns))
    id_column = mapping.get("id") or infer_id_column(list(columns))
    if id_column:
        mapping["id"] = id_column
    taken = set(mapping.values())
    for role, column in infer_roles(frame, id_column=id_column).items():
        if column not in taken and role not in mapping:
            mapping[role] = column
    return mapping


class CrmAdapter(BaseAdapter):
    """One fragment per contact row."""

    channel = "crm"
    extensions = (".csv", ".parquet", ".pq")

    def records(self, path: Path) -> Iterator[tuple[Any, str]]:
        if path.suffix.lower() in {".parquet", ".pq"}:
            try:
                frame = read_table(path)
            except InputFileError as exc:
                yield Quarantined(self.channel, str(path), str(exc)), str(path)
                return
            for n, row in enumerate(frame.to_dict("records"), start=1):
                yield row, f"{path}#{n}"
            return
        yield from csv_rows(path, self.channel)

    def fragment(self, record: dict[str, Any], ref: str) -> Fragment | None:
        m = _mapping(tuple(record))
        source_id = record.get(m["id"]) if "id" in m else ref
        b = self.builder(source_id or ref)
        b.raw_ref = ref
        for field in _ATTRIBUTE_FIELDS:
            if field in m:
                b.attribute(field, record.get(m[field]))
        if "full_name" in m:
            b.name(record.get(m["full_name"]))
        if "email" in m:
            b.email(record.get(m["email"]), "crm")
        if "more_emails" in m:
            for address in str(record.get(m["more_emails"]) or "").split(";"):
                b.email(address, "crm")
        for field in ("phone", "mobile"):
            if field in m:
                b.phone(record.get(m[field]), field)
        if "twitter" in m:
            b.handle("twitter", record.get(m["twitter"]), "crm")
        if "observed_at" in m:
            value = record.get(m["observed_at"])
            b.observed_at = str(value) if value not in (None, "") else None
        return b.build()

    def sniff(self, path: Path, head: bytes, /) -> bool:
        if path.suffix.lower() in {".parquet", ".pq"}:
            return True
        first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
        columns = {c.strip().strip('"') for c in first.split(",")}
        return any(sig <= columns for sig in _SIGNATURES) or bool(
            {"email", "first_name", "last_name"} & {c.lower() for c in columns}
        )
