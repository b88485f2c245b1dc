"""The fork server: each `python -m pytest` run of the suite is a child of
one long-lived process, whose return codes read as subprocess's do; a child
that dies leaves the server serving, and a server that dies ends the run it
was serving as a process's death would, the rest running without it.

Run here with the host's Python, which has pytest and no torch: the server
imports what it can and the children do the rest, as they would on a
release whose torch does not import."""

import os
import signal
import sys
from pathlib import Path

import pytest

from exportmatrix.run.forkserver import SUPPORTED, ForkServer

SUITE = Path(__file__).resolve().parents[1] / "suite"
TESTS = """
import os, signal
from pathlib import Path

def test_writes_its_parent():
    Path(os.environ["PARENTS"]).open("a").write("%d %d\\n" % (os.getpid(), os.getppid()))

def test_segfaults():
    os.kill(os.getpid(), signal.SIGSEGV)

def test_fails():
    assert False

def test_kills_the_server():
    os.kill(os.getppid(), signal.SIGKILL)
"""

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="the fork server is for Linux; elsewhere each run is a process")


@pytest.fixture
def runs(tmp_path):
    (tmp_path / "test_runs.py").write_text(TESTS)
    variables = {**os.environ, "PARENTS": str(tmp_path / "parents")}
    server = ForkServer(Path(sys.executable), SUITE, variables)
    yield server, tmp_path, variables
    server.close()


def pytest_command(folder, selection):
    return [sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider", "-k", selection]


def parents(folder):
    return [tuple(int(n) for n in line.split()) for line in (folder / "parents").read_text().splitlines()]


def test_each_run_is_a_fresh_child_of_the_same_server(runs):
    server, folder, variables = runs
    assert server.call(pytest_command(folder, "writes_its_parent"), env=variables) == 0
    assert server.call(pytest_command(folder, "segfaults"), env=variables) == -signal.SIGSEGV
    assert server.call(pytest_command(folder, "fails"), env=variables) == 1
    assert server.call(pytest_command(folder, "writes_its_parent"), env=variables) == 0
    (first, first_parent), (second, second_parent) = parents(folder)
    assert first_parent == second_parent == server.process.pid
    assert first != second


def test_a_server_killed_ends_its_run_as_a_death_and_the_next_runs_go_without_it(runs):
    server, folder, variables = runs
    assert server.call(pytest_command(folder, "kills_the_server"), env=variables) == -signal.SIGKILL
    assert server.process is None
    assert server.call(pytest_command(folder, "writes_its_parent"), env=variables) == 0
    [(child, parent)] = parents(folder)
    assert parent == os.getpid()  # a process of its own, started here


def test_a_command_it_cannot_serve_runs_as_a_process_of_its_own(runs):
    server, folder, variables = runs
    other = {**variables, "SOMETHING": "else"}
    assert server.call(pytest_command(folder, "writes_its_parent"), env=other) == 0
    assert server.call([sys.executable, "-c", "raise SystemExit(3)"], env=variables) == 3
    [(child, parent)] = parents(folder)
    assert parent == os.getpid()
    assert server.process is not None  # still there for the runs it can serve


def test_a_server_that_dies_before_running_a_command_leaves_it_to_a_process_of_its_own(tmp_path):
    """As when torch's import kills the server: nothing of the run happened."""
    (tmp_path / "test_runs.py").write_text(TESTS)
    dying = tmp_path / "dying-suite"
    dying.mkdir()
    (dying / "forkserver.py").write_text("import time\ntime.sleep(1)\nraise SystemExit(7)\n")
    variables = {**os.environ, "PARENTS": str(tmp_path / "parents")}
    with ForkServer(Path(sys.executable), dying, variables) as server:
        assert server.call(pytest_command(tmp_path, "writes_its_parent"), env=variables) == 0
        assert server.process is None
    [(child, parent)] = parents(tmp_path)
    assert parent == os.getpid()


def test_a_suite_folder_without_the_server_runs_each_command_as_a_process(tmp_path):
    (tmp_path / "test_runs.py").write_text(TESTS)
    variables = {**os.environ, "PARENTS": str(tmp_path / "parents")}
    with ForkServer(Path(sys.executable), tmp_path / "no-suite-here", variables) as server:
        assert server.process is None
        assert server.call(pytest_command(tmp_path, "segfaults"), env=variables) == -signal.SIGSEGV
