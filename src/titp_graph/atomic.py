"""Write files so that a reader never sees half of one: temp file, then rename."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import TitpError


def write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    folder = path.resolve().parent
    if not folder.is_dir():
        raise TitpError(f"{path}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except (OSError, UnboundLocalError):
            pass
        raise TitpError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_chunks(path: str | Path, chunks: Iterable[str]) -> None:
    """Like :func:`write_text`, for text produced piece by piece (a million-row table need
    not be one string in memory)."""
    path = Path(path)
    folder = path.resolve().parent
    if not folder.is_dir():
        raise TitpError(f"{path}: folder {folder} does not exist")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(exc, OSError):
            raise TitpError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
