"""The records dataset on disk: Parquet files partitioned by subject, for out-of-core rescoring.

Layout of a dataset directory::

    manifest.json                  written last: a directory without it is not a dataset
    bucket=0000/part-00000.parquet
    bucket=0001/part-00000.parquet
    ...

Every record of a subject is in one bucket, ``bucket_of(subject) = hash(subject) mod buckets``
(see :func:`bucket_of`), so a bucket can be scored alone and gives exactly the scores the
whole frame would. Inside a part, rows are sorted by subject. Columns (compact types):

* ``subject``, ``id``, ``refers_to``: ``Int64`` (synthetic datasets: subject numbers and
  record numbers) or ``String`` (exports of a record store: credit codes and record ids), as
  the manifest says;
* ``category``: ``UInt16``, an index into the manifest's ``categories`` (a dictionary that
  does not depend on any scheme: the catalogue's categories, then any others found);
* ``status``: ``UInt8``, an index into the manifest's ``statuses`` (``active`` is 0);
* ``occurred_at``, ``recorded_at``: Parquet timestamps, microseconds, UTC;
* exports of a record store also keep ``ingested_at`` (when the store accepted each record,
  its clock; the same timestamps), which ``--known-at`` cuts on (without it, on
  ``recorded_at``);
* exports also keep ``source``, ``legal_basis``, ``evidence``, ``amount``, ``severity`` and
  ``details`` (the rescoring job never reads them).

The manifest also holds the schema version, the bucket count and function, the record and
subject counts and, for generated datasets, how they were generated.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from xinyong.adapters.batch.frame import (
    ACCEPTED,
    REQUIRED_COLUMNS,
    STATUSES,
    check_columns,
    micros,
)
from xinyong.core.errors import XinyongError

FORMAT = "xinyong-records-dataset"
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
KeyType = Literal["int64", "string"]

_FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: Fibonacci hashing of integer subjects
_TIME = pl.Datetime("us", "UTC")
OPTIONAL_COLUMNS = ("source", "legal_basis", "evidence", "amount", "severity", "details")
COMPRESSION: Literal["lz4"] = "lz4"  # fastest to decode; the job is bound by reading


class DatasetError(XinyongError, ValueError):
    """A records dataset that cannot be read or written as asked (the message says why)."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What ``manifest.json`` holds (see the module docstring)."""

    buckets: int
    subject_type: KeyType
    id_type: KeyType
    categories: list[str]
    records: int
    subjects: int
    statuses: list[str] = field(default_factory=lambda: list(STATUSES))
    columns: list[str] = field(default_factory=lambda: list(REQUIRED_COLUMNS))
    generator: dict[str, Any] | None = None
    format: str = FORMAT
    schema_version: int = SCHEMA_VERSION
    bucketing: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["bucketing"] = bucketing_of(self.subject_type)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def bucketing_of(subject_type: KeyType) -> str:
    if subject_type == "int64":
        return f"((subject as uint64) * {_FIB:#x} mod 2**64) >> 32, mod buckets"
    return "crc32(utf-8 of subject), mod buckets"


def bucket_dir(root: Path, bucket: int) -> Path:
    return root / f"bucket={bucket:04d}"


# --- bucketing ---------------------------------------------------------------------------------


def buckets_of_ints(subjects: np.ndarray[Any, Any], buckets: int) -> np.ndarray[Any, Any]:
    """The bucket of each integer subject (NumPy; the same as :func:`bucket_expr`)."""
    mixed = subjects.astype(np.uint64) * np.uint64(_FIB)  # wraps mod 2**64
    return ((mixed >> np.uint64(32)) % np.uint64(buckets)).astype(np.int64)


def bucket_of_text(subject: str, buckets: int) -> int:
    return zlib.crc32(subject.encode("utf-8")) % buckets


def bucket_expr(subject_type: KeyType, buckets: int) -> pl.Expr:
    """The bucket of each row's subject, as a Polars expression (Int64)."""
    if subject_type == "int64":
        mixed = pl.col("subject").cast(pl.UInt64) * pl.lit(_FIB, dtype=pl.UInt64)
        return (mixed // 2**32 % buckets).cast(pl.Int64)
    return pl.col("subject").map_elements(
        lambda s: bucket_of_text(s, buckets), return_dtype=pl.Int64
    )


# --- the manifest ------------------------------------------------------------------------------


def read_manifest(root: Path) -> Manifest:
    """The dataset's manifest, checked; :class:`DatasetError` says what is wrong and where."""
    path = root / MANIFEST
    if not root.is_dir():
        raise DatasetError(f"dataset {root}: no such directory")
    if not path.is_file():
        raise DatasetError(
            f"dataset {root}: no {MANIFEST}; a dataset is written by `xinyong export parquet` "
            "or the generator, and is complete only once its manifest exists"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DatasetError(f"{path}: 'format' must be {FORMAT!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise DatasetError(
            f"{path}: schema_version {data.get('schema_version')!r} is not supported; "
            f"this version of xinyong reads schema_version {SCHEMA_VERSION}"
        )
    try:
        m = Manifest(**data)
    except TypeError as e:
        raise DatasetError(f"{path}: unexpected or missing keys ({e})") from None
    if not isinstance(m.buckets, int) or m.buckets < 1:
        raise DatasetError(f"{path}: 'buckets' must be a positive integer, got {m.buckets!r}")
    for key in ("subject_type", "id_type"):
        if getattr(m, key) not in ("int64", "string"):
            raise DatasetError(f"{path}: {key!r} must be 'int64' or 'string'")
    if m.statuses != list(STATUSES):
        raise DatasetError(f"{path}: 'statuses' must be {list(STATUSES)}, got {m.statuses!r}")
    if len(set(m.categories)) != len(m.categories) or len(m.categories) > 65535:
        raise DatasetError(f"{path}: 'categories' must be distinct names (at most 65535)")
    missing = [c for c in REQUIRED_COLUMNS if c not in m.columns]
    if missing:
        raise DatasetError(f"{path}: 'columns' lacks {', '.join(missing)}")
    return m


def parts_of(root: Path, manifest: Manifest) -> list[list[Path]]:
    """The Parquet files of each bucket; every bucket directory must exist, and no other."""
    found = sorted(p.name for p in root.glob("bucket=*") if p.is_dir())
    want = [bucket_dir(root, b).name for b in range(manifest.buckets)]
    extra = sorted(set(found) - set(want))
    if extra:
        raise DatasetError(
            f"dataset {root}: {', '.join(extra[:3])} is not a bucket of this dataset "
            f"(the manifest says {manifest.buckets} buckets, bucket=0000 to "
            f"bucket={manifest.buckets - 1:04d})"
        )
    out: list[list[Path]] = []
    for b in range(manifest.buckets):
        d = bucket_dir(root, b)
        files = sorted(d.glob("*.parquet")) if d.is_dir() else []
        if not files:
            raise DatasetError(
                f"dataset {root}: bucket {b} ({d.name}) has no Parquet file; the dataset is "
                "incomplete, write it again"
            )
        out.append(files)
    return out


# --- reading -----------------------------------------------------------------------------------


def read_bucket(
    files: Sequence[Path], manifest: Manifest, bucket: int, *, check_layout: bool = True
) -> pl.DataFrame:
    """The records of one bucket as a frame :func:`score_population` takes.

    ``category`` and ``status`` become ``Enum`` columns (a gather through the dictionaries,
    no text per row), times stay ``Datetime``. With ``check_layout``, every subject must
    belong to this bucket and every code must be in its dictionary.
    """
    try:
        lf = pl.scan_parquet(list(files))
        accepted = [ACCEPTED] if ACCEPTED in lf.collect_schema().names() else []
        df = lf.select(*REQUIRED_COLUMNS, *accepted).collect()
    except (pl.exceptions.PolarsError, OSError) as e:
        raise DatasetError(f"bucket {bucket} ({files[0].parent}): cannot read ({e})") from None
    where = f"bucket {bucket} ({files[0].parent})"
    key = pl.String() if manifest.subject_type == "string" else pl.Int64()
    ident = pl.String() if manifest.id_type == "string" else pl.Int64()
    want: dict[str, Any] = {
        "subject": key,
        "id": ident,
        "refers_to": ident,
        "category": pl.UInt16(),
        "status": pl.UInt8(),
        "occurred_at": _TIME,
        "recorded_at": _TIME,
        **({ACCEPTED: _TIME} if accepted else {}),
    }
    for name, dtype in want.items():
        if df.schema[name] != dtype:
            raise DatasetError(
                f"{where}: column {name!r} is {df.schema[name]}, the manifest's layout "
                f"(schema_version {SCHEMA_VERSION}) needs {dtype}"
            )
    if df.height and check_layout:
        _check(df, manifest, bucket, where)
    cats, sts = manifest.categories, manifest.statuses
    return df.with_columns(
        pl.lit(pl.Series(cats, dtype=pl.Enum(cats))).gather(pl.col("category")).alias("category"),
        pl.lit(pl.Series(sts, dtype=pl.Enum(sts))).gather(pl.col("status")).alias("status"),
    )


def _check(df: pl.DataFrame, manifest: Manifest, bucket: int, where: str) -> None:
    top = df.select(pl.col("category").max(), pl.col("status").max()).row(0)
    if top[0] is not None and top[0] >= len(manifest.categories):
        raise DatasetError(
            f"{where}: category code {top[0]} is not in the manifest's dictionary "
            f"(codes 0 to {len(manifest.categories) - 1})"
        )
    if top[1] is not None and top[1] >= len(manifest.statuses):
        raise DatasetError(f"{where}: status code {top[1]} is not one of 0 to 3 ({STATUSES})")
    if manifest.subject_type == "int64":
        subjects = df.get_column("subject")
    else:
        subjects = df.get_column("subject").unique()
    homes = subjects.to_frame().select(bucket_expr(manifest.subject_type, manifest.buckets))
    stray = subjects.filter(homes.to_series() != bucket)
    if stray.len():
        raise DatasetError(
            f"{where}: subject {stray[0]!r} belongs in bucket "
            f"{bucket_of_key(stray[0], manifest)}, not {bucket}; a subject's records must all "
            "be in its own bucket (was the dataset written with another bucket count?)"
        )


def bucket_of_key(subject: Any, manifest: Manifest) -> int:
    if manifest.subject_type == "int64":
        return int(buckets_of_ints(np.array([subject]), manifest.buckets)[0])
    return bucket_of_text(str(subject), manifest.buckets)


def read_dataset(root: Path) -> pl.DataFrame:
    """The whole dataset as one frame (for tests and small datasets)."""
    manifest = read_manifest(root)
    return pl.concat(
        [read_bucket(f, manifest, b) for b, f in enumerate(parts_of(root, manifest))],
        how="vertical",
    )


# --- writing -----------------------------------------------------------------------------------


def prepare_output(root: Path) -> None:
    """Create ``root``, which must not exist or be empty (nothing is ever overwritten)."""
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise DatasetError(f"{root} exists and is not an empty directory; choose a new one")
    root.mkdir(parents=True, exist_ok=True)


def write_part(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` whole or not at all (a temporary name, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.write_parquet(tmp, compression=COMPRESSION, statistics=True)
    os.replace(tmp, path)


def write_manifest(root: Path, manifest: Manifest) -> None:
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, root / MANIFEST)


def dictionary(found: Iterable[str]) -> list[str]:
    """The category dictionary: the catalogue's categories (sorted), then any others found."""
    from xinyong.system.catalogue import known_categories

    base = sorted(known_categories())
    return base + sorted(set(found) - set(base))


def write_dataset(frame: pl.DataFrame, root: Path, buckets: int) -> Manifest:
    """Write a records frame (the store's ``frame()`` types, or integer ids and subjects) as
    a dataset of ``buckets`` buckets under ``root`` (a new or empty directory)."""
    if buckets < 1:
        raise DatasetError(f"buckets must be at least 1, got {buckets}")
    check_columns(frame.schema)
    prepare_output(root)
    schema = frame.schema
    subject_type = _key_type(schema["subject"], "subject")
    id_type = _key_type(schema["id"], "id")
    cats = frame.get_column("category").cast(pl.String)
    categories = dictionary(cats.drop_nulls().unique().to_list())
    if cats.null_count():
        raise DatasetError("the records frame has records without a category")
    extra = [c for c in OPTIONAL_COLUMNS if c in schema]
    ident = pl.String if id_type == "string" else pl.Int64
    out = frame.select(
        pl.col("subject").cast(pl.String if subject_type == "string" else pl.Int64),
        pl.col("id").cast(ident),
        cats.cast(pl.Enum(categories)).to_physical().cast(pl.UInt16).alias("category"),
        micros("occurred_at", schema["occurred_at"]).cast(_TIME).alias("occurred_at"),
        micros("recorded_at", schema["recorded_at"]).cast(_TIME).alias("recorded_at"),
        pl.col("status")
        .cast(pl.String)
        .cast(pl.Enum(list(STATUSES)))
        .to_physical()
        .cast(pl.UInt8)
        .alias("status"),
        pl.col("refers_to").cast(ident),
        *(pl.col(c).cast(pl.String) if c != "amount" else pl.col(c) for c in extra),
        *(
            [micros(ACCEPTED, schema[ACCEPTED]).cast(_TIME).alias(ACCEPTED)]
            if ACCEPTED in schema
            else []
        ),
    )
    home = out.select(bucket_expr(subject_type, buckets)).to_series()
    for b in range(buckets):
        part = out.filter(home == b).sort("subject", "occurred_at", maintain_order=True)
        write_part(part, bucket_dir(root, b) / "part-00000.parquet")
    manifest = Manifest(
        buckets=buckets,
        subject_type=subject_type,
        id_type=id_type,
        categories=categories,
        records=out.height,
        subjects=out.get_column("subject").n_unique(),
        columns=list(out.columns),
    )
    write_manifest(root, manifest)
    return manifest


def _key_type(dtype: pl.DataType, name: str) -> KeyType:
    if dtype.is_integer():
        return "int64"
    if isinstance(dtype, pl.String | pl.Categorical | pl.Enum):
        return "string"
    raise DatasetError(f"column {name!r} must be text or integers, got {dtype}")
