"""Errors a user sees: each names the file, line or row and field, and never a traceback.

The CLI catches :class:`TitpError` and prints ``str(error)``; anything else is a bug.
"""
from __future__ import annotations

from pathlib import Path


class TitpError(Exception):
    """An error caused by input or environment, with a message fit for the user."""


class InputError(TitpError):
    """Bad input: which file, where in it, and what is wrong."""

    def __init__(self, path: str | Path, message: str, line: int | None = None,
                 field: str | None = None):
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        where = self.path + (f":{line}" if line is not None else "")
        if field:
            where += f" [{field}]"
        super().__init__(f"{where}: {message}")


class ValidationFailed(TitpError):
    """SHACL found violations; ``report`` holds them."""

    def __init__(self, report):
        self.report = report
        super().__init__(report.text())
