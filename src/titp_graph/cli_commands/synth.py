"""``titp-graph synth``: write a synthetic network (see :mod:`titp_graph.synth`)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--workers", type=click.IntRange(1, 5_000_000), default=3000, show_default=True,
              help="Number of synthetic interns (national scale: 470000).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="Random seed; the same seed and size give byte-identical output.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="File to write: .nt (N-Triples, best for large runs) or .ttl (Turtle). "
                   "Written to a temp file and renamed when complete.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
def synth(workers, seed, out, quiet):
    """Generate a synthetic recruitment network (marked synthetic everywhere) whose
    nationality shares, fees, broker use and debt follow the published statistics."""
    from ..cli import progress_printer
    from ..synth import generate

    report = generate(out, workers=workers, seed=seed, progress=progress_printer(quiet))
    if not quiet:
        counts = ", ".join(f"{n:,} {kind}" for kind, n in report.counts.items())
        click.echo(f"wrote {report.triples:,} triples to {out} ({counts})")


commands = [synth]
