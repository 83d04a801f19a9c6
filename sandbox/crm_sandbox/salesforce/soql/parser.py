"""SOQL text -> :class:`~crm_sandbox.salesforce.soql.ast.Query`, with Salesforce's errors.

A lark LALR grammar (``grammar.lark``) does the parsing; syntax errors become
MALFORMED_QUERY with the row, a caret and ``unexpected token: 'X'`` like Salesforce.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from crm_sandbox.salesforce.soql import ast
from crm_sandbox.salesforce.soql.errors import SoqlError, malformed

# Salesforce's reserved words: never field or object names (ORDER is not one: `FROM Order`).
RESERVED = frozenset(
    [
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
        "FIRST",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INCLUDES",
        "LAST",
        "LIKE",
        "LIMIT",
        "NOT",
        "NULL",
        "NULLS",
        "OR",
        "SELECT",
        "WHERE",
        "WITH",
    ]
)
# Reserved words the grammar has a terminal for; the rest (GROUP BY, HAVING, WITH are
# not supported) lex as RESERVED, so using one gives "unexpected token", as in Salesforce.
_KEYWORD_TYPES = RESERVED - {"GROUP", "HAVING", "WITH"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _reserved_name(token: Token) -> Token:
    """A reserved word is never a NAME: report it as the keyword it is."""
    upper = token.value.upper()
    if upper in RESERVED:
        token.type = upper if upper in _KEYWORD_TYPES else "RESERVED"
    return token


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=False,
        lexer_callbacks={"NAME": _reserved_name},
    )


def _pos(token: Token) -> ast.Pos:
    return ast.Pos(token.line or 1, token.column or 1)


def decode_string(raw: str, text: str, pos: ast.Pos, keep_like_escapes: bool = False) -> str:
    """Decode a quoted SOQL string literal (``\\'``, ``\\n``, ... escapes).

    With ``keep_like_escapes`` the result is a SQL LIKE pattern using ``\\`` as escape:
    ``\\%`` and ``\\_`` stay escaped and a literal backslash becomes ``\\\\``.
    """
    body = raw[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in ("%", "_"):
            out.append("\\" + nxt)  # LIKE escapes; kept as written elsewhere too
        elif nxt.lower() in _ESCAPES or nxt in _ESCAPES:
            decoded = _ESCAPES.get(nxt, _ESCAPES.get(nxt.lower(), nxt))
            out.append("\\\\" if keep_like_escapes and decoded == "\\" else decoded)
        else:
            raise malformed(
                text,
                pos.line,
                pos.column,
                f"Invalid string literal '{raw}'. Illegal character sequence '\\{nxt}' "
                "in string literal.",
            )
        i += 2
    return "".join(out)


class _ToAst(Transformer[Token, Any]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def field_path(self, names: list[Token]) -> ast.FieldRef:
        return ast.FieldRef(tuple(str(n) for n in names), _pos(names[0]))

    def count_expr(self, items: list[Any]) -> ast.CountExpr:
        token = items[0]
        return ast.CountExpr(items[1] if len(items) > 1 else None, _pos(token))

    def fields_expr(self, items: list[Token]) -> ast.FieldsExpr:
        return ast.FieldsExpr(str(items[1]), _pos(items[1]))

    def select_list(self, items: list[Any]) -> tuple[Any, ...]:
        return tuple(items)

    def value(self, items: list[Token]) -> ast.Literal:
        tok = items[0]
        pos = _pos(tok)
        raw = str(tok)
        kind = tok.type
        if kind == "STRING":
            return ast.Literal("string", decode_string(raw, self.text, pos), raw, pos)
        if kind == "NUMBER":
            number: int | float = float(raw) if any(c in raw for c in ".") else int(raw)
            return ast.Literal("number", number, raw, pos)
        if kind in ("TRUE", "FALSE"):
            return ast.Literal("boolean", kind == "TRUE", raw, pos)
        if kind == "NULL":
            return ast.Literal("null", None, raw, pos)
        if kind == "DATETIME":
            return ast.Literal("datetime", raw, raw, pos)
        if kind == "DATE":
            return ast.Literal("date", raw, raw, pos)
        name, _, n = raw.upper().partition(":")
        return ast.Literal("date_literal", (name, int(n) if n else None), raw, pos)

    def value_list(self, items: list[ast.Literal]) -> tuple[ast.Literal, ...]:
        return tuple(items)

    def compare(self, items: list[Any]) -> ast.Compare:
        field, op, value = items
        op = "!=" if op == "<>" else str(op)
        return ast.Compare(field, op, value)

    def like(self, items: list[Any]) -> ast.Like:
        return ast.Like(items[0], items[2])

    def in_list(self, items: list[Any]) -> ast.InList:
        return ast.InList(items[0], items[-1], negated=False)

    def not_in_list(self, items: list[Any]) -> ast.InList:
        return ast.InList(items[0], items[-1], negated=True)

    def includes(self, items: list[Any]) -> ast.Includes:
        return ast.Includes(items[0], items[-1], negated=False)

    def excludes(self, items: list[Any]) -> ast.Includes:
        return ast.Includes(items[0], items[-1], negated=True)

    def and_cond(self, items: list[Any]) -> ast.And:
        return ast.And(tuple(i for i in items if not isinstance(i, Token)))

    def or_cond(self, items: list[Any]) -> ast.Or:
        return ast.Or(tuple(i for i in items if not isinstance(i, Token)))

    def not_cond(self, items: list[Any]) -> ast.Not:
        return ast.Not(items[-1])

    def where_clause(self, items: list[Any]) -> tuple[str, Any]:
        return ("where", items[-1])

    def order_item(self, items: list[Any]) -> ast.OrderItem:
        words = {str(t).upper() for t in items[1:]}
        return ast.OrderItem(items[0], descending="DESC" in words, nulls_last="LAST" in words)

    def order_clause(self, items: list[Any]) -> tuple[str, Any]:
        return ("order_by", tuple(i for i in items if isinstance(i, ast.OrderItem)))

    def limit_clause(self, items: list[Token]) -> tuple[str, Any]:
        return ("limit", int(items[-1]))

    def offset_clause(self, items: list[Token]) -> tuple[str, Any]:
        return ("offset", int(items[-1]))

    def start(self, items: list[Any]) -> ast.Query:
        obj = items[3]
        clauses = dict(i for i in items[4:] if isinstance(i, tuple))
        return ast.Query(
            text=self.text,
            select=items[1],
            sobject=str(obj),
            sobject_pos=_pos(obj),
            where=clauses.get("where"),
            order_by=clauses.get("order_by", ()),
            limit=clauses.get("limit"),
            offset=clauses.get("offset"),
        )


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


def _syntax_error(text: str, exc: UnexpectedInput) -> SoqlError:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        stripped = text.rstrip()
        last_word = stripped.split()[-1] if stripped.split() else ""
        if last_word.upper() == "FROM":
            # "SELECT Nme FROM": Salesforce points at the last select item and names
            # 'FROM' as the unexpected token (it read FROM as that item's alias).
            head = stripped[: -len(last_word)].rstrip()
            start = max(head.rfind(" "), head.rfind(","), head.rfind("\n")) + 1
            line, col = _line_col(text, start)
            return malformed(text, line, col, f"unexpected token: '{last_word}'")
        line, col = _line_col(text, len(stripped))
        return malformed(text, line, col, "unexpected token: <EOF>")
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        return malformed(text, tok.line or 1, tok.column or 1, f"unexpected token: '{tok}'")
    if isinstance(exc, UnexpectedCharacters):
        bad = text[exc.pos_in_stream]
        if bad == "'":  # an unterminated string literal
            return malformed(
                text,
                exc.line,
                exc.column,
                f"line {exc.line}:{exc.column - 1} no viable alternative at character '{bad}'",
            )
        return malformed(text, exc.line, exc.column, f"unexpected token: '{bad}'")
    line, col = _line_col(text, getattr(exc, "pos_in_stream", 0) or 0)
    return malformed(text, line, col, "unexpected token: <EOF>")


def parse(text: str) -> ast.Query:
    """Parse SOQL; raise :class:`SoqlError` (MALFORMED_QUERY) on a syntax error."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "unexpected token: <EOF>")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    result: ast.Query = _ToAst(text).transform(tree)
    return result
