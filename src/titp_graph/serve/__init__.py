"""Serving the graph: a read-only SPARQL 1.1 endpoint and linked-data pages.

``app.create_app`` builds the Starlette application; queries run in worker processes
(``pool``) so that a runaway query can be stopped without stopping the server.
"""
