"""Stage 2: SHACL validation, compiled to SPARQL and run inside the store.

pySHACL needs the data in an rdflib graph, which does not fit at national scale (about
1.3 GB per million triples here). The shapes this project writes use SHACL Core with
simple targets, so each constraint compiles to one SPARQL query that returns exactly the
focus nodes (and values) that violate it; the store answers them without leaving Rust.
The same report comes out either way, and the tests check the two engines agree.
Shapes using features outside the compiled subset fall back to pySHACL (``engine="auto"``).
"""
from __future__ import annotations

import ctypes
import functools

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from .errors import TitpError
from .namespaces import GRAPH, compact

_SUPPORTED = {SH.path, SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH["in"],
              SH.pattern, SH.flags, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
              SH.maxExclusive, SH.minLength, SH.maxLength, SH.hasValue, SH["or"], SH.message,
              SH.severity, SH.name, SH.description, SH.order, SH.group, SH.deactivated,
              SH.property, SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
              SH.targetObjectsOf, RDF.type, RDFS.label, RDFS.comment, SH.uniqueLang,
              SH.languageIn}


class Unsupported(Exception):
    """A shape uses SHACL features this compiler does not translate."""


@dataclass(frozen=True, order=True)
class ValidationResult:
    severity: str
    shape: str
    focus: str
    path: str
    component: str
    value: str
    message: str
    graph: str = ""

    def line(self) -> str:
        where = self.graph.removeprefix(GRAPH) if self.graph else "?"
        value = f" value {self.value}" if self.value else ""
        return (f"[{self.severity}] {where}: {compact(self.focus) if self.focus.startswith('http') else self.focus}"
                f" {compact(self.path) if self.path.startswith('http') else self.path}:{value} {self.message}")


@dataclass
class ValidationReport:
    results: list[ValidationResult] = field(default_factory=list)
    engine: str = "sparql"
    checks: int = 0

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def text(self, limit: int = 50) -> str:
        if self.conforms and not self.results:
            return f"SHACL: conforms ({self.checks} checks, {self.engine} engine)."
        violations = sum(r.severity == "Violation" for r in self.results)
        head = (f"SHACL: {'conforms' if self.conforms else 'does NOT conform'}: {violations} violation(s), "
                f"{len(self.results) - violations} other result(s) ({self.checks} checks, {self.engine} engine)")
        lines = [head] + [r.line() for r in sorted(self.results)[:limit]]
        if len(self.results) > limit:
            lines.append(f"... and {len(self.results) - limit} more")
        return "\n".join(lines)

    def keys(self) -> set[tuple[str, str, str]]:
        """(focus, path, component) triples, for comparing engines."""
        return {(r.focus, r.path, r.component) for r in self.results}


def _n3(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise Unsupported(f"cannot use {term!r} in a compiled constraint")


def _path(shapes: rdflib.Graph, node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in shapes:
        return "(" + "/".join(_path(shapes, n) for n in Collection(shapes, node)) + ")"
    for pred, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                      (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = shapes.value(node, pred)
        if inner is not None:
            return fmt.format("(" + _path(shapes, inner) + ")")
    alts = shapes.value(node, SH.alternativePath)
    if alts is not None:
        return "(" + "|".join(_path(shapes, n) for n in Collection(shapes, alts)) + ")"
    raise Unsupported("unsupported sh:path")


def _short(term) -> str:
    return compact(str(term)) if isinstance(term, URIRef) else (term.n3() if isinstance(term, Literal) else str(term))


def _value_test(shapes: rdflib.Graph, shape, var: str) -> list[tuple[str, str, str]]:
    """(component, SPARQL boolean 'value conforms', default message) per value constraint."""
    tests = []
    for dtype in shapes.objects(shape, SH.datatype):
        tests.append(("DatatypeConstraintComponent",
                      f"(isLiteral({var}) && datatype({var}) = {_n3(dtype)})", f"must be a {_short(dtype)} literal"))
    for cls in shapes.objects(shape, SH["class"]):
        tests.append(("ClassConstraintComponent",
                      f"EXISTS {{ {var} <{RDF.type}>/<{RDFS.subClassOf}>* {_n3(cls)} }}",
                      f"must be an instance of {_short(cls)}"))
    for kind in shapes.objects(shape, SH.nodeKind):
        expr = {SH.IRI: f"isIRI({var})", SH.Literal: f"isLiteral({var})",
                SH.BlankNode: f"isBlank({var})", SH.BlankNodeOrIRI: f"!isLiteral({var})",
                SH.BlankNodeOrLiteral: f"!isIRI({var})", SH.IRIOrLiteral: f"!isBlank({var})"}.get(kind)
        if expr is None:
            raise Unsupported(f"sh:nodeKind {kind}")
        tests.append(("NodeKindConstraintComponent", expr, f"must be a {_short(kind)}"))
    for lst in shapes.objects(shape, SH["in"]):
        members = ", ".join(_n3(m) for m in Collection(shapes, lst))
        allowed = ", ".join(_short(m) for m in Collection(shapes, lst))
        tests.append(("InConstraintComponent", f"({var} IN ({members}))", f"must be one of {allowed}"))
    for pattern in shapes.objects(shape, SH.pattern):
        flags = shapes.value(shape, SH.flags)
        flag_arg = f", {Literal(str(flags)).n3()}" if flags else ""
        tests.append(("PatternConstraintComponent",
                      f"(!isBlank({var}) && REGEX(STR({var}), {Literal(str(pattern)).n3()}{flag_arg}))",
                      f"must match the pattern {pattern}"))
    for pred, op, comp in ((SH.minInclusive, ">=", "MinInclusive"), (SH.maxInclusive, "<=", "MaxInclusive"),
                           (SH.minExclusive, ">", "MinExclusive"), (SH.maxExclusive, "<", "MaxExclusive")):
        for bound in shapes.objects(shape, pred):
            tests.append((comp + "ConstraintComponent", f"COALESCE({var} {op} {_n3(bound)}, false)",
                          f"must be {op} {bound}"))
    for pred, op, comp in ((SH.minLength, ">=", "MinLength"), (SH.maxLength, "<=", "MaxLength")):
        for bound in shapes.objects(shape, pred):
            tests.append((comp + "ConstraintComponent",
                          f"(!isBlank({var}) && STRLEN(STR({var})) {op} {int(bound)})",
                          f"length must be {op} {int(bound)}"))
    for alts in shapes.objects(shape, SH["or"]):
        parts, descriptions = [], []
        for member in Collection(shapes, alts):
            member_path = shapes.value(member, SH.path)
            if member_path is not None:
                # a property shape inside sh:or: only "has at least one value" is compiled
                extra = set(shapes.predicates(member)) - {SH.path, SH.minCount, RDF.type, SH.message,
                                                          SH.name, SH.description}
                if extra or int(shapes.value(member, SH.minCount) or 0) > 1:
                    raise Unsupported("sh:or member property shape beyond sh:minCount 1")
                if int(shapes.value(member, SH.minCount) or 0) == 1:
                    parts.append(f"EXISTS {{ {var} {_path(shapes, member_path)} ?orv }}")
                    descriptions.append(f"a {_short(member_path)}")
                else:
                    parts.append("true")
                continue
            extra = set(shapes.predicates(member)) - {SH.datatype, SH["class"], SH.nodeKind,
                                                        SH["in"], SH.pattern, RDF.type, SH.message}
            if extra:
                raise Unsupported("sh:or member with " + ", ".join(sorted(map(str, extra))))
            member_tests = _value_test(shapes, member, var)
            parts.append("(" + " && ".join([t for _, t, _ in member_tests] or ["true"]) + ")")
            descriptions.append(" and ".join(m.removeprefix("must be ") for _, _, m in member_tests))
        tests.append(("OrConstraintComponent", "(" + " || ".join(parts) + ")",
                      "must have " + " or ".join(descriptions) if var == "?focus" and descriptions
                      and descriptions[0].startswith("a ") else "must be " + " or ".join(descriptions)))
    return tests


def _targets(shapes: rdflib.Graph, shape) -> list[str]:
    """SPARQL patterns that bind ?focus to the shape's focus nodes."""
    out = []
    classes = set(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in shapes:
        classes.add(shape)
    for cls in sorted(classes):
        out.append(f"?focus <{RDF.type}>/<{RDFS.subClassOf}>* {_n3(cls)} .")
    for node in shapes.objects(shape, SH.targetNode):
        out.append(f"VALUES ?focus {{ {_n3(node)} }}")
    for pred in shapes.objects(shape, SH.targetSubjectsOf):
        out.append(f"?focus {_n3(pred)} [] .")
    for pred in shapes.objects(shape, SH.targetObjectsOf):
        out.append(f"[] {_n3(pred)} ?focus .")
    return out


@dataclass
class Check:
    """One compiled constraint: a query returning ?focus (?value) rows that violate it."""

    shape: str
    path: str
    component: str
    severity: str
    message: str
    sparql: str


def _label(term) -> str:
    return str(term) if isinstance(term, URIRef) else "_:" + str(term)


def _needless(target: str, path: str) -> str:
    """The target pattern, or "" when the query's own ``?focus <path> ?value`` implies it
    (sh:targetSubjectsOf the same property): the self-join cost a scan per check."""
    return "" if target == f"?focus {path} [] ." else target


def compile_shapes(shapes: rdflib.Graph) -> list[Check]:
    """Every constraint of every active node shape, as SPARQL. Raises Unsupported."""
    checks: list[Check] = []
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    node_shapes |= {s for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
                    for s in shapes.subjects(p, None)}
    for shape in sorted(node_shapes, key=str):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        targets = _targets(shapes, shape)
        if not targets:
            continue
        unknown = set(shapes.predicates(shape)) - _SUPPORTED
        if unknown or (shape, SH.sparql, None) in shapes:
            raise Unsupported(f"shape {shape} uses " + ", ".join(sorted(map(str, unknown or {SH.sparql}))))
        severity = str(shapes.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        shape_message = str(shapes.value(shape, SH.message) or "")
        for target in targets:
            # node-level value constraints (the focus node itself is the value)
            for component, test, default in _value_test(shapes, shape, "?focus"):
                checks.append(Check(_label(shape), "", component, severity,
                                    shape_message or default,
                                    f"SELECT DISTINCT ?focus (?focus AS ?value) WHERE {{ {target} FILTER(!({test})) }}"))
            for prop in shapes.objects(shape, SH.property):
                if shapes.value(prop, SH.deactivated) == Literal(True):
                    continue
                unknown = set(shapes.predicates(prop)) - _SUPPORTED
                if unknown:
                    raise Unsupported(f"property shape of {shape} uses " + ", ".join(sorted(map(str, unknown))))
                path_node = shapes.value(prop, SH.path)
                path = _path(shapes, path_node)
                path_label = str(path_node) if isinstance(path_node, URIRef) else path
                psev = str(shapes.value(prop, SH.severity) or shapes.value(shape, SH.severity)
                           or SH.Violation).rsplit("#", 1)[-1]
                message = str(shapes.value(prop, SH.message) or shape_message)
                for bound in shapes.objects(prop, SH.minCount):
                    n = int(bound)
                    if n == 1:
                        # MINUS, not FILTER NOT EXISTS: the same answer here (?focus is the only
                        # variable both sides share; targets use no ?v), 3x faster in Oxigraph,
                        # which evaluates MINUS as one anti-join instead of a lookup per focus
                        sparql = f"SELECT DISTINCT ?focus WHERE {{ {target} MINUS {{ ?focus {path} ?v }} }}"
                    else:
                        sparql = (f"SELECT ?focus WHERE {{ {target} OPTIONAL {{ ?focus {path} ?v }} }} "
                                  f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) < {n})")
                    checks.append(Check(_label(shape), path_label, "MinCountConstraintComponent",
                                        psev, message or f"missing: needs at least {n} value(s)", sparql))
                for bound in shapes.objects(prop, SH.maxCount):
                    # the values counted per subject first, the target joined to the few
                    # subjects over the bound: grouping the target's join took 2.3x longer
                    # (COUNT(DISTINCT ?v) is the same either way)
                    sparql = (f"SELECT ?focus WHERE {{ {{ SELECT ?focus WHERE {{ ?focus {path} ?v }} "
                              f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) > {int(bound)}) }} "
                              f"{_needless(target, path)} }}")
                    checks.append(Check(_label(shape), path_label, "MaxCountConstraintComponent",
                                        psev, message or f"allows at most {int(bound)} value(s)", sparql))
                for value in shapes.objects(prop, SH.hasValue):
                    sparql = f"SELECT DISTINCT ?focus WHERE {{ {target} MINUS {{ ?focus {path} {_n3(value)} }} }}"
                    checks.append(Check(_label(shape), path_label, "HasValueConstraintComponent",
                                        psev, message or f"must have value {value}", sparql))
                if shapes.value(prop, SH.uniqueLang) == Literal(True):
                    sparql = (f"SELECT DISTINCT ?focus WHERE {{ {target} ?focus {path} ?a, ?b . "
                              f"FILTER(?a != ?b && LANG(?a) != \"\" && LANG(?a) = LANG(?b)) }}")
                    checks.append(Check(_label(shape), path_label, "UniqueLangConstraintComponent",
                                        psev, message or "one value per language", sparql))
                for langs in shapes.objects(prop, SH.languageIn):
                    allowed = " || ".join(f"LANGMATCHES(LANG(?value), {Literal(str(l)).n3()})"
                                          for l in Collection(shapes, langs))
                    sparql = (f"SELECT DISTINCT ?focus ?value WHERE {{ {target} ?focus {path} ?value . "
                              f"FILTER(!(isLiteral(?value) && ({allowed or 'false'}))) }}")
                    checks.append(Check(_label(shape), path_label, "LanguageInConstraintComponent",
                                        psev, message or "language not allowed", sparql))
                for component, test, default in _value_test(shapes, prop, "?value"):
                    # the test reads ?value only: run it once per distinct value (a few fee
                    # categories, not 1.6 million payments), then find the focus nodes of the
                    # values that fail
                    own = _needless(target, path)
                    sparql = (f"SELECT DISTINCT ?focus ?value WHERE {{ "
                              f"{{ SELECT DISTINCT ?value WHERE {{ {own} ?focus {path} ?value }} }} "
                              f"FILTER(!({test})) {own} ?focus {path} ?value }}")
                    checks.append(Check(_label(shape), path_label, component, psev,
                                        message or default, sparql))
    return checks


def _term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


_TYPE_PATH = re.compile(r"(\?\w+) <" + re.escape(str(RDF.type)) + r">/<" + re.escape(str(RDFS.subClassOf))
                        + r">\* <([^>]+)>")


def _closure_rewriter(store: ox.Store):
    """Replaces ``?x rdf:type/rdfs:subClassOf* <C>`` by ``?x rdf:type ?c VALUES ?c {...}``
    with C's subclasses read from the store once: the store evaluates the path from the
    class end on every use (0.5 s each at 0.5M triples), the VALUES form is an index lookup."""
    cache: dict[str, str] = {}
    counter = [0]

    def values(cls: str) -> str:
        if cls not in cache:
            rows = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}",
                               use_default_graph_as_union=True)
            found = sorted({r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)} | {cls})
            cache[cls] = " ".join(f"<{c}>" for c in found)
        return cache[cls]

    def replace(match: re.Match) -> str:
        counter[0] += 1
        var = f"?cls{counter[0]}"
        return f"{match.group(1)} <{RDF.type}> {var} . VALUES {var} {{ {values(match.group(2))} }}"

    return lambda sparql: _TYPE_PATH.sub(replace, sparql)


def _release_memory() -> None:
    """Hand memory freed by the last query back to the operating system (glibc only).

    Why: a check over 1.6 million payments builds a hash table of a few hundred MB inside
    the store; glibc keeps the freed pages, and the Python objects the detail scan builds
    on its thread meanwhile cannot reuse them, so resident memory grew by the sum of both
    (a national build peaked at 4.3 GiB; without the pages kept, see docs/scale.md)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def validate_store(store: ox.Store, shapes: rdflib.Graph, limit_per_check: int = 10000) -> ValidationReport:
    """Run every compiled check against the union of the store's graphs."""
    checks = compile_shapes(shapes)
    report = ValidationReport(engine="sparql", checks=len(checks))
    rewrite = _closure_rewriter(store)
    for check in checks:
        sparql = rewrite(check.sparql) + f" LIMIT {limit_per_check}"
        try:
            solutions = store.query(sparql, use_default_graph_as_union=True)
        except (SyntaxError, OSError) as exc:  # a bug in the compiler, not in the data
            raise TitpError(f"internal error compiling {check.shape} {check.path}: {exc}\n{sparql}") from None
        rows = [(s["focus"], s["value"] if "value" in [v.value for v in solutions.variables] else None)
                for s in solutions]
        del solutions
        _release_memory()
        for focus, value in rows:
            graph = ""
            if isinstance(focus, (ox.NamedNode, ox.BlankNode)):
                for quad in store.quads_for_pattern(focus, None, None, None):
                    if isinstance(quad.graph_name, ox.NamedNode):
                        graph = quad.graph_name.value
                        break
            report.results.append(ValidationResult(check.severity, check.shape, _term_text(focus),
                                                   check.path, check.component, _term_text(value),
                                                   check.message, graph))
    return report


def validate_with_pyshacl(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None) -> ValidationReport:
    """The reference engine, for small graphs and for checking the compiled one."""
    import pyshacl

    conforms, results_graph, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology,
                                                  inference="none", advanced=False, allow_warnings=True)
    report = ValidationReport(engine="pyshacl")
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        get = lambda p: results_graph.value(result, p)
        component = str(get(SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
        path = get(SH.resultPath)
        focus, value = get(SH.focusNode), get(SH.value)
        if value is not None and component in ("MinCountConstraintComponent", "MaxCountConstraintComponent"):
            value = None
        report.results.append(ValidationResult(
            str(get(SH.resultSeverity)).rsplit("#", 1)[-1], _label(get(SH.sourceShape)),
            _label(focus) if not isinstance(focus, Literal) else str(focus),
            str(path) if isinstance(path, URIRef) else ("" if path is None else "complex"),
            component, "" if value is None else (value.n3() if isinstance(value, Literal) else _label(value)),
            str(get(SH.resultMessage) or "")))
    return report
