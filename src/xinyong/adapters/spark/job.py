"""The Spark rescoring job: records in, one row per subject out (Parquet).

    python -m xinyong.adapters.spark.job --records PATH --scheme NAME_OR_TOML --out DIR
        [--at ISO] [--known-at ISO] [--partitions N] [--master URL] [--overwrite]

Runs the same way under ``spark-submit`` (then ``--master`` usually comes from
spark-submit). ``--records``: a Parquet file or directory, or a JSONL file (see
:mod:`xinyong.adapters.spark.read`). ``--out``: a directory of Parquet part files, written
by Spark's output committer (nothing half-written is left under that name if a task fails).
The scheme is read on the driver and shipped to the workers with the job.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime

from xinyong.core.errors import XinyongError
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.core.timeutil import now, parse_instant


@dataclass(frozen=True, slots=True)
class JobReport:
    subjects: int
    out: str


def run(
    records: str,
    scheme_name: str,
    out: str,
    at: datetime,
    known_at: datetime | None = None,
    *,
    partitions: int | None = None,
    master: str | None = None,
    overwrite: bool = False,
) -> JobReport:
    """Read ``records``, score every subject under the scheme, write Parquet to ``out``."""
    from xinyong.adapters.spark.read import input_format, read_records
    from xinyong.adapters.spark.score import score_spark
    from xinyong.adapters.spark.session import spark_session
    from xinyong.system.schemes_io import load_scheme

    scheme = load_scheme(scheme_name)
    input_format(records)  # fail on a bad path before starting Spark
    spark = spark_session(master)
    scored = score_spark(read_records(spark, records), scheme, at, known_at, partitions=partitions)
    scored.write.mode("overwrite" if overwrite else "errorifexists").parquet(out)
    subjects = spark.read.parquet(out).count()
    return JobReport(subjects, out)


def worker_error(e: BaseException) -> str | None:
    """The message of an ``InvalidRecord`` raised in a Spark worker, if ``e`` carries one."""
    from pyspark.errors import PySparkException

    if not isinstance(e, PySparkException):
        return None
    marker = "InvalidRecord: "
    lines = [ln for ln in str(e).splitlines() if marker in ln]
    return lines[-1].split(marker, 1)[1] if lines else None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m xinyong.adapters.spark.job", description=__doc__)
    p.add_argument("--records", required=True, help="Parquet file/directory or JSONL file")
    p.add_argument("--scheme", required=True, help="preset name or .toml path")
    p.add_argument("--out", required=True, help="output directory (Parquet part files)")
    p.add_argument("--at", default=None, help="moment to score (ISO date/date-time, UTC); now")
    p.add_argument(
        "--known-at",
        default=None,
        help="use only what the store held then (ingested_at, else recorded_at); default: all",
    )
    p.add_argument("--partitions", type=int, default=None, help="shuffle partitions")
    p.add_argument("--master", default=None, help="Spark master URL (else spark-submit's)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = p.parse_args(argv)
    try:
        at = parse_instant(args.at) if args.at else now()
        known_at = parse_instant(args.known_at) if args.known_at else None
    except ValueError as e:
        p.error(str(e))
    try:
        report = run(
            args.records,
            args.scheme,
            args.out,
            at,
            known_at,
            partitions=args.partitions,
            master=args.master,
            overwrite=args.overwrite,
        )
    except (XinyongError, NoVersionInForce, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as e:  # a worker's error reaches the driver inside Spark's exception
        reason = worker_error(e)
        if reason is None:
            raise
        print(f"error: {reason}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"scored {report.subjects:,} subjects -> {report.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
