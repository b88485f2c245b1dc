"""`exportmatrix bisect` for real, between torch 2.9 and 2.10 on
attr.tensor_reassign / dynamo_export: an export error in 2.9 (dynamo refuses
the mutation), silently diverging in 2.10. PyPI's index is asked which patch
releases there are (2.9.0, 2.9.1, 2.10.0 when this was written); each is
installed through the matrix's nox sessions (2.9.0 in a session of its own,
the newest 2.9.x and 2.10.x in the matrix's torch-2.9 and torch-2.10
virtualenvs under .nox/, reused between runs) and only the one cell runs.
"""

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

CELL = ["attr.tensor_reassign", "dynamo_export"]


def bisect(root, config, results):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTMATRIX_")}
    command = [sys.executable, "-m", "exportmatrix", "bisect", *CELL, "--between", "2.9", "2.10"]
    return subprocess.run(
        command + ["--results", str(results), "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=root,
        env=environment,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def bisect_config(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bisect")
    text = (root / "matrix.toml").read_text()
    text = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.9", "2.10"]', text, count=1)
    (folder / "matrix.toml").write_text(text)
    return folder / "matrix.toml"


@pytest.fixture(scope="module")
def first(root, bisect_config):
    results = bisect_config.parent / "results"
    return bisect(root, bisect_config, results), results


def test_it_names_2_10_0_with_both_evidences(first):
    done, _ = first
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"offers 2\.9\.0, 2\.9\.1, 2\.10\.0 \(Python 3\.11", out), out
    assert (
        "attr.tensor_reassign / dynamo_export became diverges in 2.10.0 "
        "(first release with it; before it, 2.9.1)" in out
    ), out
    assert "  2.9.1    export-error (AssertionError: Mutating module attribute a during export.)" in out
    assert "  2.10.0   diverges (attribute a)" in out
    assert re.search(r"3 releases in \d+ s \(2\.9\.0 \d+ s; 2\.9\.1 \d+ s; 2\.10\.0 \d+ s\)", out), out


def test_each_release_ran_in_its_session_and_observed_only_the_one_cell(first):
    done, results = first
    out = done.stdout
    for version, session in (("2.9.0", "torch-2.9.0"), ("2.9.1", "torch-2.9"), ("2.10.0", "torch-2.10")):
        assert re.search(r"exportmatrix: %s +\S.*\[ran in session %s, \d+ s\]" % (re.escape(version), session), out)
    streams = sorted((results / "bisect" / "envs").glob("*.jsonl"))
    assert [path.name for path in streams] == [
        "torch-2.10.0+cu128-py3.11.jsonl",
        "torch-2.9.0+cu128-py3.11.jsonl",
        "torch-2.9.1+cu128-py3.11.jsonl",
    ]
    for path in streams:
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        cells = [line["observation"] for line in lines if line["kind"] == "observation"]
        assert [(c["behaviour"], c["exporter"]) for c in cells] == [tuple(CELL)]
        assert not [line for line in lines if line["kind"] == "upstream"]  # the seed file is not run
    assert not (results / "matrix.json").exists()  # the matrix's own results are not touched


def test_a_second_bisect_reuses_the_first_and_the_matrix(root, bisect_config, first):
    _, results = first
    # a matrix holding 2.10.0's cell: that release is not run again
    stream = next((results / "bisect" / "envs").glob("torch-2.10.0*.jsonl"))
    lines = [json.loads(line) for line in stream.read_text().splitlines()]
    environment = dict(lines[0]["environment"])
    observation = next(line["observation"] for line in lines if line["kind"] == "observation")
    matrix = {
        "schema": "exportmatrix/1",
        "environments": [environment],
        "behaviours": [],
        "observations": [{**observation, "environment": environment["id"]}],
        "upstream": [],
    }
    (results / "matrix.json").write_text(json.dumps(matrix))
    done = bisect(root, bisect_config, results)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[from the matrix, %s, 0 s]" % environment["id"] in done.stdout
    assert "[earlier bisect run, session torch-2.9.0" in done.stdout
    assert "became diverges in 2.10.0" in done.stdout
