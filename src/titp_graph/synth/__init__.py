"""Synthetic recruitment networks shaped like the real one (``titp-graph synth``).

:mod:`.params` holds the marginals with their sources and the assumptions; :mod:`.network`
builds the organizations; :mod:`.generate` draws workers along them and streams RDF.
"""
from .generate import SynthReport, generate, run_key
from .params import GENERATOR_VERSION

__all__ = ["generate", "SynthReport", "run_key", "GENERATOR_VERSION"]
