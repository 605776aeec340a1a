"""Named questions: ``.rq`` files with a header, and typed parameter binding.

A named question is a SPARQL file in ``titp_graph/queries/`` whose leading comment lines
form a header::

    # title: Fees by tier
    # description: What workers paid before arrival, by nationality and tier, with sources.
    # param: country country optional -- nationality (ISO code like VN, or a country IRI)
    # param: date date required -- the day to check
    # example: titp-graph query --name fees-by-tier --param country=VN
    # scope: reference

Parameters are bound as typed RDF terms through the store's variable substitution (never
pasted into the query text), so a value such as ``x" } DROP ALL #`` stays a value.

``# scope:`` says which graphs the question reads when it runs on a local store
(:meth:`titp_graph.graph.TitpGraph.named`, ``titp-graph query --name`` or ``-f FILE.rq``,
and a named question's text sent to ``titp-graph serve``):

``reference`` (the default, also when the line is left out)
    the default graph is the union of the *reference graphs* only: every named graph
    except the build's derived graphs (IRI under ``https://w3id.org/titp-graph/graph/derived/``)
    and synthetic data (a graph holding a node typed ``titp:SyntheticDataset``). Curated,
    ontology and imported graphs stay in. ``GRAPH ?g`` ranges over the same graphs. At scale
    this keeps millions of synthetic and derived triples out of the questions' scans; the
    answers are those over every graph as long as the curated facts are not restated in
    synthetic or derived graphs (tests/test_named_queries.py checks this on the bundled data).
``all``
    every graph, as for ad hoc queries: for questions whose answer may involve synthetic or
    derived nodes (``provenance`` of any subject; ``sources`` counts the synthetic dataset
    nodes that cite a source).

A store without named graphs (everything in the default graph) is read whole either way;
a remote endpoint (``--endpoint``) is always asked over its whole default graph. On an
on-disk store opened read-only, scoped questions run on an in-memory copy of the reference
graphs (:meth:`titp_graph.graph.TitpGraph.store_for`).
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
#: Values of the ``# scope:`` header; the first is the default.
SCOPES = ("reference", "all")


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
    scope: str = SCOPES[0]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


_HEADER = re.compile(r"^#\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\w+)(?:\s+(required|optional))?(?:\s+default=(\S+))?\s*(?:--\s*(.*))?$")


def _header_fields(text: str) -> dict[str, list[str]]:
    """The ``# key: value`` lines that open ``text`` (continuation lines join a description)."""
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.lstrip()
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if match:
            fields.setdefault(match.group(1).lower(), []).append(match.group(2).strip())
        elif fields.get("description") and line.startswith("#   "):
            fields["description"][-1] += " " + line[1:].strip()
    return fields


def _scope(values: list[str], where) -> str:
    scope = (values[-1] if values else SCOPES[0]).strip().lower()
    if scope not in SCOPES:
        raise InputError(where, f"bad '# scope:' line {values[-1]!r}: expected one of "
                                f"{', '.join(SCOPES)}", field="scope")
    return scope


def is_named_text(text: str) -> bool:
    """True if ``text`` is a named question's text: it opens with a ``# title:`` line."""
    return text.lstrip().startswith("# title:")


def text_scope(text: str) -> str | None:
    """The scope of a named question's text (:func:`is_named_text`), else None: an ad hoc
    query, which reads every graph. An unknown scope raises InputError."""
    if not is_named_text(text):
        return None
    return _scope(_header_fields(text).get("scope", []), "query")


def parse_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    fields = _header_fields(text)
    if "title" not in fields:
        raise InputError(path, "named query has no '# title:' header line", line=1)
    scope = _scope(fields.get("scope", []), path)
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
                      text, tuple(params), tuple(fields.get("example", [])), path, scope)


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
