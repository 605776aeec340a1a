"""titp-graph: a sourced knowledge graph of the recruitment supply chain behind Japan's
Technical Intern Training Program (TITP), Specified Skilled Worker (SSW) and Employment for
Skill Development (ESD, from 2027-04-01).

Start with :class:`titp_graph.TitpGraph`.
"""
from .errors import InputError, TitpError, ValidationFailed
from .graph import TitpGraph
from .results import QueryResult

__version__ = "0.1.0"
__all__ = ["TitpGraph", "QueryResult", "TitpError", "InputError", "ValidationFailed", "__version__"]
