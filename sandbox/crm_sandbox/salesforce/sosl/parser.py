"""SOSL text -> :class:`~crm_sandbox.salesforce.sosl.ast.Search`, with Salesforce's errors.

Two lark LALR grammars: ``grammar.lark`` for the statement (FIND, IN, RETURNING, LIMIT)
and ``term.lark`` for the search term inside the braces (also parameterizedSearch's
``q``). The clauses inside RETURNING's parentheses are kept as SOQL text for the SOQL
engine.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from crm_sandbox.salesforce.soql.errors import SoqlError
from crm_sandbox.salesforce.sosl import ast
from crm_sandbox.salesforce.sosl.errors import bad_term, malformed_search

_PIECE = re.compile(r"(?:[^\W_]|[*?])+")
_ESCAPED = re.compile(r"\\(.)")


@lru_cache(maxsize=2)
def _lark(name: str) -> Lark:
    grammar = resources.files(__package__).joinpath(name).read_text()
    return Lark(grammar, parser="lalr", lexer="contextual", maybe_placeholders=False)


def _pieces(text: str) -> tuple[str, ...]:
    return tuple(_PIECE.findall(_ESCAPED.sub(r"\1", text).lower()))


class _TermAst(Transformer[Token, Any]):
    def word(self, items: list[Token]) -> ast.Term:
        pieces = _pieces(str(items[0]))
        if not pieces:
            raise bad_term(f"Invalid search term: {items[0]}")  # (unverified) wording
        return ast.Phrase(pieces)

    def phrase(self, items: list[Token]) -> ast.Term:
        return ast.Phrase(_pieces(str(items[0])[1:-1]))

    def negate(self, items: list[Any]) -> ast.Term:
        return ast.Not(items[-1])

    def and_expr(self, items: list[Any]) -> ast.Term:
        return ast.And(tuple(i for i in items if not isinstance(i, Token)))

    def or_expr(self, items: list[Any]) -> ast.Term:
        return ast.Or(tuple(i for i in items if not isinstance(i, Token)))


def _literal_length(term: ast.Term) -> int:
    if isinstance(term, ast.Phrase):
        return sum(len(p.replace("*", "").replace("?", "")) for p in term.pieces)
    if isinstance(term, ast.Not):
        return _literal_length(term.part)
    return min((_literal_length(p) for p in term.parts), default=0)


def parse_term(text: str) -> ast.Term:
    """A search term (without braces) as a term tree."""
    if not text.strip():
        raise bad_term("No search term found. The search term must be enclosed in braces.")
    try:
        tree = _lark("term.lark").parse(text)
    except UnexpectedInput:
        raise bad_term(f"Invalid search term: {text}") from None  # (unverified) wording
    term = _TermAst().transform(tree)
    if _literal_length(term) < 2:
        raise bad_term("search term must be longer than one character")
    return term


class _SearchAst(Transformer[Token, Any]):
    def field_path(self, names: list[Token]) -> str:
        return ".".join(str(n) for n in names)

    def field_list(self, items: list[str]) -> tuple[str, ...]:
        return tuple(items)

    def returning_item(self, items: list[Any]) -> ast.Target:
        fields = items[1] if len(items) > 1 else None
        tail = str(items[2]).strip() if len(items) > 2 else ""
        return ast.Target(str(items[0]), fields, tail)

    def returning_clause(self, items: list[Any]) -> tuple[str, tuple[ast.Target, ...]]:
        return ("targets", tuple(i for i in items if isinstance(i, ast.Target)))

    def in_clause(self, items: list[Token]) -> tuple[str, str]:
        return ("group", str(items[1]).upper())

    def limit_clause(self, items: list[Token]) -> tuple[str, int]:
        return ("limit", int(items[1]))


def parse_search(text: str) -> ast.Search:
    """A SOSL statement (``FIND {term} ...``) as a Search, or MALFORMED_SEARCH."""
    stripped = text.strip()
    if not stripped.upper().startswith("FIND"):
        raise malformed_search(text, 1, 1, f"unexpected token: {stripped.split()[:1] or '<EOF>'}")
    after = stripped[4:].lstrip()
    if not after.startswith("{"):
        raise bad_term("No search term found. The search term must be enclosed in braces.")
    try:
        tree = _lark("grammar.lark").parse(text)
    except UnexpectedToken as exc:
        found = "<EOF>" if exc.token.type == "$END" else f"'{exc.token}'"
        raise malformed_search(
            text, exc.line or 1, exc.column or 1, f"unexpected token: {found}"
        ) from None
    except UnexpectedCharacters as exc:
        raise malformed_search(
            text, exc.line, exc.column, f"unexpected token: '{text[exc.pos_in_stream]}'"
        ) from None
    except UnexpectedInput as exc:  # pragma: no cover - other lark errors
        raise SoqlError("MALFORMED_SEARCH", str(exc)) from None
    children = tree.children
    term_token = next(c for c in children if isinstance(c, Token) and c.type == "TERM")
    options = dict(c for c in _SearchAst().transform(tree).children if isinstance(c, tuple))
    return ast.Search(
        term=parse_term(str(term_token)[1:-1]),
        group=options.get("group", "ALL"),
        targets=options.get("targets"),
        limit=options.get("limit"),
    )
