"""Shared fixtures: the bundled graph is built once per test session."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def bundled_graph():
    """The bundled ontology and data in an in-memory store (read it, don't change it)."""
    from titp_graph import TitpGraph

    graph = TitpGraph()
    graph.load_bundled()
    return graph


@pytest.fixture(scope="session")
def cli_env() -> dict:
    """Environment for running the installed CLI as a real subprocess."""
    env = dict(os.environ)
    env["TITP_GRAPH_HOME"] = str(ROOT)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


@pytest.fixture(scope="session")
def cli_cmd() -> list[str]:
    return [sys.executable, "-m", "titp_graph.cli"]
