"""CSV importers driven by declared column mappings (``data/mappings/<kind>.toml``).

>>> from titp_graph.importer import import_csv          # doctest: +SKIP
>>> outcome = import_csv("payments", "payments.csv", salt_file="salt")

See :mod:`.mapping` for the mapping format and :mod:`.convert` for what each datatype does.
"""
from .convert import KnownIris, Problem
from .mapping import WORKER_LEVEL_KINDS, Mapping, bundled_mapping, known_kinds, load_mapping
from .run import ImportOutcome, import_csv, known_iris

__all__ = ["import_csv", "ImportOutcome", "Problem", "KnownIris", "Mapping", "load_mapping",
           "bundled_mapping", "known_kinds", "known_iris", "WORKER_LEVEL_KINDS"]
