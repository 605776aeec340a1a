"""`titp-graph import`: CSV -> RDF through declared mappings, checked row by row.

Run through the real CLI (click's CliRunner, and one real subprocess); outputs are parsed
back with pyoxigraph and rdflib.
"""
from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from titp_graph.cli import main
from titp_graph.importer import known_kinds
from titp_graph.importer import values as V

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "import"
TEMPLATES = ROOT / "data" / "templates"
T = "https://w3id.org/titp-graph/ontology#"
ID = "https://w3id.org/titp-graph/id/"
ORG_KINDS = ["sending-organizations", "supervising-organizations", "registered-support-organizations", "employers"]
ALL_KINDS = ORG_KINDS + ["placements", "payments", "debts", "sanctions", "inspections"]


def run(*args, env=None):
    result = CliRunner().invoke(main, ["import", *map(str, args)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def salt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("salt") / "salt"
    path.write_bytes(b"s" * 32)
    return path


@pytest.fixture(scope="module")
def known(tmp_path_factory, salt) -> list[str]:
    """The org templates imported once, as --known files for the reference checks."""
    folder = tmp_path_factory.mktemp("known")
    args = []
    for kind in ORG_KINDS:
        out = folder / f"{kind}.ttl"
        result = run(kind, TEMPLATES / f"{kind}.csv", "--out", out, "-q")
        assert result.exit_code == 0, result.output
        args += ["--known", out]
    return args


def triples_of(path: Path) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path))}


def objects(path: Path, prop: str) -> list:
    return sorted(t.object.value for t in triples_of(path) if t.predicate.value == prop)


# -- templates and mappings -----------------------------------------------------------------

def test_every_kind_has_a_mapping_and_a_template():
    assert known_kinds() == sorted(ALL_KINDS)
    for kind in ALL_KINDS:
        assert (TEMPLATES / f"{kind}.csv").is_file()


def test_templates_import_cleanly_and_chain_together(tmp_path, salt, known):
    """Each template imports with its own mapping; placements feed payments and debts."""
    placements = tmp_path / "placements.ttl"
    result = run("placements", TEMPLATES / "placements.csv", "--out", placements, "--salt-file", salt, *known)
    assert result.exit_code == 0, result.output
    for kind in ["payments", "debts", "sanctions", "inspections"]:
        out = tmp_path / f"{kind}.ttl"
        result = run(kind, TEMPLATES / f"{kind}.csv", "--out", out, "--salt-file", salt, *known,
                     "--known", placements)
        assert result.exit_code == 0, f"{kind}: {result.output}"
        assert objects(out, T + "rowsImported") == ["1"]
    payment = triples_of(tmp_path / "payments.ttl")
    placement_iri = next(t.subject.value for t in triples_of(placements) if t.object.value == T + "Placement")
    assert any(t.predicate.value == T + "forPlacement" and t.object.value == placement_iri for t in payment)
    sanction = triples_of(tmp_path / "sanctions.ttl")
    assert any(t.object.value.endswith("sanction-type/license-revocation") for t in sanction)


# -- problems, each with row, column and value ---------------------------------------------

def test_unknown_kind_is_refused_with_the_known_kinds(tmp_path):
    result = run("payment", TEMPLATES / "payments.csv", "--out", tmp_path / "x.ttl")
    assert result.exit_code == 1
    assert "unknown KIND" in result.output and "payments" in result.output
    assert not (tmp_path / "x.ttl").exists()


def test_missing_required_column(tmp_path):
    csv_file = tmp_path / "pay.csv"
    csv_file.write_text("payment id,payer worker id,currency\nP1,W1,JPY\n", encoding="utf-8")
    result = run("payments", csv_file, "--salt-file", tmp_path / "salt")
    assert result.exit_code == 1
    assert "row 1, column 'amount': missing required column" in result.output


def test_every_bad_row_is_listed_and_nothing_is_written(tmp_path, salt, known):
    out = tmp_path / "payments.ttl"
    result = run("payments", FIX / "payments_bad.csv", "--out", out, "--salt-file", salt, *known)
    assert result.exit_code == 1
    text = result.output
    assert "row 3, column 'amount': not a number" in text and "'twelve'" in text
    assert "row 4, column 'amount': must be at least 0 (value '-500')" in text
    assert "row 5, column 'currency': not an ISO 4217 currency code" in text and "'XYZ'" in text
    assert "row 6, column 'date': no such day (value '2023-02-30')" in text
    assert "row 7, column 'payee': unknown" in text and "NO-SUCH-ORG-42" in text
    assert "5 of 7 rows are bad; nothing was written" in text
    assert "row 2" not in text and "row 8" not in text
    assert not out.exists() and not list(tmp_path.iterdir())


def test_skip_bad_writes_good_rows_and_a_report(tmp_path, salt, known):
    out = tmp_path / "payments.trig"
    result = run("payments", FIX / "payments_bad.csv", "--out", out, "--salt-file", salt, "--skip-bad", *known)
    assert result.exit_code == 0, result.output
    amounts = objects(out, T + "amount")
    assert amounts == ["1200000", "3000.5"]  # thousands separators read; 'usd' upper-cased
    assert objects(out, T + "currency") == ["USD", "VND"]
    assert objects(out, T + "rowsRejected") == ["5"]
    with open(tmp_path / "payments.rejected.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["row"] for r in rows] == ["3", "4", "5", "6", "7"]
    assert rows[1] == {"row": "4", "column": "amount", "value": "'-500", "problem": "must be at least 0"}


def test_unknown_reference_is_known_after_importing_the_org(tmp_path, salt):
    """Without --known the template's sending organization is unknown; with it, found."""
    result = run("payments", TEMPLATES / "payments.csv", "--salt-file", salt)
    assert result.exit_code == 1 and "column 'payee': unknown" in result.output


def test_a_bad_mapping_names_the_file_and_key(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text((FIX / "ja_supervisors.toml").read_text(encoding="utf-8").replace(
        'datatype = "date"', 'datatype = "datum"'), encoding="utf-8")
    result = run("supervising-organizations", FIX / "ja_supervisors.csv", "--mapping", mapping)
    assert result.exit_code == 1
    assert "m.toml [columns.licence_date.datatype]: 'datum' is not one of" in result.output


# -- encodings and headers ------------------------------------------------------------------

def test_shift_jis_file_is_detected(tmp_path):
    out = tmp_path / "s.ttl"
    result = run("sending-organizations", FIX / "sending_sjis.csv", "--out", out)
    assert result.exit_code == 0, result.output
    assert objects(out, "http://www.w3.org/2000/01/rdf-schema#label") == [
        "（架空）ハノイ人材株式会社 Fictional", "（架空）マニラ送出機関"]
    assert objects(out, T + "encoding") == ["cp932"]
    assert objects(out, T + "validFrom") == ["2019-05-01", "2020-02-03"]


def test_wrong_explicit_encoding_is_a_clear_error(tmp_path):
    result = run("sending-organizations", FIX / "sending_sjis.csv", "--encoding", "utf-8")
    assert result.exit_code == 1 and "not valid utf-8" in result.output


def test_utf8_bom_is_not_part_of_the_first_header(tmp_path):
    out = tmp_path / "b.ttl"
    result = run("sending-organizations", FIX / "sending_bom.csv", "--out", out)
    assert result.exit_code == 0, result.output
    subjects = {t.subject.value for t in triples_of(out)}
    assert ID + "sending-organization/vn-ex-bom-1" in subjects


def test_japanese_headers_with_a_custom_mapping(tmp_path):
    out = tmp_path / "ja.ttl"
    result = run("supervising-organizations", FIX / "ja_supervisors.csv", "--mapping",
                 FIX / "ja_supervisors.toml", "--out", out)
    assert result.exit_code == 0, result.output
    got = triples_of(out)
    org = ox.NamedNode(ID + "supervising-organization/1234567890")  # full-width digits normalised
    assert ox.Triple(org, ox.NamedNode(T + "validFrom"),
                     ox.Literal("2020-04-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))) in got
    assert ox.Triple(org, ox.NamedNode(T + "workerCount"),
                     ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) in got
    assert objects(out, "http://purl.org/dc/terms/title") == ["ja_supervisors.csv", "ja_supervisors.toml"]


# -- output ---------------------------------------------------------------------------------

def test_trig_output_parses_in_pyoxigraph_and_rdflib_alike(tmp_path):
    out = tmp_path / "ja.trig"
    result = run("supervising-organizations", FIX / "ja_supervisors.csv", "--mapping",
                 FIX / "ja_supervisors.toml", "--out", out)
    assert result.exit_code == 0
    quads = list(ox.parse(path=str(out)))
    assert {q.graph_name.value for q in quads} == {"https://w3id.org/titp-graph/graph/import/ja_supervisors"}
    dataset = rdflib.Dataset()
    dataset.parse(out, format="trig")
    assert len(dataset) == len(quads) > 10


def test_hostile_text_stays_literal(tmp_path):
    evil = '"> <script>alert(1)</script> . } ; INSERT DATA { <a> <b> <c> } #\\'
    csv_file = tmp_path / "evil.csv"
    with open(csv_file, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name", "country", "licence number"], [evil + "\nline 2", "VN", "EX-1"]])
    out = tmp_path / "evil.ttl"
    assert run("sending-organizations", csv_file, "--out", out).exit_code == 0
    labels = objects(out, "http://www.w3.org/2000/01/rdf-schema#label")
    assert labels == [evil + "\nline 2"]
    graph = rdflib.Graph().parse(out, format="turtle")
    assert len(graph) == len(triples_of(out))


def test_default_output_is_turtle_on_stdout(tmp_path):
    result = run("employers", TEMPLATES / "employers.csv", "-q")
    assert result.exit_code == 0
    triples = list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.TURTLE))
    assert any(t.object.value == T + "Employer" for t in triples)


def test_same_input_gives_identical_bytes_in_a_real_process(tmp_path, cli_cmd, cli_env, salt, known):
    outputs = []
    for n in range(2):
        out = tmp_path / f"p{n}.trig"
        proc = subprocess.run([*cli_cmd, "import", "placements", str(TEMPLATES / "placements.csv"), "--out",
                               str(out), "--salt-file", str(salt), *map(str, known)],
                              env=cli_env, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"importedAt" not in outputs[0]


def test_timestamp_only_when_asked(tmp_path):
    out = tmp_path / "t.ttl"
    assert run("employers", TEMPLATES / "employers.csv", "--out", out, "--timestamp").exit_code == 0
    assert len(objects(out, T + "importedAt")) == 1


# -- workers --------------------------------------------------------------------------------

def test_raw_worker_ids_never_appear(tmp_path, salt, known):
    out = tmp_path / "pay.ttl"
    result = run("payments", FIX / "payments_bad.csv", "--out", out, "--salt-file", salt, "--skip-bad", *known)
    written = out.read_bytes() + (tmp_path / "pay.rejected.csv").read_bytes() + result.output.encode()
    assert b"RAW-WORKER-ID" not in written
    assert b"/worker/" in out.read_bytes()
    strict = run("payments", FIX / "payments_bad.csv", "--salt-file", salt, *known)
    assert "RAW-WORKER-ID" not in strict.output and strict.exit_code == 1


def test_pseudonyms_depend_on_the_salt(tmp_path, known):
    workers = []
    for n, secret in enumerate([b"a" * 32, b"a" * 32, b"b" * 32]):
        salt_file = tmp_path / f"salt{n}"
        salt_file.write_bytes(secret)
        out = tmp_path / f"p{n}.ttl"
        assert run("placements", TEMPLATES / "placements.csv", "--out", out, "--salt-file", salt_file,
                   *known).exit_code == 0
        workers.append(objects(out, T + "worker"))
    assert workers[0] == workers[1] != workers[2]


def test_a_personal_name_column_is_refused(tmp_path, salt, known):
    out = tmp_path / "pl.ttl"
    result = run("placements", FIX / "placements_names.csv", "--out", out, "--salt-file", salt, *known)
    assert result.exit_code == 1
    assert "column 'Worker Name': looks like a personal name" in result.output
    assert "Nguyen" not in result.output and not out.exists()


def test_a_name_column_mapped_to_nothing_is_dropped(tmp_path, salt, known):
    out = tmp_path / "pl.ttl"
    result = run("placements", FIX / "placements_names.csv", "--mapping", FIX / "placements_ignore_names.toml",
                 "--out", out, "--salt-file", salt, *known)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert b"Nguyen" not in data and b"RAW-WORKER-ID" not in data
    assert objects(out, T + "nationality") == ["https://w3id.org/titp-graph/id/country/VN"]


def test_a_mapping_that_writes_a_name_in_a_worker_kind_is_refused(tmp_path, salt):
    mapping = tmp_path / "bad.toml"
    mapping.write_text((FIX / "placements_ignore_names.toml").read_text(encoding="utf-8") +
                       '\n[columns.full_name]\nheaders = ["氏名"]\nproperty = "rdfs:label"\n', encoding="utf-8")
    result = run("placements", FIX / "placements_names.csv", "--mapping", mapping, "--salt-file", salt)
    assert result.exit_code == 1 and "looks like a personal name" in result.output


def test_default_salt_is_created_private_and_never_exported(tmp_path, known):
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "p.ttl"
    result = run("placements", TEMPLATES / "placements.csv", "--out", out, *known, env={"HOME": str(home)})
    assert result.exit_code == 0, result.output
    salt_file = home / ".config" / "titp-graph" / "salt"
    assert stat.S_IMODE(os.stat(salt_file).st_mode) == 0o600
    salt = salt_file.read_bytes()
    assert len(salt) == 32 and salt not in out.read_bytes() and salt.hex().encode() not in out.read_bytes()


# -- cell values ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2024-04-01", ("2024-04-01", "date")), ("2024/4/1", ("2024-04-01", "date")),
    ("2024年4月1日", ("2024-04-01", "date")), ("令和6年4月1日", ("2024-04-01", "date")),
    ("R6.4.1", ("2024-04-01", "date")), ("2024-04", ("2024-04", "gYearMonth")), ("2024", ("2024", "gYear")),
])
def test_dates_are_read_without_inventing_a_day(text, expected):
    assert V.date(text) == expected


@pytest.mark.parametrize("text", ["2024-13-01", "01/04/2024", "yesterday", "2023-02-29"])
def test_bad_dates_are_refused(text):
    with pytest.raises(V.BadValue):
        V.date(text)


def test_report_cells_cannot_run_as_spreadsheet_formulas():
    from titp_graph.importer.convert import Problem
    from titp_graph.importer.output import report_csv

    rows = list(csv.reader(io.StringIO(report_csv([Problem(2, "amount", "=HYPERLINK(\"x\")", "bad")]).decode())))
    assert rows[1][2].startswith("'=")
