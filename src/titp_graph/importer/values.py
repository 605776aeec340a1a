"""Cell text -> checked lexical forms (numbers, dates, ISO codes) and readable IRI keys.

Each parser returns the canonical lexical form or raises :class:`BadValue` with a message
that says what was expected; the caller adds file, row and column.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


class BadValue(ValueError):
    """A cell that does not fit its column's datatype or checks."""


@cache
def _codes(filename: str) -> frozenset[str]:
    lines = (_HERE / filename).read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("\t", 1)[0] for line in lines if line and not line.startswith("#"))


def currencies() -> frozenset[str]:
    """ISO 4217 codes (embedded list, iso4217.txt)."""
    return _codes("iso4217.txt")


def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (embedded list, iso3166.txt)."""
    return _codes("iso3166.txt")


def clean(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII) and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def decimal(text: str) -> Decimal:
    """A decimal number; thousands separators ("542,311") are accepted, units are not."""
    text = clean(text)
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        raise BadValue("not a number (use digits and an optional '.', no currency signs or units)")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise BadValue("not a number") from None


def decimal_lexical(value: Decimal) -> str:
    """Canonical xsd:decimal text: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def integer(text: str) -> int:
    value = decimal(text)
    if value != value.to_integral_value():
        raise BadValue("not a whole number")
    return int(value)


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_KANJI = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MONTH = re.compile(r"(\d{4})(?:-|/|年)(\d{1,2})月?")
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_ERA = re.compile(r"(令和|平成|昭和|R|H|S)(\d{1,2}|元)[年.](\d{1,2})[月.](\d{1,2})日?")


def date(text: str) -> tuple[str, str]:
    """(lexical, xsd type name): a day (xsd:date), or a month/year when only that is known.

    Accepts 2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日 / R6.4.1, 2024-04, 2024.
    Never invents a day.
    """
    text = clean(text)
    for pattern in (_ISO, _SLASH, _KANJI):
        match = pattern.fullmatch(text)
        if match:
            return _day(*map(int, match.groups())), "date"
    match = _ERA.fullmatch(text)
    if match:
        era, year, month, day = match.groups()
        year = _ERAS[era] + (1 if year == "元" else int(year))
        return _day(year, int(month), int(day)), "date"
    match = _MONTH.fullmatch(text)
    if match:
        year, month = map(int, match.groups())
        if not 1 <= month <= 12:
            raise BadValue("no such month")
        return f"{year:04d}-{month:02d}", "gYearMonth"
    if re.fullmatch(r"\d{4}年?", text):
        return text[:4], "gYear"
    raise BadValue("not a date (use YYYY-MM-DD; YYYY-MM or YYYY when the day is not known)")


def _day(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise BadValue("no such day") from None


def boolean(text: str) -> str:
    lowered = clean(text).casefold()
    if lowered in ("true", "yes", "y", "1", "はい", "有", "あり"):
        return "true"
    if lowered in ("false", "no", "n", "0", "いいえ", "無", "なし"):
        return "false"
    raise BadValue("not a yes/no value (true/false, yes/no, 1/0)")


def currency(text: str) -> str:
    code = clean(text).upper()
    if code not in currencies():
        raise BadValue("not an ISO 4217 currency code (e.g. JPY, VND, USD)")
    return code


def country(text: str) -> str:
    code = clean(text).upper()
    if code not in countries():
        raise BadValue("not an ISO 3166-1 alpha-2 country code (e.g. VN, PH, ID)")
    return code


_FOLD = {"đ": "d", "ø": "o", "ß": "ss", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i"}


@cache
def key(text: str, digits_only: bool = False) -> str:
    """A readable IRI key: lower-case, hyphenated; Latin accents dropped, other scripts kept.

    >>> key("TTC Việt Nam  JSC")
    'ttc-viet-nam-jsc'
    >>> key("許1234567890", digits_only=True)
    '1234567890'
    >>> key("株式会社 テスト")
    '株式会社-テスト'
    """
    text = clean(text).casefold()
    if digits_only:
        return re.sub(r"\D", "", text)
    out = []
    for char in text:
        char = _FOLD.get(char, char)
        decomposed = unicodedata.normalize("NFD", char)
        out.append(decomposed[0] if decomposed[0].isascii() else char)
    return re.sub(r"[\W_]+", "-", "".join(out)).strip("-")
