"""SPARQL pieces the network analyses share, and one way to run them.

The analyses read the store through a few queries (see :mod:`.detail` for placements and
payments), never triple by triple. An optional organization filter binds ``?org`` with VALUES
from a parsed, validated IRI term (the store's substitutions only reach projected
variables), never from raw user text.
"""
from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox

from ..errors import TitpError
from ..queries import to_term

#: The four positions an organization can hold in a placement.
ROLES = {
    "sending": "titp:sendingOrganization",
    "broker": "titp:broker",
    "supervising": "titp:supervisingOrganization",
    "employer": "titp:employer",
}

#: A placement ?p with its chain (?s ?b ?sup ?e; ?b and ?s/?sup may be unbound), its
#: nationality ?nat and its worker count ?n (titp:workerCount, else 1 per placement).
PLACEMENT = """
  ?p a titp:Placement ; titp:employer ?e .
  OPTIONAL { ?p titp:sendingOrganization ?s }
  OPTIONAL { ?p titp:broker ?b }
  OPTIONAL { ?p titp:supervisingOrganization ?sup }
  OPTIONAL { ?p titp:nationality ?nat }
  OPTIONAL { ?p titp:workerCount ?wc }
  BIND(COALESCE(?wc, 1) AS ?n)
"""

#: Restricts PLACEMENT to placements in which ?org holds any of the four positions.
#: It comes first in the WHERE clause, so the store starts from the organization's own
#: placements (an index lookup) instead of scanning every placement (0.2 s instead of
#: 10 s for the busiest supervisor of a 3M-triple on-disk store), and yields each
#: placement once even where the organization holds two positions in it.
ORG_FILTER = """
  { ?p titp:sendingOrganization ?org }
  UNION { ?p titp:broker ?org FILTER NOT EXISTS { ?p titp:sendingOrganization ?org } }
  UNION { ?p titp:supervisingOrganization ?org
          FILTER NOT EXISTS { ?p titp:sendingOrganization|titp:broker ?org } }
  UNION { ?p titp:employer ?org
          FILTER NOT EXISTS { ?p titp:sendingOrganization|titp:broker|titp:supervisingOrganization ?org } }
"""


def org_term(value: str) -> ox.NamedNode:
    """An organization IRI from ``<iri>``, ``https://...`` or a prefixed name.

    >>> org_term("syn:employer/e1").value
    'https://w3id.org/titp-graph/id/synthetic/employer/e1'
    >>> org_term("not an iri")
    Traceback (most recent call last):
    titp_graph.errors.TitpError: organization 'not an iri': not an IRI or prefixed name (e.g. syn:employer/123 or <https://...>)
    """
    term = None
    if value and not any(c in value for c in ' \t\n"{}|\\^`'):
        term = to_term(value, None, "organization")
    if not isinstance(term, ox.NamedNode):
        raise TitpError(f"organization {value[:200]!r}: not an IRI or prefixed name "
                        "(e.g. syn:employer/123 or <https://...>)")
    return term


def run(graph, body: str, org: str | ox.NamedNode | None = None) -> list[dict]:
    """Run ``body`` (a SELECT whose WHERE may hold ``{ORG}``) and return records."""
    snippet = ""
    if org is not None:
        term = org if isinstance(org, ox.NamedNode) else org_term(org)
        # str() of a NamedNode is its validated N-Triples form <...>: it cannot close the IRI
        snippet = f"VALUES ?org {{ {term} }}" + ORG_FILTER
    return graph.query(body.replace("{ORG}", snippet)).records()


def number(value) -> float:
    """A float for arithmetic and for GraphML/GEXF (which take no Decimal)."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
