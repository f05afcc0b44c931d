"""Golden cases: YAML files that say what the engine must find for one subject, and the
runner that checks them (``xinyong test``; the repository's own cases in ``tests/golden``)."""

from xinyong.golden.cases import Case, case_files, load_case, parse_case
from xinyong.golden.compare import Difference
from xinyong.golden.runner import CaseOutcome, Failure, Prepared, prepare, run_case
from xinyong.golden.strict_yaml import CaseError

__all__ = [
    "Case",
    "CaseError",
    "CaseOutcome",
    "Difference",
    "Failure",
    "Prepared",
    "case_files",
    "load_case",
    "parse_case",
    "prepare",
    "run_case",
]
