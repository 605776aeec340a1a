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


NETWORK_FIXTURE = Path(__file__).parent / "fixtures" / "network" / "small.ttl"


def small_network(kind: str, tmp_path_factory, seed: int):
    """A graph with the bundled data plus either a 400-worker synthetic network
    (``kind`` "synthetic", generated with ``seed``) or the hand-checked network fixture."""
    from titp_graph import TitpGraph
    from titp_graph.synth import generate

    graph = TitpGraph()
    if kind == "synthetic":
        path = tmp_path_factory.mktemp("synth") / "small.nt"
        generate(path, workers=400, seed=seed)
        graph.load_bundled([path])
    else:
        graph.load_bundled([NETWORK_FIXTURE])
    return graph
