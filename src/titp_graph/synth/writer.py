"""Streamed RDF lines for the synthetic generator: N-Triples or Turtle, no graph in memory.

Why not rdflib or pyoxigraph here: at national scale (about 30 million triples) building terms
or a graph costs minutes and gigabytes, while the generator already knows every term's shape.
So terms are rendered once as strings in the target syntax and subjects are written as they
are made. The output is written to a temporary file beside the target and renamed only when
complete, so a failed or interrupted run never leaves a half-written file behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import TitpError
from ..namespaces import PREFIXES, SYNTHETIC, XSD

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def escape_string(text: str) -> str:
    """The body of an N-Triples/Turtle string literal (quotes not included).

    >>> escape_string('a "b"\\\\c\\n')
    'a \\\\"b\\\\"\\\\\\\\c\\\\n'
    """
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


#: Kinds of synthetic node; each gets its own Turtle prefix so local names stay plain.
KINDS = ("dataset", "sending-organization", "broker", "lender", "supervising-organization",
         "employer", "intermediation-agreement", "sanction", "worker", "placement", "payment", "debt")
_USED_PREFIXES = ("titp", "program", "feecat", "sanction", "country", "src", "rdf", "rdfs", "xsd",
                  "dct", "prov", "void")


def _kind_prefix(kind: str) -> str:
    return "syn-" + kind


class Syntax:
    """Renders terms in one syntax. ``ntriples`` writes full IRIs; ``turtle`` prefixed names."""

    def __init__(self, turtle: bool):
        self.turtle = turtle

    def term(self, prefix: str, local: str) -> str:
        """A project term such as ``titp:Worker`` (local names here are plain ASCII words)."""
        return f"{prefix}:{local}" if self.turtle else f"<{PREFIXES[prefix]}{local}>"

    def node(self, kind: str, key: str) -> str:
        """A synthetic node IRI ``syn:<kind>/<key>``; keys are ``[a-z0-9-]`` only."""
        return f"{_kind_prefix(kind)}:{key}" if self.turtle else f"<{SYNTHETIC}{kind}/{key}>"

    def string(self, text: str, lang: str | None = None) -> str:
        return f'"{escape_string(text)}"' + (f"@{lang}" if lang else "")

    def typed(self, lexical: str, datatype: str) -> str:
        if self.turtle:
            return f'"{lexical}"^^xsd:{datatype}'
        return f'"{lexical}"^^<{XSD}{datatype}>'

    def header(self) -> str:
        if not self.turtle:
            return ""
        lines = [f"@prefix {p}: <{PREFIXES[p]}> ." for p in _USED_PREFIXES]
        lines += [f"@prefix {_kind_prefix(k)}: <{SYNTHETIC}{k}/> ." for k in KINDS]
        return "\n".join(lines) + "\n\n"

    def subject(self, subject: str, pairs: list[tuple[str, str]]) -> str:
        """All triples of one subject, as text."""
        if self.turtle:
            body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
            return f"{subject} {body} .\n\n"
        return "".join(f"{subject} {p} {o} .\n" for p, o in pairs)


class AtomicStream:
    """A text file written through a temp file in the same folder, renamed on success."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        folder = self.path.resolve().parent
        if not folder.is_dir():
            raise TitpError(f"--out {self.path}: folder {folder} does not exist")
        if self.path.is_dir():
            raise TitpError(f"--out {self.path}: is a folder, expected a file name")
        try:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
        except OSError as exc:
            raise TitpError(f"--out {self.path}: cannot write there: {exc.strerror or exc}") from None
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20)

    def write(self, text: str) -> None:
        self._file.write(text)

    def __enter__(self) -> "AtomicStream":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self._file.close()
            if exc_type is None:
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
                return
        except OSError as err:
            self._discard()
            raise TitpError(f"--out {self.path}: cannot write: {err.strerror or err}") from None
        self._discard()

    def _discard(self) -> None:
        try:
            os.unlink(self._tmp)
        except OSError:
            pass
