"""A user's case file through `nox -s matrix` on two real releases: its cells
are ordinary cells, its reproducers run on their own, and a rerun after
editing one class reruns only that class's cells. Shares the environments
of test_matrix_end_to_end.py (same matrix.toml, same .nox folders)."""

import subprocess

import pytest
from test_matrix_end_to_end import environment, nox, repro, venv_python

from exportmatrix.base import encode, read_matrix
from exportmatrix.schemas import problems

pytestmark = pytest.mark.e2e

CASES = """import math

import torch
from exportmatrix_suite import behaviour

SHAPE = (3, 2)


def _x():
    return (torch.randn(*SHAPE),)


@behaviour(id="mine.reassign", description="forward reassigns a plain tensor attribute", tags=("mine",),
           inputs=_x, mutates=("attribute a",))
class Reassign(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.randn(*SHAPE)

    def forward(self, x):
        self.a = self.a.to(torch.float64)
        return x.sum() + self.a.sum()


@behaviour(id="mine.scaled_buffer", description="forward updates a buffer in place", tags=("mine",),
           inputs=_x, mutates=("buffer buf",))
class ScaledBuffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.zeros(*SHAPE))

    def forward(self, x):
        self.buf.add_(x * math.sqrt(4.0))
        return x * 3 + self.buf
"""
EXPORTERS = 8


@pytest.fixture(scope="module")
def cases_run(root, config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cases")
    case_file = folder / "my_cases.py"
    case_file.write_text(CASES)
    results = folder / "results"

    def run():
        done = nox(
            root, config, results, "-s", "matrix", "--", "2.4", "2.10", "--behaviours", str(case_file), "--only-cases"
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done, read_matrix(results / "matrix.json")

    return case_file, run


def test_a_case_file_gives_ordinary_cells_that_reproduce_and_rerun_by_class(cases_run, root, tmp_path):
    case_file, run = cases_run
    done, matrix = run()
    assert problems("matrix", encode(matrix)) == []
    assert {b["id"] for b in matrix["behaviours"]} == {"mine.reassign", "mine.scaled_buffer"}  # only the cases
    (declared,) = [b for b in matrix["behaviours"] if b["id"] == "mine.reassign"]
    assert declared["source"]["file"] == str(case_file) and len(declared["source"]["sha256"]) == 16
    assert len(matrix["observations"]) == 2 * 2 * EXPORTERS

    def outcome(release, behaviour, exporter):
        env_id = environment(matrix, release)["id"]
        (found,) = [
            o
            for o in matrix["observations"]
            if (o["environment"], o["behaviour"], o["exporter"]) == (env_id, behaviour, exporter)
        ]
        return found

    # the user's copy of the seed behaviour does what the built-in does in these releases
    assert outcome("2.4", "mine.reassign", "export_strict")["outcome"] == "export-error"
    assert outcome("2.10", "mine.reassign", "export_strict")["outcome"] == "diverges"
    silent = [line for line in done.stdout.splitlines() if line.startswith("  became silent, 2.4 → 2.10: ")]
    assert any("e.g. mine.reassign / " in line for line in silent), done.stdout[-3000:]

    for release in ("2.4", "2.10"):
        observation = outcome(release, "mine.reassign", "export_strict")
        script = tmp_path / ("repro_%s.py" % release.replace(".", "_"))
        text = repro(case_file.parent / "results", release, "mine.reassign", "export_strict")
        script.write_text(text)
        assert "import math" in text  # the case file's own imports
        ran = subprocess.run(
            [str(venv_python(root, release)), str(script)], capture_output=True, text=True, timeout=300
        )
        printed = [line for line in ran.stdout.splitlines() if line.startswith("OUTCOME: ")]
        assert printed == ["OUTCOME: " + observation["outcome"]], ran.stdout[-800:] + ran.stderr[-800:]

    # edit one class: only its cells run again, in both releases
    case_file.write_text(CASES.replace("x * 3 + self.buf", "x * 4 + self.buf"))
    done, again = run()
    reused = [line for line in done.stdout.splitlines() if "cells were reused" in line]
    assert reused and reused[-1].endswith(
        "in the 2 that ran, %d of %d cells were reused" % (2 * EXPORTERS, 4 * EXPORTERS)
    )
    before = {(o["environment"], o["behaviour"], o["exporter"]): o["outcome"] for o in matrix["observations"]}
    after = {(o["environment"], o["behaviour"], o["exporter"]): o["outcome"] for o in again["observations"]}
    assert after == before
