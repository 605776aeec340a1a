"""Where the bundled ontology, data and named queries live.

Looked up in this order, so that edits in a checkout are seen without reinstalling:

1. ``$TITP_GRAPH_HOME`` if set;
2. the current directory, if it is a titp-graph checkout;
3. the source checkout the package runs from (an editable install);
4. package data under ``titp_graph/_bundled/`` (a plain ``pip install .`` copies
   ``ontology/`` and ``data/`` there).
"""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _is_checkout(folder: Path) -> bool:
    project = folder / "pyproject.toml"
    if not (project.is_file() and (folder / "ontology").is_dir() and (folder / "data").is_dir()):
        return False
    return 'name = "titp-graph"' in project.read_text(encoding="utf-8", errors="replace")


def bundled_root() -> Path:
    """The folder that holds ``ontology/`` and ``data/``."""
    env = os.environ.get("TITP_GRAPH_HOME")
    if env:
        return Path(env)
    for candidate in (Path.cwd(), _PACKAGE.parent.parent):
        if _is_checkout(candidate):
            return candidate
    return _PACKAGE / "_bundled"


def ontology_dir() -> Path:
    return bundled_root() / "ontology"


def data_dir() -> Path:
    return bundled_root() / "data"


def queries_dir() -> Path:
    return _PACKAGE / "queries"


def default_exports_dir() -> Path:
    return Path.cwd() / "exports"
