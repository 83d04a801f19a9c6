"""SOQL the tap sends: the incremental query, its COUNT(), and filter validation."""

from __future__ import annotations

from dataclasses import dataclass

from tap_salesforce_custom.sf_types import soql_datetime


@dataclass(frozen=True)
class QuerySpec:
    """What one stream reads: object, columns, bookmark and the user's filter."""

    sobject: str
    fields: tuple[str, ...]
    replication_key: str | None = None
    start: str | None = None
    """Inclusive lower bound on the replication key (a bookmark or start_date)."""
    filter: str | None = None
    until: str | None = None
    """Inclusive upper bound on the replication key (a refresh pass: rows the run's
    incremental pass did not read)."""
    after_id: str | None = None
    """With ``start``: rows at ``start`` only above this Id (a keyset on (key, Id); see
    :mod:`tap_salesforce_custom.boundary`)."""

    def where(self) -> str:
        parts = []
        rk = self.replication_key
        if rk and self.start and self.after_id:
            t = soql_datetime(self.start)
            parts.append(f"({rk} > {t} OR ({rk} = {t} AND Id > {id_literal(self.after_id)}))")
        elif rk and self.start:
            parts.append(f"{rk} >= {soql_datetime(self.start)}")
        if self.replication_key and self.until:
            parts.append(f"{self.replication_key} <= {soql_datetime(self.until)}")
        if self.filter:
            parts.append(f"({self.filter})")
        return f" WHERE {' AND '.join(parts)}" if parts else ""

    def select(self) -> str:
        """Rows in replication-key order, Id breaking ties, so bookmarks resume exactly."""
        order = f" ORDER BY {self.replication_key} ASC, Id ASC" if self.replication_key else ""
        return f"SELECT {', '.join(self.fields)} FROM {self.sobject}{self.where()}{order}"

    def count(self) -> str:
        return f"SELECT COUNT() FROM {self.sobject}{self.where()}"


def id_literal(value: str) -> str:
    """A record Id as a quoted SOQL literal (ids are ASCII letters and digits only)."""
    if not (value.isascii() and value.isalnum()):
        raise ValueError(f"{value!r} is not a Salesforce record id")
    return f"'{value}'"


def validation_query(sobject: str, where: str) -> str:
    """A 1-row query that makes Salesforce parse and check a user's filter."""
    return f"SELECT Id FROM {sobject} WHERE ({where}) LIMIT 1"
