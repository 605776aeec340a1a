"""The chain index: a SQLite file inside an on-disk store folder, written by the build.

Why: at national scale (~470,000 placements, ~1.6 million payments, ~26 million triples) an
on-disk Oxigraph store answers each triple-pattern lookup in ~10 µs, so re-reading the
placements and payments of the busiest supervisor (thousands of placements) takes seconds,
and the fee and forced-labour analyses, which judge every placement against its rules,
take minutes. The build already computes all of this once; the index keeps it:

* ``chains``/``chain_fees``/``chain_org``: every chain (sending organization, broker,
  supervising organization, employer, nationality) with workers, placements, the
  (start date, program) pairs of its placements and the worker-borne fees by payee role,
  looked up by organization: :func:`titp_graph.network.trace` reads it in milliseconds;
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

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from ..errors import TitpError
from ..namespaces import GRAPH
from .table import Analysis, Table

INDEX_NAME = "titp-index.sqlite"
VERSION = "2"
_CHAIN = ("s", "b", "sup", "e", "nat")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chains (id INTEGER PRIMARY KEY, s TEXT, b TEXT, sup TEXT, e TEXT, nat TEXT,
                     workers INTEGER NOT NULL, placements INTEGER NOT NULL, starts TEXT NOT NULL);
CREATE TABLE chain_fees (chain INTEGER NOT NULL, payee_role TEXT NOT NULL, fees REAL NOT NULL,
                         payments INTEGER NOT NULL, unconverted INTEGER NOT NULL);
CREATE TABLE chain_org (org TEXT NOT NULL, chain INTEGER NOT NULL);
CREATE TABLE labels (org TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE analyses (name TEXT NOT NULL, params TEXT NOT NULL, notes TEXT NOT NULL,
                       PRIMARY KEY (name, params));
CREATE TABLE analysis_tables (name TEXT NOT NULL, params TEXT NOT NULL, position INTEGER NOT NULL,
                              table_name TEXT NOT NULL, title TEXT NOT NULL, columns TEXT NOT NULL,
                              rows TEXT NOT NULL, PRIMARY KEY (name, params, position));
"""


def fingerprint(graph) -> str:
    """A digest of the store's named graphs other than the derived ones (cheap at any size)."""
    names = [g for g in graph.graphs() if not g.startswith(GRAPH + "derived/")]
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def params_key(params: dict) -> str:
    return json.dumps({k: params[k] for k in sorted(params)}, sort_keys=True)


def _key(rec: dict) -> tuple:
    return tuple(rec.get(k) or "" for k in _CHAIN)


def write_index(graph, chains: list[dict], fee_records: list[dict], labels: dict[str, str],
                analyses: list[tuple[str, dict, Analysis]], path: Path | None = None) -> Path:
    """Write the index for ``graph`` (into its store folder unless ``path``); atomic."""
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
        ids: dict[tuple, int] = {}
        rows, org_rows = [], []
        for number, rec in enumerate(sorted(chains, key=_key), start=1):
            key = _key(rec)
            ids[key] = number
            rows.append((number, *[v or None for v in key], int(rec["workers"]), int(rec["placements"]),
                         rec.get("starts") or ""))
            for org in {v for v in key[:4] if v}:
                org_rows.append((org, number))
        db.executemany("INSERT INTO chains VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO chain_org VALUES (?, ?)", org_rows)
        fee_rows = []
        for rec in fee_records:
            chain = ids.get(_key(rec))
            if chain is not None:
                fee_rows.append((chain, rec.get("payeeRole", "other"), float(rec.get("fees") or 0),
                                 int(rec.get("payments", 0)), int(rec.get("unconvertedPayments", 0))))
        db.executemany("INSERT INTO chain_fees VALUES (?, ?, ?, ?, ?)", fee_rows)
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
        db.execute("CREATE INDEX chain_fees_by_chain ON chain_fees (chain)")
        db.commit()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, path)
    return path


def _dump_rows(rows: list[list]) -> str:
    """Full precision (json keeps floats exact), unlike the rounded CSV/JSON exports."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


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

    def chains_through(self, org: str) -> tuple[list[dict], list[dict], dict[str, str]]:
        """Chain records, fee records and labels for every chain ``org`` holds a position in."""
        cur = self.db.execute(
            "SELECT c.id, c.s, c.b, c.sup, c.e, c.nat, c.workers, c.placements, c.starts FROM chain_org o "
            "JOIN chains c ON c.id = o.chain WHERE o.org = ? ORDER BY c.id", (org,))
        chains, ids = [], {}
        for row in cur:
            rec = {k: v for k, v in zip(_CHAIN, row[1:6]) if v is not None}
            rec.update(workers=row[6], placements=row[7], starts=row[8])
            chains.append(rec)
            ids[row[0]] = rec
        fees = []
        if ids:
            cur = self.db.execute(
                "SELECT f.chain, f.payee_role, f.fees, f.payments, f.unconverted FROM chain_org o "
                "JOIN chain_fees f ON f.chain = o.chain WHERE o.org = ? ORDER BY f.chain, f.payee_role", (org,))
            for chain, role, paid, payments, unconverted in cur:
                rec = {k: v for k, v in ids[chain].items() if k in _CHAIN}
                rec.update(payeeRole=role, fees=paid, payments=payments, unconvertedPayments=unconverted)
                fees.append(rec)
        orgs = sorted({v for c in chains for k, v in c.items() if k in _CHAIN[:4]})
        labels = {}
        for start in range(0, len(orgs), 500):
            part = orgs[start:start + 500]
            labels.update(self.db.execute(
                f"SELECT org, label FROM labels WHERE org IN ({','.join('?' * len(part))})", part).fetchall())
        return chains, fees, labels

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
        out = [Table(table_name, title, json.loads(columns), json.loads(rows))
               for table_name, title, columns, rows in self.db.execute(sql + " ORDER BY position", args)]
        return Analysis(name, out, json.loads(row[0]))
