"""Interactive, offline, escaped HTML views of the graph (vis-network, laid out in Python).

One module per view (institutions, chain, country, fees) builds a :class:`View` from SPARQL;
:mod:`.base` writes it as a self-contained page; :mod:`.index` writes them all for the build.
"""
from .base import DEFAULT_MAX_NODES, View, render, write
from .index import views_step, write_all

__all__ = ["View", "render", "write", "write_all", "views_step", "DEFAULT_MAX_NODES"]
