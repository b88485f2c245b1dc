"""Faults around a whole run: a broken matrix.toml, environments that cannot
be built, a run killed halfway, two runs at once, unreadable results."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from exportmatrix.base import encode, read_matrix
from exportmatrix.run import ResultsLock
from exportmatrix.schemas import problems
from exportmatrix.streams import read_stream

DEAD_INDEX = """
[builds.dead]
index = "http://10.255.255.1/simple"
releases = ">=2.0"
"""


def small_config(root, folder, releases, extra=""):
    text = (root / "matrix.toml").read_text()
    text = re.sub(r"(?ms)^releases = \[.*?\]", "releases = %s" % json.dumps(releases), text, count=1)
    path = folder / "matrix.toml"
    path.write_text(text + extra)
    return path


def nox_command(root, *arguments):
    return [sys.executable, "-m", "nox", "-f", str(root / "noxfile.py"), *arguments]


def environ(config, results):
    return dict(os.environ, EXPORTMATRIX_CONFIG=str(config), EXPORTMATRIX_RESULTS=str(results))


@pytest.mark.parametrize(
    "change, expected",
    [
        (("releases = [", "colour = 'red'\nreleases = ["), "colour = 'red': unknown key"),
        (('"2.4"]', '"2.x"]'), "releases[0] = '2.x': not a version"),
        (('default-build = "pypi"', 'default-build = "tpu"'), "default-build = 'tpu': unknown build"),
        (('"2.4"]', '"2.4", "2.4"]'), "releases[1] = '2.4': this release is listed twice"),
    ],
)
def test_a_bad_matrix_toml_stops_with_one_line_before_anything_is_installed(root, tmp_path, change, expected):
    config = small_config(root, tmp_path, ["2.4"])
    config.write_text(config.read_text().replace(*change, 1))
    done = subprocess.run(
        nox_command(root, "-s", "matrix"),
        capture_output=True,
        text=True,
        env=environ(config, tmp_path / "results"),
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "exportmatrix: %s: %s" % (config, done.stderr.split(": ", 2)[2].strip())
    ]
    assert expected in done.stderr
    assert not (tmp_path / "results").exists()


def test_environments_that_cannot_be_built_are_recorded_and_the_rest_run(root, tmp_path):
    """A release that does not exist, a Python not on the machine, an index
    that cannot be reached: each is install-failed with its reason, in
    bounded time; 2.4 from PyPI still runs."""
    rule = '\n[[rule]]\nreleases = "==2.10.*"\npython = "3.99"\n'
    config = small_config(root, tmp_path, ["2.4", "2.10", "2.99"], DEAD_INDEX + rule)
    results = tmp_path / "results"
    started = time.monotonic()
    done = subprocess.run(
        nox_command(root, "-s", "matrix", "--", "--build", "pypi", "--build", "dead"),
        capture_output=True,
        text=True,
        env=dict(environ(config, results), NOX_DOWNLOAD_PYTHON="auto"),  # nox's default: it may try to download
        timeout=1200,
    )
    assert done.returncode != 0
    matrix = read_matrix(results / "matrix.json")
    assert problems("matrix", encode(matrix)) == []
    by_session = {e["session"]: e for e in matrix["environments"]}
    assert by_session["torch-2.4"]["status"] == "ok"
    for session in ("torch-2.10", "torch-2.10-dead"):
        assert by_session[session]["status"] == "install-failed"
        reason = by_session[session]["reason"]  # every route tried, then nox's own download
        assert reason.startswith("Python 3.99 not found: PATH: no python3.99; uv python find 3.99: none"), reason
        assert "; pyenv: no 3.99.* under " in reason
        assert reason.endswith("nox --download-python auto: no interpreter (see %s.log)" % (results / "logs" / session))
    missing = by_session["torch-2.99"]
    assert missing["status"] == "install-failed" and "torch==2.99" in missing["reason"]
    dead = by_session["torch-2.4-dead"]
    assert dead["status"] == "install-failed"
    assert "torch" in dead["reason"] and "installer exited" in dead["reason"]
    assert "torch-2.10: Python 3.99 not found: PATH: no python3.99;" in done.stderr
    assert time.monotonic() - started < 900


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError("gave up waiting for " + what)


def test_a_run_killed_halfway_resumes_without_redoing_complete_environments(root, tmp_path):
    config = small_config(root, tmp_path, ["2.4", "2.10"])
    results = tmp_path / "results"
    envs = results / "envs"
    process = subprocess.Popen(
        nox_command(root, "-s", "matrix", "--", "--jobs", "1"),
        env=environ(config, results),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def halfway():
        # one environment whole, the other's stream started (either may finish first)
        partial = list(envs.glob("*.partial"))
        return len(list(envs.glob("*.jsonl"))) == 1 and partial and '"kind": "observation"' in partial[0].read_text()

    try:
        wait_for(halfway, 900, "one environment complete and the other half done")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # nothing half-written: every results file is whole, the interrupted one is only a .partial
    (complete,) = envs.glob("*.jsonl")
    assert read_stream(complete).complete
    assert not (results / "matrix.json").exists()
    finished = read_stream(complete).environment["session"]
    (interrupted,) = {"torch-2.4", "torch-2.10"} - {finished}

    done = subprocess.run(
        nox_command(root, "-s", "matrix"), capture_output=True, text=True, env=environ(config, results), timeout=1200
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "%s: unchanged since its last complete run, reused" % finished in done.stdout
    assert "%s: done" % interrupted in done.stdout
    matrix = read_matrix(results / "matrix.json")
    assert [e["status"] for e in matrix["environments"]] == ["ok", "ok"]
    assert list(envs.glob("*.partial")) == []


def test_a_second_run_on_the_same_results_is_refused_with_who_holds_them(root, tmp_path):
    results = tmp_path / "results"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from exportmatrix.run import ResultsLock\n"
            "with ResultsLock(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(600)",
            str(results),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        config = small_config(root, tmp_path, ["2.4"])
        done = subprocess.run(
            nox_command(root, "-s", "matrix"), capture_output=True, text=True, env=environ(config, results), timeout=120
        )
        assert done.returncode != 0
        assert "is in use by another run (pid %d on " % holder.pid in done.stdout + done.stderr
        assert not (results / "envs").exists()
    finally:
        holder.kill()
        holder.wait()
    with ResultsLock(results):  # the OS released the dead holder's lock
        pass


def test_unreadable_results_files_are_named_and_the_rest_merged(tmp_path):
    from streams_factory import environment, observation, write_stream

    envs = tmp_path / "results" / "envs"
    good = write_stream(
        envs,
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
    )
    text = good.read_text()
    (envs / "truncated.jsonl").write_text(text.replace("torch-2.4.1-py3.11", "torch-2.5.1-py3.11")[:-40])
    (envs / "empty.jsonl").write_text("")
    (envs / "corrupt.jsonl").write_bytes(b"\xff\xfe\x00garbage\n")
    (envs / "foreign.jsonl").write_text(json.dumps({"hello": "world"}) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(tmp_path / "results")],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    for name, problem in (
        ("truncated.jsonl:", "not JSON"),
        ("empty.jsonl", "empty"),
        ("corrupt.jsonl:1", "not JSON"),
        ("foreign.jsonl:1", "not an exportmatrix-line/2 line"),
    ):
        assert any(name in line and problem in line for line in done.stderr.splitlines()), (name, done.stderr)
    matrix = read_matrix(tmp_path / "results" / "matrix.json")
    assert [e["id"] for e in matrix["environments"]] == ["torch-2.4.1-py3.11"]
