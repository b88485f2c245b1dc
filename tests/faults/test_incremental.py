"""Cell reuse against a real torch: a rerun copies every cell whose key is
unchanged; editing one behaviour reruns only its cells; editing the suite's
shared code reruns every cell; no reuse (--fresh) reruns everything; and a
crash after reused cells resumes without recording any cell twice.

Runs a copy of the suite, so the edits never touch the repository."""

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from exportmatrix.run import bytecode_cache_variables, run_suite
from exportmatrix.streams import read_stream

SUITE = Path(__file__).resolve().parents[2] / "suite"
ENVIRONMENT = {"id": "incremental", "session": "incremental", "release": "2.4", "build": "pypi"}
EXPORTERS = "(export_strict or compile_fullgraph-)"

BEHAVIOURS = """
import ctypes

import torch
from exportmatrix_suite import behaviour


@behaviour(id="inc.scale", description="scales a buffer in place", tags=("test",),
           inputs=lambda: (torch.ones(2),), mutates=("buffer buf",))
class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.ones(2))

    def forward(self, x):
        self.buf.mul_(2)
        return x + self.buf


@behaviour(id="inc.plain", description="no mutation", tags=("test",), inputs=lambda: (torch.ones(2),))
class Plain(torch.nn.Module):
    def forward(self, x):
        return x * 3


@behaviour(id="inc.misdeclared", description="says it mutates nothing, but does", tags=("test",),
           inputs=lambda: (torch.ones(2),))
class Misdeclared(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.ones(2))

    def forward(self, x):
        self.buf.add_(1)
        return x


@behaviour(id="inc.segfault", description="kills the interpreter", tags=("test",), inputs=lambda: (torch.ones(2),))
class Segfault(torch.nn.Module):
    def forward(self, x):
        ctypes.string_at(0)
        return x
"""


class Suite:
    """A copy of the suite plus a file of behaviours, run into one stream."""

    def __init__(self, python: Path, tmp_path: Path):
        self.python, self.dir = python, tmp_path / "suite"
        shutil.copytree(SUITE, self.dir, ignore=shutil.ignore_patterns("__pycache__"))
        self.behaviours = tmp_path / "inc_behaviours.py"
        self.behaviours.write_text(BEHAVIOURS)
        self.final = tmp_path / "inc.jsonl"

    def run(self, names: str, reuse: bool = True, checks: bool = False) -> dict:
        selection = "test_cell and (%s) and %s" % (names, EXPORTERS)
        if checks:  # the behaviours' eager checks too
            selection = "(%s) or (test_the_eager_run and (%s))" % (selection, names)

        def call(command, env=None):
            return subprocess.call(
                command + ["--exportmatrix-behaviours", str(self.behaviours), "-k", selection], env=env
            )

        variables = bytecode_cache_variables(self.python.parent.parent)
        run_suite(self.python, self.dir, self.final, ENVIRONMENT, 60, reuse=reuse, call=call, variables=variables)
        stream = read_stream(self.final)
        assert stream.complete
        counts = Counter((o["behaviour"], o["exporter"]) for o in stream.observations)
        assert set(counts.values()) == {1}, "a cell was recorded twice: %s" % counts
        (end,) = [json.loads(line)["end"] for line in self.final.read_text().splitlines() if '"kind": "end"' in line]
        return {
            "cells": sorted(counts),
            "reused": end["reused"],
            "outcomes": self.outcomes(stream),
            "checks_run": self.checks_run(),
        }

    def checks_run(self) -> dict:
        """The eager checks this run really ran, by behaviour, with whether they passed."""
        lines = [json.loads(line) for line in self.final.read_text().splitlines()]
        started = {line["started"]["test"] for line in lines if line["kind"] == "started"}
        return {
            line["finished"]["test"].rsplit("[", 1)[1].rstrip("]"): line["finished"]["passed"]
            for line in lines
            if line["kind"] == "finished"
            and "test_the_eager_run" in line["finished"]["test"]
            and line["finished"]["test"] in started
        }

    @staticmethod
    def outcomes(stream) -> dict:
        return {(o["behaviour"], o["exporter"]): o["outcome"] for o in stream.observations}

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, 1))


@pytest.fixture
def suite(torch_python, tmp_path):
    return Suite(torch_python, tmp_path)


def test_reruns_reuse_exactly_the_cells_whose_key_is_unchanged(suite):
    first = suite.run("inc.scale or inc.plain")
    assert len(first["cells"]) == 4 and first["reused"] == 0

    again = suite.run("inc.scale or inc.plain")
    assert again["reused"] == 4 and again["outcomes"] == first["outcomes"]

    suite.edit(suite.behaviours, "return x * 3", "return x * 4")  # one behaviour's own code
    edited = suite.run("inc.scale or inc.plain")
    assert edited["reused"] == 2 and edited["cells"] == first["cells"]

    suite.edit(
        suite.dir / "exportmatrix_suite" / "classify.py",
        '"""',
        '"""Shared code, edited. ',
    )  # the suite's shared code (the classification rule's docstring)
    shared = suite.run("inc.scale or inc.plain")
    assert shared["reused"] == 0 and shared["cells"] == first["cells"]

    fresh = suite.run("inc.scale or inc.plain", reuse=False)
    assert fresh["reused"] == 0 and fresh["outcomes"] == shared["outcomes"]


def test_a_crash_after_reused_cells_resumes_without_recording_a_cell_twice(suite):
    suite.run("inc.scale or inc.plain")
    # inc.plain's cells are copied at collection; inc.segfault's kill the process twice
    mixed = suite.run("inc.scale or inc.plain or inc.segfault")
    assert mixed["reused"] == 4
    assert [mixed["outcomes"][("inc.segfault", e)] for e in ("export_strict", "compile_fullgraph")] == ["crash"] * 2
    # the crashes are cells too: the next rerun copies them instead of crashing again
    assert suite.run("inc.scale or inc.plain or inc.segfault")["reused"] == 6


def test_a_passed_eager_check_is_reused_only_while_its_key_holds_and_a_failure_never(suite):
    names = "inc.scale or inc.plain or inc.misdeclared"
    first = suite.run(names, checks=True)
    assert first["checks_run"] == {"inc.scale": True, "inc.plain": True, "inc.misdeclared": False}
    again = suite.run(names, checks=True)
    assert again["checks_run"] == {"inc.misdeclared": False}  # a failure is checked again, and fails again
    suite.edit(suite.behaviours, "return x * 3", "return x * 4")
    assert suite.run(names, checks=True)["checks_run"] == {"inc.plain": True, "inc.misdeclared": False}


def test_a_run_of_other_behaviours_keeps_the_earlier_runs_valid_cells(suite):
    """A run of one behaviour (as `--only-cases` or `--only-behaviour` make
    it) copies the earlier run's cells of the others, while their key holds;
    once a behaviour's code changes, its old cells are not kept."""
    first = suite.run("inc.scale or inc.plain")
    assert len(first["cells"]) == 4

    def only(name):
        def call(command, env=None):
            command += ["--exportmatrix-behaviours", str(suite.behaviours), "--exportmatrix-only-behaviour", name]
            return subprocess.call(command + ["-k", "test_cell and %s" % EXPORTERS], env=env)

        variables = bytecode_cache_variables(suite.python.parent.parent)
        run_suite(suite.python, suite.dir, suite.final, ENVIRONMENT, 60, call=call, variables=variables)
        return Suite.outcomes(read_stream(suite.final))

    assert only("inc.plain") == first["outcomes"]  # inc.scale's two cells kept beside inc.plain's
    suite.edit(suite.behaviours, "self.buf.mul_(2)", "self.buf.mul_(3)")  # inc.scale's own code
    assert sorted(only("inc.plain")) == [("inc.plain", "compile_fullgraph"), ("inc.plain", "export_strict")]
