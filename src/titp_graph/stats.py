"""Counts an analyst looks at first: triples, entities by class, graphs, sources."""
from __future__ import annotations

from .graph import TitpGraph


def stats(graph: TitpGraph) -> dict:
    """Triples, named graphs (with sizes), entities by class and source documents."""
    graphs = graph.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    classes = graph.query(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class "
        "FILTER(STRSTARTS(STR(?class), STR(titp:)) || ?class IN (qb:Observation, skos:Concept, qb:DataSet)) } "
        "GROUP BY ?class ORDER BY DESC(?n) ?class")
    sources = graph.query(
        "SELECT ?source ?title ?publisher ?issued ?confidence WHERE { ?source a titp:SourceDocument . "
        "OPTIONAL { ?source dct:title ?title } OPTIONAL { ?source dct:publisher/rdfs:label ?publisher "
        "FILTER(LANGMATCHES(LANG(?publisher), 'en')) } OPTIONAL { ?source dct:issued ?issued } "
        "OPTIONAL { ?source titp:confidence/skos:notation ?confidence } } ORDER BY ?source")
    seen, source_rows = set(), []
    for row in sources.rows:
        if row[0] not in seen:
            seen.add(row[0])
            source_rows.append(row)
    return {
        "triples": len(graph),
        "graphs": [(g, n) for g, n in graphs.rows],
        "classes": [(c, n) for c, n in classes.rows],
        "sources": source_rows,
    }
