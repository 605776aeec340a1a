"""Named questions: ``.rq`` files with a header, and typed parameter binding.

A named question is a SPARQL file in ``titp_graph/queries/`` whose leading comment lines
form a header::

    # title: Fees by tier
    # description: What workers paid before arrival, by nationality and tier, with sources.
    # param: country country optional -- nationality (ISO code like VN, or a country IRI)
    # param: date date required -- the day to check
    # example: titp-graph query --name fees-by-tier --param country=VN

Parameters are bound as typed RDF terms through the store's variable substitution (never
pasted into the query text), so a value such as ``x" } DROP ALL #`` stays a value.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, TitpError
from .namespaces import PREFIXES, XSD, instance_iri
from .paths import queries_dir

PARAM_TYPES = ("iri", "country", "date", "string", "integer", "decimal", "boolean")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    description: str = ""
    default: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = ()
    examples: tuple[str, ...] = ()
    path: Path | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_HEADER = re.compile(r"^#\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\w+)(?:\s+(required|optional))?(?:\s+default=(\S+))?\s*(?:--\s*(.*))?$")


def parse_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if match:
            fields.setdefault(match.group(1).lower(), []).append(match.group(2).strip())
        elif fields.get("description") and line.startswith("#   "):
            fields["description"][-1] += " " + line[1:].strip()
    if "title" not in fields:
        raise InputError(path, "named query has no '# title:' header line", line=1)
    params = []
    for spec in fields.get("param", []):
        m = _PARAM.match(spec)
        if not m or m.group(2) not in PARAM_TYPES:
            raise InputError(path, f"bad '# param:' line {spec!r}: expected "
                             f"'name TYPE [required|optional] [default=V] -- text' with TYPE in "
                             f"{', '.join(PARAM_TYPES)}", field="param")
        params.append(Param(m.group(1), m.group(2), m.group(3) != "optional" if m.group(3) else False,
                            m.group(5) or "", m.group(4)))
    return NamedQuery(path.stem, fields["title"][0], " ".join(fields.get("description", [""])),
                      text, tuple(params), tuple(fields.get("example", [])), path)


def list_named(folder: Path | None = None) -> list[NamedQuery]:
    """Every named question, sorted by name."""
    folder = folder or queries_dir()
    return [parse_named_query(p) for p in sorted(folder.glob("*.rq"))]


def get_named(name: str, folder: Path | None = None) -> NamedQuery:
    folder = folder or queries_dir()
    path = folder / f"{name}.rq"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        known = ", ".join(q.name for q in list_named(folder))
        raise TitpError(f"no named question {name!r}; known: {known}")
    return parse_named_query(path)


def _expand(value: str) -> str | None:
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I) or value.startswith("urn:"):
        return value
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return None


def to_term(value: str, kind: str | None, name: str = "param"):
    """Convert a command-line value to a typed RDF term; ``kind`` None means infer it."""
    try:
        if kind == "iri":
            iri = _expand(value)
            if iri is None:
                raise ValueError("expected an IRI (<...>, http(s)://... or a known prefix like agency:jp-isa)")
            return ox.NamedNode(iri)
        if kind == "country":
            if re.fullmatch(r"[A-Za-z]{2}", value):
                return ox.NamedNode(instance_iri("country", value.upper()))
            return to_term(value, "iri", name)
        if kind == "date":
            dt.date.fromisoformat(value)
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "date"))
        if kind == "integer":
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
        if kind == "decimal":
            Decimal(value)
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
                raise ValueError("not a decimal")
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "decimal"))
        if kind == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError("expected true or false")
            return ox.Literal(value.lower(), datatype=ox.NamedNode(XSD + "boolean"))
        if kind == "string":
            return ox.Literal(value)
    except (ValueError, InvalidOperation) as exc:
        raise TitpError(f"parameter {name}={value!r}: not a valid {kind} ({exc})") from None
    # inferred
    iri = _expand(value)
    if iri is not None:
        return ox.NamedNode(iri)
    for guess in ("integer", "decimal", "date"):
        try:
            return to_term(value, guess, name)
        except TitpError:
            pass
    return ox.Literal(value)


def bind(query: NamedQuery | None, values: dict[str, str]) -> dict[str, object]:
    """Substitutions for a query: declared params are typed and required ones enforced."""
    out: dict[str, object] = {}
    if query is not None:
        unknown = [k for k in values if query.param(k) is None]
        if unknown:
            names = ", ".join(p.name for p in query.params) or "none"
            raise TitpError(f"named question {query.name!r} has no parameter "
                            f"{', '.join(unknown)}; its parameters: {names}")
        for p in query.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                if p.required:
                    raise TitpError(f"named question {query.name!r} needs --param {p.name}=... "
                                    f"({p.type}: {p.description})")
                continue
            out[p.name] = to_term(raw, p.type, p.name)
        return out
    for key, raw in values.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise TitpError(f"parameter name {key!r} is not a SPARQL variable name")
        out[key] = to_term(raw, None, key)
    return out


def parse_param_options(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``key=value`` strings from the command line to a dict."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise TitpError(f"--param {pair!r}: expected key=value")
        out[key.strip()] = value
    return out
