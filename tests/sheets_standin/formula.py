"""A small formula evaluator: enough for the effective value of what a sales sheet holds.

Arithmetic (+ - * / ^ %), text joins (&), comparisons, references to cells and ranges on any
tab, and a handful of functions. Anything else evaluates to the error value Google shows
(#NAME?, #ERROR!, #DIV/0!, #VALUE!), so a test sees the same error a person would.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .a1 import column_index


@dataclass(frozen=True)
class FormulaError:
    type: str
    message: str
    shown: str


PARSE_ERROR = FormulaError("ERROR", "Formula parse error.", "#ERROR!")
DIV_ZERO = FormulaError("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero.", "#DIV/0!")
CIRCULAR = FormulaError(
    "REF",
    "Circular dependency detected. To resolve with iterative calculation, see File > Settings.",
    "#REF!",
)

# (tab title or None for the formula's own tab, row, col) -> the cell's effective value
Resolver = Callable[[str | None, int, int], Any]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<ref>(?:'(?:[^']|'')+'!|[A-Za-z_][\w.]*!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<op><>|<=|>=|[-+*/^&=<>%(),:])
    )""",
    re.VERBOSE,
)
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


class _Fail(Exception):
    def __init__(self, error: FormulaError):
        self.error = error


def evaluate(formula: str, resolve: Resolver, now: Callable[[], float] = lambda: 0.0) -> Any:
    """The effective value of "=...": a float, str, bool, None or a FormulaError.

    `now` gives the current moment as a serial number in the spreadsheet's time zone, for
    TODAY() and NOW().
    """
    try:
        tokens = _tokenize(formula[1:])
        parser = _Parser(tokens, resolve, now)
        value = parser.comparison()
        if parser.pos != len(tokens):
            raise _Fail(PARSE_ERROR)
        if isinstance(value, list):
            value = value[0][0] if value and value[0] else None
        return value
    except _Fail as failure:
        return failure.error
    except RecursionError:
        return CIRCULAR


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _Fail(PARSE_ERROR)
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def number(value: Any, function: str = "ADD", place: int = 1) -> float:
    if isinstance(value, FormulaError):
        raise _Fail(value)
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        message = (
            f"Function {function} parameter {place} expects number values. "
            f"But '{value}' is a text and cannot be coerced to a number."
        )
        raise _Fail(FormulaError("VALUE", message, "#VALUE!")) from None


def text(value: Any) -> str:
    if isinstance(value, FormulaError):
        raise _Fail(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _flat(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            for row in value:
                out.extend(row)
        else:
            out.append(value)
    return out


def _numbers(values: list[Any]) -> list[float]:
    return [
        number(v) for v in _flat(values) if isinstance(v, int | float) and not isinstance(v, bool)
    ]


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "SUM": lambda a: math.fsum(_numbers(a)),
    "MIN": lambda a: min(_numbers(a), default=0.0),
    "MAX": lambda a: max(_numbers(a), default=0.0),
    "AVERAGE": lambda a: math.fsum(_numbers(a)) / len(_numbers(a)) if _numbers(a) else DIV_ZERO,
    "COUNT": lambda a: float(len(_numbers(a))),
    "COUNTA": lambda a: float(sum(1 for v in _flat(a) if v not in (None, ""))),
    "CONCATENATE": lambda a: "".join(text(v) for v in _flat(a)),
    "LEN": lambda a: float(len(text(a[0]))),
    "UPPER": lambda a: text(a[0]).upper(),
    "LOWER": lambda a: text(a[0]).lower(),
    "TRIM": lambda a: " ".join(text(a[0]).split()),
    "ABS": lambda a: abs(number(a[0], "ABS")),
    "ROUND": lambda a: float(round(number(a[0], "ROUND"), int(number(a[1])) if len(a) > 1 else 0)),
    "IF": lambda a: (
        (a[1] if len(a) > 1 else True) if _truth(a[0]) else (a[2] if len(a) > 2 else False)
    ),
    "AND": lambda a: all(_truth(v) for v in _flat(a)),
    "OR": lambda a: any(_truth(v) for v in _flat(a)),
    "NOT": lambda a: not _truth(a[0]),
    "HYPERLINK": lambda a: text(a[1] if len(a) > 1 else a[0]),
    "DATE": lambda a: _date(*(int(number(v, "DATE")) for v in a[:3])),
}


def _date(year: int, month: int, day: int) -> float:
    """DATE(y, m, d) as a serial number; months and days past their range roll over."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    first = dt.date(year, month, 1)
    return float((first - dt.date(1899, 12, 30)).days + day - 1)


def _truth(value: Any) -> bool:
    if isinstance(value, str):
        if value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
        return bool(number(value, "IF"))
    return bool(number(value, "IF"))


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], resolve: Resolver, now: Callable[[], float]):
        self.tokens, self.pos, self.resolve, self.now = tokens, 0, resolve, now

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens) or (expected and self.tokens[self.pos][1] != expected):
            raise _Fail(PARSE_ERROR)
        self.pos += 1
        return self.tokens[self.pos - 1]

    def comparison(self) -> Any:
        left = self.concat()
        while self.peek() in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.concat()
            left = _compare(op, _scalar(left), _scalar(right))
        return left

    def concat(self) -> Any:
        left = self.additive()
        while self.peek() == "&":
            self.take()
            left = text(_scalar(left)) + text(_scalar(self.additive()))
        return left

    def additive(self) -> Any:
        left = self.multiplicative()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            right = self.multiplicative()
            name = "ADD" if op == "+" else "MINUS"
            a, b = number(_scalar(left), name, 1), number(_scalar(right), name, 2)
            left = a + b if op == "+" else a - b
        return left

    def multiplicative(self) -> Any:
        left = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            right = self.power()
            name = "MULTIPLY" if op == "*" else "DIVIDE"
            a, b = number(_scalar(left), name, 1), number(_scalar(right), name, 2)
            if op == "/" and b == 0:
                raise _Fail(DIV_ZERO)
            left = a * b if op == "*" else a / b
        return left

    def power(self) -> Any:
        left = self.unary()
        while self.peek() == "^":
            self.take()
            left = number(_scalar(left), "POW") ** number(_scalar(self.unary()), "POW", 2)
        return left

    def unary(self) -> Any:
        if self.peek() in ("+", "-"):
            op = self.take()[1]
            value = number(_scalar(self.unary()), "UMINUS" if op == "-" else "UPLUS")
            return -value if op == "-" else value
        value = self.primary()
        while self.peek() == "%":
            self.take()
            value = number(_scalar(value), "UNARY_PERCENT") / 100
        return value

    def primary(self) -> Any:
        kind, token = self.take()
        if kind == "number":
            return float(token)
        if kind == "string":
            return token[1:-1].replace('""', '"')
        if kind == "ref":
            return self.reference(token)
        if kind == "name":
            if self.peek() == "(":
                return self.call(token.upper())
            if token.upper() in ("TRUE", "FALSE"):
                return token.upper() == "TRUE"
            raise _Fail(FormulaError("NAME", f"Unknown range name: '{token}'.", "#NAME?"))
        if token == "(":
            value = self.comparison()
            self.take(")")
            return value
        raise _Fail(PARSE_ERROR)

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ")":
            args.append(self.comparison())
            if self.peek() == ",":
                self.take()
        self.take(")")
        if name in ("TODAY", "NOW") and not args:
            moment = self.now()
            return float(math.floor(moment)) if name == "TODAY" else moment
        function = _FUNCTIONS.get(name)
        if function is None:
            raise _Fail(FormulaError("NAME", f"Unknown function: '{name.lower()}'.", "#NAME?"))
        if not args and name not in ("AND", "OR"):
            raise _Fail(PARSE_ERROR)
        result = function(args)
        if isinstance(result, FormulaError):
            raise _Fail(result)
        return result

    def reference(self, token: str) -> Any:
        title = None
        if "!" in token:
            title, _, token = token.rpartition("!")
            if title.startswith("'"):
                title = title[1:-1].replace("''", "'")
        ends = [_REF.match(part) for part in token.split(":")]
        coords = [(int(m.group(2)) - 1, column_index(m.group(1))) for m in ends if m]
        (r0, c0), (r1, c1) = coords[0], coords[-1]
        rows = range(min(r0, r1), max(r0, r1) + 1)
        cols = range(min(c0, c1), max(c0, c1) + 1)
        grid = [[self.resolve(title, r, c) for c in cols] for r in rows]
        return grid if len(coords) > 1 else grid[0][0]


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return value[0][0] if value and value[0] else None
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    def key(value: Any) -> tuple[int, Any]:
        if value is None:
            return (0, 0.0)
        if isinstance(value, bool):
            return (2, value)
        if isinstance(value, int | float):
            return (0, float(value))
        return (1, text(value).lower())

    a, b = key(left), key(right)
    return {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]
