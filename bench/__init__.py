"""The benchmarks (not tests, not part of the package): each module times one part of xinyong
against a baseline measured in the same run and merges its figures into
``bench/results.json``. Run them from the repository root, e.g. ``python -m bench.batch``;
``make bench`` runs them all and ends with ``python -m bench.table``.

* :mod:`bench.batch`        batch rescoring against a plain-Python loop
  (:mod:`.batch_data` the population, :mod:`.batch_loop` the loop);
* :mod:`bench.ooc`          in-memory against DuckDB SQL, and out-of-core rescoring
  (:mod:`.ooc_duckdb`, :mod:`.ooc_datasets`, :mod:`.ooc_memory`, :mod:`.ooc_disk`);
* :mod:`bench.spark`        Spark local against the embedded scorer;
* :mod:`bench.service`      the HTTP service's gate checks and bulk ingest against baseline
  servers and appends (``service_*`` modules);
* :mod:`bench.ingest_bulk`  columnar admission end to end (file into SQLite and PostgreSQL,
  ``POST /v1/records``, peak memory) against the row path;
* :mod:`bench.incremental`  incremental updates against re-evaluation and rescoring;
* :mod:`bench.world`        the synthetic world's generation and monthly run;
* :mod:`bench.table`        one table of every figure (:mod:`.table_rows` its rows);
* :mod:`bench.results`      the results file and the machine stamp; :mod:`.timing` helpers.
"""
