"""The parsed form of a SOSL search: the term tree and what to return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens in one field; each piece may hold ``*`` / ``?`` wildcards.

    A plain word is a phrase of one piece (``john@acme.com`` is three: john, acme, com).
    """

    pieces: tuple[str, ...]


@dataclass(frozen=True)
class And:
    parts: tuple[Term, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Term, ...]


@dataclass(frozen=True)
class Not:
    part: Term


Term = Phrase | And | Or | Not


@dataclass(frozen=True)
class Target:
    """One object of RETURNING: its field list (None: Id only) and its SOQL clause tail."""

    sobject: str
    fields: tuple[str, ...] | None = None
    tail: str = ""


@dataclass(frozen=True)
class Search:
    term: Term
    group: str = "ALL"
    """Which fields: ALL, NAME, EMAIL, PHONE or SIDEBAR."""
    targets: tuple[Target, ...] | None = None
    """None: every searchable object."""
    limit: int | None = None
