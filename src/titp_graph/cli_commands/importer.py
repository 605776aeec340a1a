"""`titp-graph import KIND CSV`: a contributor's CSV -> Turtle/TriG, checked row by row.

By default a file with any bad row writes nothing (exit 1) and lists every problem;
--skip-bad writes the good rows and a report of the rejected ones.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import TitpError


@click.command("import")
@click.argument("kind")
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Write here (.ttl Turtle or .trig TriG); default: Turtle on stdout.")
@click.option("--mapping", "mapping", type=click.Path(path_type=Path), default=None,
              help="A column mapping (TOML) for a differently-headed CSV; default data/mappings/KIND.toml.")
@click.option("--known", "known", multiple=True, type=click.Path(path_type=Path),
              help="RDF file or folder whose organizations references may point to (e.g. an earlier "
                   "import). Repeatable. The bundled data is always known.")
@click.option("--salt-file", "salt_file", type=click.Path(path_type=Path), default=None,
              help="Secret salt for worker pseudonyms (created with 32 random bytes if missing; "
                   "default ~/.config/titp-graph/salt). Never exported.")
@click.option("--skip-bad", is_flag=True, help="Write the good rows and a report of the rejected ones.")
@click.option("--report", "report", type=click.Path(path_type=Path), default=None,
              help="Where --skip-bad writes rejected rows (default: OUT with .rejected.csv).")
@click.option("--encoding", default=None, help="CSV encoding (default: UTF-8 with or without BOM, else CP932).")
@click.option("--timestamp", is_flag=True, help="Record titp:importedAt (makes the output differ per run).")
@click.option("-q", "--quiet", is_flag=True, help="No summary line.")
def import_command(kind, csv_file, out, mapping, known, salt_file, skip_bad, report, encoding, timestamp, quiet):
    """Import a CSV of KIND (see data/mappings/ and data/templates/ for the columns)."""
    from ..atomic import write_bytes
    from ..importer import import_csv
    from ..importer.output import default_report_path, format_for, report_csv, serialise

    fmt = format_for(out)
    if report is not None and not skip_bad:
        raise click.UsageError("--report only applies with --skip-bad")
    outcome = import_csv(kind, csv_file, mapping_path=mapping, known_paths=known, salt_file=salt_file,
                         encoding=encoding, timestamp=timestamp)
    conversion = outcome.conversion
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    for header in conversion.ignored_headers:
        say(f"note: {csv_file}: column {header!r} is not in the mapping and was ignored")
    problems = outcome.problems
    if problems and (conversion.fatal or not skip_bad):
        for problem in problems:
            click.echo("error: " + problem.text(str(csv_file)), err=True)
        rows = "" if conversion.fatal else \
            f"{outcome.rows_rejected} of {len(conversion.rows)} rows are bad; "
        raise TitpError(f"{csv_file}: {rows}nothing was written"
                        + ("" if conversion.fatal else " (--skip-bad writes the good rows)"))
    data = serialise(outcome.triples, outcome.graph, fmt)
    if problems:
        target = report or (default_report_path(out) if out else None)
        if target is None:
            for problem in problems:
                click.echo("rejected: " + problem.text(str(csv_file)), err=True)
        else:
            write_bytes(target, report_csv(problems))
            say(f"rejected rows: {target}")
    if out is None:
        stream = click.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
    else:
        write_bytes(out, data)
    say(f"imported {outcome.rows_written} rows of {kind}"
        + (f" ({outcome.rows_rejected} rejected)" if outcome.rows_rejected else "")
        + f" from {csv_file}" + (f" into {out}" if out else ""))


commands = [import_command]
