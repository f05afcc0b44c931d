"""``xinyong spark rescore``: the Spark rescoring job (needs the ``spark`` extra and Java)."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from xinyong.core.errors import XinyongError
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.drivers.cli.options import AtOpt, KnownAtOpt, err, fail, moments

app = typer.Typer(no_args_is_help=True)


@app.command("rescore")
def rescore_command(
    records: Annotated[
        str, typer.Option("--records", help="Parquet file or directory, or a JSONL file.")
    ],
    scheme: Annotated[str, typer.Option("--scheme", "-s", help="Preset name or .toml path.")],
    output: Annotated[str, typer.Option("--out", help="Output directory (Parquet part files).")],
    at: AtOpt = None,
    known_at: KnownAtOpt = None,
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL, e.g. spark://host:7077.")
    ] = "local[*]",
    partitions: Annotated[
        int | None, typer.Option("--partitions", help="Partitions to shuffle the records into.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out.")] = False,
) -> None:
    """Rescore a whole population on Spark, with the same scorer as `xinyong rescore`.

    Example: xinyong spark rescore --records records.parquet --scheme rongcheng --out scores
    """
    if importlib.util.find_spec("pyspark") is None:
        fail("PySpark is not installed; install the extra: pip install 'xinyong[spark]'")
    from xinyong.adapters.spark.job import run, worker_error

    t, k = moments(at, known_at)
    try:
        report = run(
            records, scheme, output, t, k, partitions=partitions, master=master, overwrite=overwrite
        )
    except (XinyongError, NoVersionInForce, ValueError) as exc:
        fail(str(exc))
    except Exception as exc:
        reason = worker_error(exc)
        if reason is None:
            raise
        fail(reason)
    err.print(f"scored {report.subjects:,} subjects -> {report.out}")
