"""Decode a contributor's CSV bytes: UTF-8 (with or without BOM), else Shift_JIS/CP932.

Japanese official lists and Excel exports are often CP932; guessing wider than that
(chardet-style) turns mojibake into "valid" data, so we only try UTF-8 strictly, then
CP932 strictly, and otherwise ask the user for ``--encoding``.
"""
from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import InputError

AUTO = ("utf-8-sig", "cp932")


def decode(raw: bytes, path: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of ``raw`` and the encoding used; ``encoding`` None means detect."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(path, f"unknown encoding {encoding!r} (try utf-8, cp932, shift_jis)",
                             field="--encoding") from None
        if name in ("utf-8", "utf_8"):
            name = "utf-8-sig"  # a BOM is never data
        try:
            return raw.decode(name), name
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid {encoding}: byte {exc.start} "
                             f"(0x{raw[exc.start]:02x}) cannot be decoded", line=_line(raw, exc.start)) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(path, "the file is UTF-16; save it as UTF-8 CSV or pass --encoding utf-16")
    for name in AUTO:
        try:
            return raw.decode(name), name
        except UnicodeDecodeError:
            continue
    raise InputError(path, "neither UTF-8 nor Shift_JIS/CP932; pass --encoding (e.g. --encoding euc-jp)")


def _line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
