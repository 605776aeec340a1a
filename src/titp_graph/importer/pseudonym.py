"""Pseudonymous worker ids: a keyed hash (HMAC-SHA256) of the source id under a secret salt.

A plain hash of a worker id can be reversed by hashing every plausible id; a keyed hash
cannot without the salt. The salt lives outside the repository (default
``~/.config/titp-graph/salt``), is created once with 32 random bytes readable only by its
owner, and is never written to any export. The same salt gives the same pseudonyms, so
imports from one contributor link up across files.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path

from ..errors import TitpError

SALT_BYTES = 32
MIN_SALT_BYTES = 16


def default_salt_path() -> Path:
    return Path.home() / ".config" / "titp-graph" / "salt"


def load_or_create_salt(path: str | Path | None = None) -> bytes:
    """Read the salt at ``path``; create it (32 random bytes, mode 0600) if it is missing."""
    path = Path(path) if path else default_salt_path()
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(SALT_BYTES))
        except FileExistsError:
            pass  # another process created it first; read theirs
        except OSError as exc:
            raise TitpError(f"--salt-file {path}: cannot create: {exc.strerror or exc}") from None
    try:
        salt = path.read_bytes()
    except OSError as exc:
        raise TitpError(f"--salt-file {path}: cannot read: {exc.strerror or exc}") from None
    if len(salt) < MIN_SALT_BYTES:
        raise TitpError(f"--salt-file {path}: holds {len(salt)} bytes; a salt needs at least "
                        f"{MIN_SALT_BYTES} (delete it to have a new one made)")
    return salt


class Pseudonymiser:
    """Turns source ids into stable, non-reversible keys under one salt."""

    def __init__(self, salt: bytes):
        self._salt = salt

    def key(self, purpose: str, value: str) -> str:
        """32 hex digits (128 bits); ``purpose`` keeps worker ids and record ids apart."""
        text = unicodedata.normalize("NFKC", value).strip()
        message = purpose.encode() + b"\x00" + text.encode("utf-8")
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()[:32]
