"""Lexical checks for typed literals.

pyoxigraph keeps ``"abc"^^xsd:integer`` without complaint; a graph that people cite must
not, so every literal with a checked XSD datatype is verified on load.
"""
from __future__ import annotations

import datetime as _dt
import re

from .namespaces import XSD

_TZ = r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?"
_PATTERNS = {
    "integer": r"[+-]?\d+",
    "nonNegativeInteger": r"\+?\d+|-0+",
    "positiveInteger": r"\+?0*[1-9]\d*",
    "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    "double": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN",
    "float": r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN",
    "boolean": r"true|false|1|0",
    "date": r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])" + _TZ,
    "gYear": r"-?\d{4,}" + _TZ,
    "gYearMonth": r"-?\d{4,}-(0[1-9]|1[0-2])" + _TZ,
    "dateTime": r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?" + _TZ,
    "anyURI": r"[^\s<>\"{}|\\^`]*",
}
CHECKED = {XSD + name: re.compile(pattern) for name, pattern in _PATTERNS.items()}


def literal_problem(lexical: str, datatype: str) -> str | None:
    """Why ``lexical`` is not a valid ``datatype`` value, or None if it is (or is unchecked).

    >>> literal_problem("12", XSD + "integer") is None
    True
    >>> literal_problem("twelve", XSD + "integer")
    "'twelve' is not a valid xsd:integer"
    >>> literal_problem("2023-02-30", XSD + "date")
    "'2023-02-30' is not a valid xsd:date (no such day)"
    """
    pattern = CHECKED.get(datatype)
    if pattern is None:
        return None
    name = "xsd:" + datatype[len(XSD):]
    if not pattern.fullmatch(lexical):
        return f"{lexical[:60]!r} is not a valid {name}"
    if name in ("xsd:date", "xsd:dateTime") and not lexical.startswith("-"):
        try:
            _dt.date.fromisoformat(lexical[:10])
        except ValueError:
            return f"{lexical!r} is not a valid {name} (no such day)"
    return None
