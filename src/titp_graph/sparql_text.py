"""SPARQL query text, read safely: a small tokenizer and parameter binding.

The tokenizer knows strings, comments and IRIs, so a keyword inside a literal (``"SERVICE"``)
is not a keyword. Parameters are bound with a ``VALUES`` block that opens the query's WHERE
group; each value is an RDF term written in N-Triples syntax by pyoxigraph, so quotes,
newlines or ``}`` in a value stay inside its literal: a value can never become query text.
pyoxigraph's own substitution would be neater, but it only accepts variables that appear
in the SELECT projection, and the same binding must work on remote endpoints too.
"""
from __future__ import annotations

import re

import pyoxigraph as ox

from .errors import TitpError

TOKENS = re.compile(r'''
    (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<word>[?$]?[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)

_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


def keywords(query: str) -> list[str]:
    """The bare words of a query (upper-cased), skipping strings, comments, IRIs, variables
    and prefixed names, so ``"SERVICE"`` in a literal or ``ex:service`` is not a keyword."""
    out = []
    for match in TOKENS.finditer(query):
        word = match.group("word")
        if word and word[0] not in "?$:" and ":" not in word:
            out.append(word.upper())
    return out


def query_kind(query: str) -> str:
    """'results' for SELECT/ASK, 'graph' for CONSTRUCT/DESCRIBE (from the first verb)."""
    for word in keywords(query):
        if word in ("SELECT", "ASK"):
            return "results"
        if word in ("CONSTRUCT", "DESCRIBE"):
            return "graph"
    return "results"


_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def values_block(bindings: dict) -> str:
    """``VALUES (?a ?b) { (<x> "y") }`` for the bindings; blank nodes are refused."""
    names, cells = [], []
    for name, term in sorted(bindings.items()):
        if not _VAR.fullmatch(name):
            raise TitpError(f"parameter name {name!r} is not a SPARQL variable name")
        if not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise TitpError(f"parameter {name}: only IRIs and literals can be sent to a remote endpoint")
        names.append("?" + name)
        cells.append(str(term))  # N-Triples form, escaped by pyoxigraph
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(cells)}) }}"


def inject_values(query: str, bindings: dict) -> str:
    """The query with a VALUES block opening its outermost WHERE group."""
    if not bindings:
        return query
    block = values_block(bindings)
    seen_where, seen_verb = False, None
    for match in TOKENS.finditer(query):
        word = (match.group("word") or "").upper()
        if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") and seen_verb is None:
            seen_verb = word
        elif word == "WHERE":
            seen_where = True
        elif match.group("other") == "{" and seen_verb and (seen_where or seen_verb in ("SELECT", "ASK")):
            at = match.end()
            return query[:at] + " " + block + " " + query[at:]
    raise TitpError("cannot find the query's WHERE group to bind parameters into")
