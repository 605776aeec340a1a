"""Worker processes that run queries, so a runaway query can be stopped.

pyoxigraph evaluates a query in Rust without a cancellation hook, and an in-memory store
cannot be shared between processes. So each worker process opens the data itself (an
on-disk store read-only, which takes milliseconds, or an exports folder / RDF file parsed
once at start) and answers jobs over a pipe. A job that overruns the time limit gets its
worker killed and replaced; the other workers go on serving.
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from multiprocessing.connection import Connection
from typing import Any


class QueryTimeout(Exception):
    """The job ran past its time limit; its worker was stopped."""


class WorkerFailed(Exception):
    """The worker process died or could not start."""


# -- inside a worker process --------------------------------------------------------------
def _worker_main(conn: Connection, source: str | None, max_results: int) -> None:
    from ..errors import TitpError
    from ..graph import TitpGraph
    from . import jobs

    try:
        graph = TitpGraph.open(source)
    except TitpError as exc:
        conn.send(("fatal", str(exc)))
        return
    conn.send(("ready", len(graph)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            conn.send(("ok", jobs.run(graph, job, max_results)))
        except jobs.JobError as exc:
            conn.send(("error", (exc.status, exc.message)))
        except Exception as exc:  # a bug: report it, keep the worker alive
            conn.send(("error", (500, f"internal error: {type(exc).__name__}: {exc}")))


# -- in the server --------------------------------------------------------------------------
@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any

    def stop(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.conn.close()
        except OSError:
            pass


class WorkerPool:
    """A fixed number of query workers; :meth:`run` sends a job to an idle one."""

    def __init__(self, source: str | Path | None, size: int = 2, timeout: float = 10.0,
                 max_results: int = 100_000, start_timeout: float = 600.0):
        self.source = str(source) if source is not None else None
        self.size = max(1, size)
        self.timeout = timeout
        self.max_results = max_results
        self.start_timeout = start_timeout
        self.triples = 0
        self._idle: asyncio.Queue | None = None
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.restarts = 0

    def _spawn(self) -> _Worker:
        # A fresh interpreter (not fork: no inherited locks or store handles, and no
        # dependence on how the server's __main__ was started), talking over a socket pair.
        ours, theirs = socket.socketpair()
        args = [sys.executable, "-m", "titp_graph.serve.pool", str(theirs.fileno()),
                self.source or "", str(self.max_results)]
        process = subprocess.Popen(args, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        parent = Connection(ours.detach())
        worker = _Worker(process, parent)
        if not parent.poll(self.start_timeout):
            worker.stop()
            raise WorkerFailed(f"a query worker did not open {self.source or 'the bundled data'} "
                               f"within {self.start_timeout:.0f} s")
        try:
            status, value = parent.recv()
        except (EOFError, OSError):
            worker.stop()
            raise WorkerFailed("a query worker died while opening the data") from None
        if status != "ready":
            worker.stop()
            raise WorkerFailed(value)
        self.triples = value
        with self._lock:
            self._all.add(worker)
        return worker

    async def start(self) -> None:
        """Start every worker (in parallel threads: each may parse the data)."""
        self._idle = asyncio.Queue()
        loop = asyncio.get_running_loop()
        workers = await asyncio.gather(*(loop.run_in_executor(None, self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.stop)
        self.restarts += 1
        try:
            fresh = await loop.run_in_executor(None, self._spawn)
        except WorkerFailed:
            await asyncio.sleep(1)
            asyncio.ensure_future(self._replace(worker))
            return
        self._idle.put_nowait(fresh)

    async def run(self, job: dict, timeout: float | None = None) -> Any:
        """Run ``job`` in a worker; raise QueryTimeout, WorkerFailed or return its answer.

        The time limit counts from when a worker takes the job; waiting for a free worker
        is limited to the same amount again.
        """
        if self._idle is None:
            raise WorkerFailed("the worker pool is not started")
        limit = self.timeout if timeout is None else timeout
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=max(limit, 1.0))
        except asyncio.TimeoutError:
            raise QueryTimeout(f"all {self.size} query workers stayed busy for {limit:g} s; "
                               "try again later") from None
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        try:
            worker.conn.send(job)
            ready = await loop.run_in_executor(None, worker.conn.poll, limit)
            if not ready:
                asyncio.ensure_future(self._replace(worker))
                worker = None
                raise QueryTimeout(f"the query ran longer than the {limit:g} s time limit and was "
                                   "stopped; narrow it (add LIMIT, more specific patterns)")
            status, value = await loop.run_in_executor(None, worker.conn.recv)
        except (EOFError, OSError, BrokenPipeError):
            if worker is not None:
                asyncio.ensure_future(self._replace(worker))
                worker = None
            raise WorkerFailed(f"the query worker died after {time.monotonic() - started:.1f} s") from None
        finally:
            if worker is not None:
                self._idle.put_nowait(worker)
        if status == "error":
            from .jobs import JobError
            raise JobError(*value)
        return value

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


if __name__ == "__main__":
    # python -m titp_graph.serve.pool FD SOURCE MAX_RESULTS (started by WorkerPool)
    sys.stdout = sys.stderr  # the socket is the only channel back
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2] or None, int(sys.argv[3]))
