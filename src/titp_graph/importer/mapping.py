"""Column mappings: what a CSV of one KIND means, declared as data (``data/mappings/*.toml``).

A contributor whose CSV has other headers (Japanese, their own names) writes a mapping,
not code. This module reads a mapping file and checks it fully before any row is read, so
a typo in a mapping is reported with the mapping's file and key, never as a row error.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from ..errors import InputError
from ..namespaces import PREFIXES
from ..paths import data_dir

DATATYPES = ("string", "integer", "decimal", "date", "boolean", "iso-currency", "iso-country",
             "iri-ref", "concept", "iri", "pseudonym")

#: Kinds whose rows describe individual workers: names are refused, keys are hashed.
WORKER_LEVEL_KINDS = frozenset({"placements", "payments", "debts"})

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)(?:\|(digits))?\}")
_TEMPLATE = re.compile(r"[a-z0-9-]+/[^\s<>\"{}|\\^`]*(\{[a-z0-9_]+(\|digits)?\}[^\s<>\"{}|\\^`]*)+")
_PERSONAL_NAME = re.compile(
    r"(^|[\s_-])(name|names|full ?name|first ?name|last ?name|surname|given ?name|family ?name|"
    r"worker ?name|intern ?name|trainee ?name|passport)($|[\s_-])|氏名|名前|姓名|フリガナ|ふりがな|ローマ字",
    re.IGNORECASE)
_WORKER_ID = re.compile(r"(worker|intern|trainee|employee|person)[\s_-]*(id|no|number|code)|"
                        r"(労働者|実習生|従業員|本人).*(id|番号|no)|在留カード|passport|旅券",
                        re.IGNORECASE)

_COLUMN_KEYS = {"headers", "property", "datatype", "required", "lang", "pattern", "min", "max",
                "enum", "values", "ref", "namespace", "on", "max_length"}
_TOP_KEYS = {"kind", "description", "class", "iri", "columns", "ignore", "require_any",
             "constants", "related", "worker_level"}
_RELATED_KEYS = {"class", "iri", "link", "link_from_main", "constants"}


def normalise_header(text: str) -> str:
    """Headers compare case-, width- and separator-insensitively ("Licence_No" = "licence no")."""
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    return re.sub(r"[\s_\-]+", " ", text)


def looks_like_personal_name(header: str) -> bool:
    return bool(_PERSONAL_NAME.search(normalise_header(header)))


def looks_like_worker_id(header: str) -> bool:
    return bool(_WORKER_ID.search(normalise_header(header)))


def expand(value: str) -> str | None:
    """A full IRI from ``prefix:local`` (project prefixes) or ``http(s)://...``; None if neither."""
    value = value.strip()
    if re.match(r"https?://", value):
        try:
            return ox.NamedNode(value).value
        except ValueError:
            return None
    match = re.fullmatch(r"([a-z][a-z0-9]*):([A-Za-z0-9_][A-Za-z0-9_.\-/]*)?", value)
    if match and match.group(1) in PREFIXES:
        return PREFIXES[match.group(1)] + (match.group(2) or "")
    return None


@dataclass(frozen=True)
class Template:
    """An instance IRI pattern relative to ``id/``, e.g. ``employer/{corporate_number}``."""

    text: str

    @cached_property
    def placeholders(self) -> list[tuple[str, str | None]]:
        return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(self.text)]

    @property
    def prefix(self) -> str:
        """The literal text before the first placeholder (``employer/``)."""
        return self.text[: self.text.index("{")]


@dataclass
class Column:
    name: str
    headers: tuple[str, ...]
    property: str | None
    datatype: str = "string"
    required: bool = False
    lang: str | None = None
    pattern: re.Pattern | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    enum: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    ref: tuple[str, ...] = ()
    namespace: str | None = None
    on: str | None = None
    max_length: int = 2000


@dataclass
class Related:
    """A second node made from the same row (a licence, a violation), linked to the main one."""

    name: str
    classes: tuple[str, ...]
    iri: tuple[Template, ...]
    link: str
    link_from_main: bool
    constants: dict[str, str]


@dataclass
class Mapping:
    path: Path
    sha256: str
    kind: str
    classes: tuple[str, ...]
    iri: tuple[Template, ...]
    columns: dict[str, Column]
    ignore: tuple[str, ...] = ()
    require_any: tuple[tuple[str, ...], ...] = ()
    constants: dict[str, str] = field(default_factory=dict)
    related: dict[str, Related] = field(default_factory=dict)
    worker_level: bool = False
    description: str = ""

    def columns_on(self, node: str | None) -> list[Column]:
        return [c for c in self.columns.values() if c.on == node]


def mappings_dir() -> Path:
    return data_dir() / "mappings"


def known_kinds() -> list[str]:
    return sorted(p.stem for p in mappings_dir().glob("*.toml"))


def bundled_mapping(kind: str) -> Mapping:
    path = mappings_dir() / f"{kind}.toml"
    if not path.is_file():
        kinds = ", ".join(known_kinds()) or "(none found in " + str(mappings_dir()) + ")"
        raise InputError(kind, f"unknown KIND; known kinds: {kinds}", field="KIND")
    return load_mapping(path)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; every problem names the file and the TOML key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read mapping: {exc.strerror or exc}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "a mapping file must be UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}") from None
    return _Checker(path, hashlib.sha256(raw).hexdigest()).mapping(doc)


class _Checker:
    def __init__(self, path: Path, sha256: str):
        self.path, self.sha256 = path, sha256

    def fail(self, key: str, message: str):
        raise InputError(self.path, message, field=key)

    def unknown(self, table: dict, allowed: set, where: str):
        extra = sorted(set(table) - allowed)
        if extra:
            self.fail(f"{where}{extra[0]}", f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def iri(self, key: str, value) -> str:
        if not isinstance(value, str) or expand(value) is None:
            self.fail(key, f"{value!r} is not a prefixed name with a project prefix or an http(s) IRI")
        return expand(value)

    def classes(self, key: str, value) -> tuple[str, ...]:
        values = value if isinstance(value, list) else [value]
        if not values:
            self.fail(key, "give at least one class")
        return tuple(self.iri(key, v) for v in values)

    def template(self, key: str, value) -> Template:
        if not isinstance(value, str) or not _TEMPLATE.fullmatch(value):
            self.fail(key, f"{value!r} is not an IRI template like 'employer/{{corporate_number}}' "
                      "(kind/ then text with {column} or {column|digits})")
        return Template(value)

    def templates(self, key: str, value) -> tuple[Template, ...]:
        values = value if isinstance(value, list) else [value]
        return tuple(self.template(key, v) for v in values)

    def constants(self, key: str, table) -> dict[str, str]:
        if not isinstance(table, dict):
            self.fail(key, "must be a table of property = IRI")
        return {self.iri(f"{key}.{p}", p): self.iri(f"{key}.{p}", v) for p, v in table.items()}

    def mapping(self, doc: dict) -> Mapping:
        self.unknown(doc, _TOP_KEYS, "")
        kind = doc.get("kind")
        if not isinstance(kind, str) or not re.fullmatch(r"[a-z0-9-]+", kind):
            self.fail("kind", "required: the KIND this mapping is for, lower-case with hyphens")
        if "class" not in doc:
            self.fail("class", "required: the RDF class of each row, e.g. 'titp:Payment'")
        iris = self.templates("iri", doc.get("iri"))
        columns_doc = doc.get("columns")
        if not isinstance(columns_doc, dict) or not columns_doc:
            self.fail("columns", "required: one [columns.NAME] table per CSV column")
        columns = {name: self.column(name, spec) for name, spec in columns_doc.items()}
        related = {}
        for name, spec in (doc.get("related") or {}).items():
            if not isinstance(spec, dict):
                self.fail(f"related.{name}", "must be a table")
            self.unknown(spec, _RELATED_KEYS, f"related.{name}.")
            related[name] = Related(
                name, self.classes(f"related.{name}.class", spec.get("class")),
                self.templates(f"related.{name}.iri", spec.get("iri")),
                self.iri(f"related.{name}.link", spec.get("link")), bool(spec.get("link_from_main", False)),
                self.constants(f"related.{name}.constants", spec.get("constants", {})))
        mapping = Mapping(
            self.path, self.sha256, kind, self.classes("class", doc["class"]), iris, columns,
            ignore=tuple(normalise_header(h) for h in doc.get("ignore", [])),
            require_any=tuple(tuple(group) for group in doc.get("require_any", [])),
            constants=self.constants("constants", doc.get("constants", {})),
            related=related, worker_level=bool(doc.get("worker_level", False)) or kind in WORKER_LEVEL_KINDS,
            description=str(doc.get("description", "")))
        self.cross_check(mapping)
        return mapping

    def column(self, name: str, spec) -> Column:
        key = f"columns.{name}"
        if not re.fullmatch(r"[a-z0-9_]+", name):
            self.fail(key, "column names are lower-case letters, digits and _")
        if not isinstance(spec, dict):
            self.fail(key, "must be a table")
        self.unknown(spec, _COLUMN_KEYS, key + ".")
        headers = spec.get("headers", [name])
        headers = [headers] if isinstance(headers, str) else headers
        if not headers or not all(isinstance(h, str) and h.strip() for h in headers):
            self.fail(key + ".headers", "give the accepted header names as a list of strings")
        datatype = spec.get("datatype", "string")
        if datatype not in DATATYPES:
            self.fail(key + ".datatype", f"{datatype!r} is not one of {', '.join(DATATYPES)}")
        column = Column(name, tuple(headers), None, datatype, bool(spec.get("required", False)))
        if spec.get("property") is not None:
            column.property = self.iri(key + ".property", spec["property"])
        column.lang = spec.get("lang")
        if "pattern" in spec:
            try:
                column.pattern = re.compile(spec["pattern"])
            except (re.error, TypeError) as exc:
                self.fail(key + ".pattern", f"not a valid regular expression: {exc}")
        for bound in ("min", "max"):
            if bound in spec:
                try:
                    setattr(column, bound, Decimal(str(spec[bound])))
                except InvalidOperation:
                    self.fail(f"{key}.{bound}", "must be a number")
        column.enum = tuple(str(v) for v in spec.get("enum", []))
        column.values = {normalise_header(str(k)): str(v) for k, v in (spec.get("values") or {}).items()}
        if datatype in ("iri", "concept"):
            for k, v in column.values.items():
                self.iri(f"{key}.values.{k}", v)
        ref = spec.get("ref", [])
        column.ref = tuple([ref] if isinstance(ref, str) else ref)
        if datatype == "iri-ref" and not column.ref:
            self.fail(key + ".ref", "an iri-ref column names the KIND(s) it refers to, e.g. ref = 'employers'")
        if "namespace" in spec:
            column.namespace = self.iri(key + ".namespace", spec["namespace"])
        if datatype in ("iri", "concept") and not (column.namespace or column.values):
            self.fail(key + ".namespace", "an iri/concept column needs a namespace (e.g. 'feecat:') or values")
        column.on = spec.get("on")
        column.max_length = int(spec.get("max_length", 2000))
        return column

    def cross_check(self, mapping: Mapping) -> None:
        names = set(mapping.columns)
        for index, template in enumerate(mapping.iri):
            for placeholder, _ in template.placeholders:
                if placeholder not in names:
                    self.fail(f"iri[{index}]", f"{{{placeholder}}} is not a column of this mapping")
        for name, related in mapping.related.items():
            for placeholder, _ in (p for t in related.iri for p in t.placeholders):
                if placeholder not in names:
                    self.fail(f"related.{name}.iri", f"{{{placeholder}}} is not a column of this mapping")
        for column in mapping.columns.values():
            if column.on is not None and column.on not in mapping.related:
                self.fail(f"columns.{column.name}.on", f"no [related.{column.on}] table")
        kinds = set(known_kinds()) | {mapping.kind}
        for column in mapping.columns.values():
            for kind in column.ref:
                if kind not in kinds:
                    self.fail(f"columns.{column.name}.ref", f"{kind!r} is not a KIND; known: {', '.join(sorted(kinds))}")
        for group in mapping.require_any:
            for name in group:
                if name not in names:
                    self.fail("require_any", f"{name!r} is not a column of this mapping")
        seen: dict[str, str] = {}
        for column in mapping.columns.values():
            for header in column.headers:
                other = seen.setdefault(normalise_header(header), column.name)
                if other != column.name:
                    self.fail(f"columns.{column.name}.headers", f"header {header!r} is also accepted by {other!r}")
        if mapping.worker_level:
            for column in mapping.columns.values():
                written = column.property is not None or any(
                    column.name in (p for p, _ in t.placeholders) for t in mapping.iri)
                if not written:
                    continue
                for header in column.headers:
                    if looks_like_personal_name(header):
                        self.fail(f"columns.{column.name}.headers",
                                  f"{header!r} looks like a personal name; in {mapping.kind} names are never "
                                  "imported (list the header under ignore = [...] instead)")
                    if looks_like_worker_id(header) and column.datatype != "pseudonym":
                        self.fail(f"columns.{column.name}.datatype",
                                  f"{header!r} looks like a worker id; it must be datatype = 'pseudonym'")

