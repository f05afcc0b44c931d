"""Suite-wide test settings.

Hypothesis: no per-example deadline. Speed is measured in the benchmarks (``bench/``), never
in unit tests, and a deadline only turns a loaded machine into a flaky failure.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("xinyong", deadline=None)
settings.load_profile("xinyong")
