"""CLI commands of later pipeline stages, one module each, each exposing ``commands``."""
