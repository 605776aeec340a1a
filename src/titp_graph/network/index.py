"""The chain index: a SQLite file inside an on-disk store folder, written by the build.

Why: at national scale (~470,000 placements, ~1.6 million payments, ~26 million triples) an
on-disk Oxigraph store answers each triple-pattern lookup in ~10 µs, so re-reading the
placements and payments of the busiest supervisor (thousands of placements) takes seconds,
and the fee and forced-labour analyses, which judge every placement against its rules,
take minutes. The build already computes all of this once; the index keeps it:

* ``chain_org``/``hops``/``texts``/``labels``: every chain's trace rows (its hops with
  workers, placements, worker-borne fees, governing norms and their sources), looked up by
  any organization of the chain: :func:`titp_graph.network.trace` reads them in
  milliseconds;
* ``analyses``: the result of each analysis with the parameters the build used (fees,
  brokerage, debt, forced-labour at the default threshold), returned as is when the same
  analysis is asked again with the same parameters.

The records are the very ones the detail queries return (the build runs them once), and the
same pure functions turn them into tables, so index and detail agree by construction;
``tests/test_index.py`` checks it. The index is tied to the store's named graphs (its
fingerprint): if graphs are added or removed it is ignored, and a store whose detail changes
inside a graph must be rebuilt (as for the summaries, see :mod:`.summaries`).
"""
from __future__ import annotations

import gc
import hashlib
import json
from array import array
import os
import sqlite3
import sys
from pathlib import Path

from ..errors import TitpError
from ..namespaces import GRAPH
from .detail import chain_key as _key
from .table import Analysis, Table

INDEX_NAME = "titp-index.sqlite"
VERSION = "9"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chain_org (org TEXT NOT NULL, chain INTEGER NOT NULL);
CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE hops (chain INTEGER NOT NULL, hop INTEGER NOT NULL, from_org TEXT NOT NULL, to_org TEXT NOT NULL,
                   relation TEXT NOT NULL, nationality TEXT NOT NULL, workers INTEGER NOT NULL,
                   placements INTEGER NOT NULL, fees REAL NOT NULL, payments INTEGER NOT NULL,
                   norms INTEGER NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY (chain, hop)) WITHOUT ROWID;
CREATE TABLE labels (org TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE analyses (name TEXT NOT NULL, params TEXT NOT NULL, notes TEXT NOT NULL,
                       PRIMARY KEY (name, params));
CREATE TABLE analysis_tables (name TEXT NOT NULL, params TEXT NOT NULL, position INTEGER NOT NULL,
                              table_name TEXT NOT NULL, title TEXT NOT NULL, columns TEXT NOT NULL,
                              rows BLOB NOT NULL, PRIMARY KEY (name, params, position));
"""


def fingerprint(graph) -> str:
    """A digest of the store's named graphs other than the derived ones (cheap at any size)."""
    names = [g for g in graph.graphs() if not g.startswith(GRAPH + "derived/")]
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def params_key(params: dict) -> str:
    return json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True)


def write_index(graph, chains: list[dict], fee_records: list[dict], labels: dict[str, str],
                analyses: list[tuple[str, dict, Analysis]], path: Path | None = None) -> Path:
    """Write the index for ``graph`` (into its store folder unless ``path``); atomic.

    ``chains``/``fee_records`` are :func:`.summaries.chain_records`; every chain's trace rows
    (hops with fees, governing norms and their sources) are worked out here once by
    :func:`.chains.trace_table`, so that a
    trace of the busiest supervisor (13,000 hops nationally) is a lookup, not a computation.
    """
    from .chains import NORMS, norm_table, trace_table
    from .fees import rule_sources
    from .sparql import run

    hop_rows = trace_table("", chains, fee_records, norm_table(run(graph, NORMS)), {},
                           rule_sources(graph)).tables[0].rows
    if path is None:
        if graph.store_dir is None:
            raise TitpError("the chain index needs an on-disk store (titp-graph build --store DIR)")
        path = Path(graph.store_dir) / INDEX_NAME
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("version", VERSION), ("fingerprint", fingerprint(graph))])
        # chains are numbered in key order, as trace_table numbers them in ``hop_rows``
        org_rows = [(org, number) for number, rec in enumerate(sorted(chains, key=_key), start=1)
                    for org in sorted({v for v in _key(rec)[:4] if v})]
        db.executemany("INSERT INTO chain_org VALUES (?, ?)", org_rows)
        # the norms and sources texts repeat across hops: stored once (a trace reads 2x faster)
        texts: dict[str, int] = {}
        for r in hop_rows:
            texts.setdefault(r[12], len(texts) + 1)
            texts.setdefault(r[13], len(texts) + 1)
        db.executemany("INSERT INTO texts VALUES (?, ?)", [(i, text) for text, i in texts.items()])
        db.executemany("INSERT INTO hops VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(r[0], r[1], r[2], r[4], r[6], r[7], r[8], r[9], float(r[10]), r[11], texts[r[12]],
                         texts[r[13]]) for r in hop_rows])
        db.executemany("INSERT INTO labels VALUES (?, ?)", sorted(labels.items()))
        for name, params, result in analyses:
            key = params_key(params)
            db.execute("INSERT INTO analyses VALUES (?, ?, ?)", (name, key, json.dumps(result.notes)))
            # one row per table, so that a caller wanting one small table (e.g. fees
            # by nationality) does not decode the per-chain ones (~1 GB of JSON nationally)
            db.executemany("INSERT INTO analysis_tables VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(name, key, i, table.name, table.title, json.dumps(table.columns), _dump_rows(table.rows))
                            for i, table in enumerate(result.tables)])
        db.execute("CREATE INDEX chain_org_by_org ON chain_org (org)")
        db.commit()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, path)
    return path


def _dump_rows(rows: list[list]) -> bytes:
    """A table's rows column by column, as one binary value: a JSON header (row count, the
    distinct strings, each column's kind and byte length) followed by the packed columns.
    Text columns are codes into the list of distinct strings, whole-number, float and
    true/false columns little-endian machine arrays; anything else (mixed types, missing
    values among numbers) stays JSON values in the header. Numbers keep full precision
    (unlike the rounded CSV/JSON exports).

    Why: the national per-chain fee tables hold ~900,000 rows; as JSON rows they took 7.7 s
    to decode, as coded columns in base64 text 2.2 s (0.45 s of it base64), raw less.

    >>> _load_rows(_dump_rows([["a", 1, None, True, 0.5], ["b", 2, "a", False, 1e300],
    ...                        ["a", -3, None, True, -0.0]]))
    [['a', 1, None, True, 0.5], ['b', 2, 'a', False, 1e+300], ['a', -3, None, True, -0.0]]
    >>> _load_rows(_dump_rows([[1, 2**70], [None, 1.5]]))  # mixed or too big: JSON values
    [[1, 1180591620717411303424], [None, 1.5]]
    >>> _load_rows(_dump_rows([]))
    []
    """
    width = max((len(r) for r in rows), default=0)
    strings: dict = {None: 0}
    columns, payload = [], []
    for i in range(width):
        values = [r[i] if i < len(r) else None for r in rows]
        kinds = set(map(type, values))
        if kinds <= {str, type(None)}:
            kind, packed = "I", _pack("I", [strings.setdefault(v, len(strings)) for v in values])
        elif kinds == {bool}:
            kind, packed = "B", _pack("B", values)
        elif kinds == {float}:
            kind, packed = "d", _pack("d", values)
        elif kinds == {int} and all(-2**63 <= v < 2**63 for v in values):
            kind, packed = "q", _pack("q", values)
        else:
            columns.append({"values": values})
            continue
        columns.append({"packed": kind, "bytes": len(packed)})
        payload.append(packed)
    header = json.dumps({"rows": len(rows), "strings": [s for s in strings if s is not None],
                         "columns": columns}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _MAGIC + len(header).to_bytes(8, "little") + header + b"".join(payload)


_MAGIC = b"titp-rows-1\n"


def _pack(code: str, values) -> bytes:
    """Values as a little-endian machine array (the index is portable)."""
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _unpack(code: str, data) -> array:
    packed = array(code)
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed


def _load_rows(blob: bytes) -> list[list]:
    """The rows of :func:`_dump_rows`, with the cyclic garbage collector paused: building a
    million small lists otherwise sets it off hundreds of times (half the decode time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode_rows(blob)
    finally:
        if enabled:
            gc.enable()


_BOOLS = (False, True)


def _decode_rows(blob: bytes) -> list[list]:
    if not blob.startswith(_MAGIC):
        raise TitpError("chain index: unknown table encoding (rebuild the store)")
    at = len(_MAGIC) + 8
    size = int.from_bytes(blob[len(_MAGIC):at], "little")
    data = json.loads(blob[at:at + size])
    at += size
    view = memoryview(blob)
    strings = [None, *data["strings"]]
    columns = []
    for column in data["columns"]:
        if "values" in column:
            columns.append(column["values"])
            continue
        kind, end = column["packed"], at + column["bytes"]
        packed = _unpack(kind, view[at:end])
        at = end
        if kind == "I":
            columns.append(map(strings.__getitem__, packed))
        elif kind == "B":
            columns.append(map(_BOOLS.__getitem__, packed))
        else:
            columns.append(packed)
    if not columns:
        return [[] for _ in range(data["rows"])]
    return list(map(list, zip(*columns)))


class ChainIndex:
    """A read-only view of one index file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @classmethod
    def for_graph(cls, graph, required: bool = False) -> "ChainIndex | None":
        """The index of ``graph``'s store if it has a fresh one; None (or an error if
        ``required``) when it is in memory, has none, or has one built for other graphs."""
        folder = getattr(graph, "store_dir", None)
        path = Path(folder) / INDEX_NAME if folder is not None else None
        why = None
        if path is None:
            why = "the store is in memory"
        elif not path.is_file():
            why = f"{path} does not exist (build with --store to write it)"
        else:
            try:
                index = cls(path)
                if index.meta("version") != VERSION:
                    why = f"{path} was written by another version"
                elif index.meta("fingerprint") != fingerprint(graph):
                    why = f"{path} was built for other named graphs (rebuild the store)"
                else:
                    return index
            except sqlite3.DatabaseError as exc:
                why = f"{path}: {exc}"
        if required:
            raise TitpError(f"no usable chain index: {why}")
        return None

    def trace_rows(self, org: str) -> tuple[list[list], int]:
        """The trace table rows for ``org`` (chains renumbered from 1) and its chain count."""
        rows, numbers = [], {}
        texts = dict(self.db.execute("SELECT id, text FROM texts"))
        cur = self.db.execute(
            "SELECT h.chain, h.hop, h.from_org, h.to_org, h.relation, h.nationality, h.workers, h.placements, "
            "h.fees, h.payments, h.norms, h.sources FROM chain_org o JOIN hops h ON h.chain = o.chain "
            "WHERE o.org = ? ORDER BY h.chain, h.hop", (org,))
        for chain, hop, u, v, relation, nat, workers, placements, paid, payments, norms, sources in cur:
            number = numbers.setdefault(chain, len(numbers) + 1)
            rows.append([number, hop, u, "", v, "", relation, nat, workers, placements, paid, payments,
                         texts[norms], texts[sources]])
        chains = self.db.execute("SELECT COUNT(*) FROM chain_org WHERE org = ?", (org,)).fetchone()[0]
        if rows:
            orgs = sorted({r[2] for r in rows} | {r[4] for r in rows})
            labels: dict[str, str] = {}
            for start in range(0, len(orgs), 500):
                part = orgs[start:start + 500]
                labels.update(self.db.execute(
                    f"SELECT org, label FROM labels WHERE org IN ({','.join('?' * len(part))})", part).fetchall())
            for r in rows:
                r[3], r[5] = labels.get(r[2], ""), labels.get(r[4], "")
        return rows, chains

    def analysis(self, name: str, params: dict, tables: list[str] | None = None) -> Analysis | None:
        """The analysis as the build computed it with ``params`` (None if it did not);
        ``tables`` names the tables to read (default: all, in their order)."""
        key = params_key(params)
        row = self.db.execute("SELECT notes FROM analyses WHERE name = ? AND params = ?", (name, key)).fetchone()
        if row is None:
            return None
        sql = "SELECT table_name, title, columns, rows FROM analysis_tables WHERE name = ? AND params = ?"
        args: list = [name, key]
        if tables is not None:
            sql += f" AND table_name IN ({','.join('?' * len(tables))})"
            args += list(tables)
        out = [Table(table_name, title, json.loads(columns), _load_rows(rows))
               for table_name, title, columns, rows in self.db.execute(sql + " ORDER BY position", args)]
        return Analysis(name, out, json.loads(row[0]))
