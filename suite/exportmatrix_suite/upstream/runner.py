"""Run the vendored seed test file unchanged and report each test's verdict."""

from __future__ import annotations

import importlib.util
import os
import unittest
from typing import Dict, List

from exportmatrix_suite.classify import normalise_message

SEED_FILE = os.path.join(os.path.dirname(__file__), "seed_export_mutations.py")
SEED_TESTS = [
    "test_module_attribute_mutation_violation_positive_1",
    "test_module_attribute_mutation_violation_negative_1",
    "test_module_attribute_mutation_violation_negative_2",
    "test_module_attribute_mutation_violation_negative_3",
    "test_module_attribute_mutation_violation_negative_4",
]


def _last_line(traceback_text: str) -> str:
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    return normalise_message(lines[-1]) if lines else ""


def run_seed_tests() -> List[Dict[str, object]]:
    """One verdict per seed test: passes, and the failure's last line if not."""
    try:
        spec = importlib.util.spec_from_file_location("seed_export_mutations", SEED_FILE)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        case = module.MutationExportTests
    except Exception as error:
        reason = "seed file does not import: %s: %s" % (type(error).__name__, normalise_message(str(error)))
        return [{"test": name, "passes": False, "detail": reason} for name in SEED_TESTS]

    verdicts = []
    for name in SEED_TESTS:
        result = unittest.TestResult()
        case(name).run(result)
        problems = result.failures + result.errors
        if problems:
            kind = "fails" if result.failures else "errors"
            detail = "%s: %s" % (kind, _last_line(problems[0][1]))
        elif result.skipped:
            detail = "skipped: %s" % result.skipped[0][1]
        else:
            detail = "passes"
        verdicts.append({"test": name, "passes": not problems and not result.skipped, "detail": detail})
    return verdicts
