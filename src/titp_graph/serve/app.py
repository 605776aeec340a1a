"""The Starlette application: /sparql, /id/..., the query page and the exports as files.

Run it with ``titp-graph serve``. Queries never run in the web process: they go to a
:class:`~titp_graph.serve.pool.WorkerPool`, which enforces the time limit by stopping the
worker; the result-size limit is enforced inside the worker.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import linked_data, pages
from .jobs import JobError
from .pool import QueryTimeout, WorkerFailed, WorkerPool
from .sparql import GRAPH_FORMATS, ProtocolError, decode_request, media_type, service_description

MAX_BODY = 1_000_000


def _error(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status,
                             headers={"Cache-Control": "no-store"})


async def _answer(pool: WorkerPool, job: dict):
    """Run a job and map every failure to (status, message)."""
    try:
        return await pool.run(job)
    except QueryTimeout as exc:
        raise ProtocolError(503, str(exc)) from None
    except WorkerFailed as exc:
        raise ProtocolError(500, str(exc)) from None
    except JobError as exc:
        raise ProtocolError(exc.status, exc.message) from None


def create_app(source: str | Path | None = None, exports_dir: str | Path | None = None,
               timeout: float = 10.0, max_results: int = 100_000, workers: int = 2,
               max_query_length: int = 100_000) -> Starlette:
    """The web application for ``source`` (a store folder, an exports folder or an RDF file;
    None: the bundled data). ``exports_dir`` is served under /exports/ if given."""
    pool = WorkerPool(source, size=workers, timeout=timeout, max_results=max_results)
    exports = Path(exports_dir) if exports_dir is not None else None
    state: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await pool.start()
        try:
            yield
        finally:
            pool.close()

    async def graph_sizes() -> list[tuple[str, int]]:
        if "graphs" not in state:
            state["graphs"] = await _answer(pool, {"kind": "graphs"})
        return state["graphs"]

    async def sparql(request: Request) -> Response:
        try:
            body = await request.body()
            if len(body) > MAX_BODY:
                raise ProtocolError(413, f"the request body is larger than {MAX_BODY:,} bytes")
            content_type = request.headers.get("content-type", "")
            form = []
            if request.method == "POST" and content_type.split(";")[0].strip().lower() == \
                    "application/x-www-form-urlencoded":
                form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            decoded = decode_request(request.method, content_type, request.query_params.multi_items(),
                                     form, body, request.headers.get("accept"), max_query_length)
            if decoded is None:
                fmt = linked_data.negotiate(request.headers.get("accept"), request.query_params.get("format"))
                fmt = "turtle" if fmt == "html" else fmt
                endpoint = str(request.url.replace(query=""))
                text = service_description(endpoint, await graph_sizes(), fmt)
                return Response(text, media_type=GRAPH_FORMATS[fmt][0])
            fmt, payload = await _answer(pool, {
                "kind": "sparql", "query": decoded.query, "default_graphs": decoded.default_graphs,
                "named_graphs": decoded.named_graphs, "format": decoded.format})
            return Response(payload, media_type=media_type(fmt),
                            headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"})
        except ProtocolError as exc:
            return _error(exc.status, exc.message)

    async def entity(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw.decode("utf-8", "replace").split("?", 1)[0]
        try:
            fmt = linked_data.negotiate(request.headers.get("accept"), request.query_params.get("format"))
            iri = linked_data.iri_for_path(path)
            data = await _answer(pool, {"kind": "entity", "iri": iri, "format": fmt})
        except ProtocolError as exc:
            return _error(exc.status, exc.message)
        headers = {"Vary": "Accept"}
        if data is None:
            if fmt == "html":
                return HTMLResponse(pages.error_page(404, f"nothing is known about {iri}"), 404)
            return _error(404, f"nothing is known about {iri}")
        if fmt == "html":
            return HTMLResponse(linked_data.entity_html(data), headers=headers)
        return Response(data, media_type=linked_data.media_type(fmt), headers=headers)

    async def home(request: Request) -> Response:
        from ..queries import list_named

        try:
            named = list_named()
        except Exception:  # a broken .rq file must not take the query page down
            named = []
        return HTMLResponse(pages.query_page(named, pool.triples, pool.timeout, pool.max_results))

    async def ontology(request: Request) -> Response:
        docs = exports / "ontology" / "index.html" if exports is not None else None
        if docs is None or not docs.is_file():
            return HTMLResponse(pages.error_page(404, "no ontology documentation: build the exports "
                                                      "and serve them with --from EXPORTS"), 404)
        return HTMLResponse(docs.read_text(encoding="utf-8"))

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/id/{rest:path}", entity),
        Route("/concept/{rest:path}", entity),
        Route("/ontology/", ontology),
        Route("/ontology", lambda request: RedirectResponse("/ontology/", 301)),
    ]
    if exports is not None and exports.is_dir():
        routes.append(Mount("/exports", StaticFiles(directory=str(exports), html=True), name="exports"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.pool = pool
    return app
