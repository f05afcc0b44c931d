"""Rescoring on Apache Spark: the batch scorer run per partition, for populations beyond one
machine.

There is no second implementation of the rules here. The records are shuffled so that all
records of a subject land in one partition (``repartition(n, "subject")``); each partition
reaches a Python worker as Arrow batches, becomes one Polars frame and goes through
:func:`xinyong.adapters.batch.score.score_population` (resolve + score) with the scheme
shipped from the driver. A subject's score depends only on its own records, so the union of
the partitions' results is exactly what ``score_population`` gives on the whole frame, and
what :func:`xinyong.core.scoring.engine.score_subject` gives subject by subject.

Needs the ``spark`` extra (PySpark) and Java 17+ where it runs.
"""
