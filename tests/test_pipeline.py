"""The install/suite pipeline of `nox -s matrix`, with a stand-in for nox."""

import threading
import time

from exportmatrix.run import INSTALL_ONLY, run_sessions
from exportmatrix.run.batch import longest_first


class FakeNox:
    """Records when each install and suite ran; installs of `failing` fail."""

    def __init__(self, seconds=0.05, failing=(), suite_seconds=None):
        self.seconds, self.failing = seconds, set(failing)
        self.suite_seconds = seconds if suite_seconds is None else suite_seconds
        self.spans = []  # (stage, name, start, end)
        self.lock = threading.Lock()

    def __call__(self, command, stdout, stderr):
        name = command[2]
        stage = "install" if command[-1] == INSTALL_ONLY else "suite"
        start = time.monotonic()
        time.sleep(self.seconds if stage == "install" else self.suite_seconds)
        with self.lock:
            self.spans.append((stage, name, start, time.monotonic()))
        return 1 if stage == "install" and name in self.failing else 0

    def span(self, stage, name):
        (found,) = [(start, end) for s, n, start, end in self.spans if (s, n) == (stage, name)]
        return found

    def most_at_once(self, stage):
        spans = [(start, end) for s, _, start, end in self.spans if s == stage]
        return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


def test_installs_go_in_order_one_at_a_time_and_suites_overlap_them(tmp_path):
    nox = FakeNox()
    runs = run_sessions(["a", "b", "c"], ["nox", "-s"], tmp_path, jobs=2, install_jobs=1, call=nox)
    assert [(run.name, run.returncode) for run in runs] == [("a", 0), ("b", 0), ("c", 0)]
    assert nox.most_at_once("install") == 1
    assert nox.span("install", "a")[1] <= nox.span("install", "b")[0] <= nox.span("install", "c")[0]
    # a's suite ran while b was installing
    a_suite, b_install = nox.span("suite", "a"), nox.span("install", "b")
    assert a_suite[0] < b_install[1] and b_install[0] < a_suite[1]
    for name in "abc":  # a suite only after its own install
        assert nox.span("suite", name)[0] >= nox.span("install", name)[1]


def test_suites_run_jobs_at_a_time_and_a_free_cpu_takes_the_first_installed_name(tmp_path):
    nox = FakeNox(seconds=0.01, suite_seconds=0.1)
    names = ["a", "b", "c", "d", "e"]
    run_sessions(names, ["nox", "-s"], tmp_path, jobs=1, install_jobs=5, call=nox)
    assert nox.most_at_once("suite") == 1
    assert nox.most_at_once("install") > 1
    suite_order = [n for s, n, _, _ in sorted(nox.spans, key=lambda span: span[2]) if s == "suite"]
    # all five were installed while the first suite ran; the rest go in the order given
    assert suite_order[1:] == sorted(suite_order[1:], key=names.index)


def test_a_failed_install_runs_no_suite_and_is_reported(tmp_path, capsys):
    nox = FakeNox(failing={"b"})
    runs = run_sessions(["a", "b", "c"], ["nox", "-s"], tmp_path, call=nox)
    assert [(run.name, run.returncode) for run in runs] == [("a", 0), ("b", 1), ("c", 0)]
    assert runs[0].install_seconds >= 0.05 and runs[0].suite_seconds >= 0.05
    assert runs[1].describe().startswith("FAILED in 0 s (install 0 s, suite 0 s)")
    assert not [span for span in nox.spans if span[:2] == ("suite", "b")]
    out = capsys.readouterr().out
    assert "b: FAILED (exit 1, see its log)" in out
    assert "[3 done, 0 running, 0 waiting]" in out
    assert (tmp_path / "b.log").exists()


def test_newest_releases_are_scheduled_first(root):
    from exportmatrix.config import load, plan

    environments = plan(load(root / "matrix.toml"), ["2.0", "2.10", "2.4", "2.9"], ["pypi"])
    assert [e.release for e in longest_first(environments)] == ["2.10", "2.9", "2.4", "2.0"]


def test_an_environment_already_installed_goes_straight_to_its_suite(tmp_path, capsys):
    nox = FakeNox()
    runs = run_sessions(["a", "b"], ["nox", "-s"], tmp_path, call=nox, installed=lambda name: name == "a")
    assert [run.returncode for run in runs] == [0, 0]
    assert [(stage, name) for stage, name, _, _ in nox.spans if stage == "install"] == [("install", "b")]
    assert {name for stage, name, _, _ in nox.spans if stage == "suite"} == {"a", "b"}
    assert "a: already installed" in capsys.readouterr().out


def test_a_child_reports_the_cpu_time_of_its_whole_process_tree(tmp_path):
    import subprocess
    import sys

    from exportmatrix.run.pipeline import run_child

    spin = "import time; end = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    child = [
        sys.executable,
        "-c",
        "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', %r]) + 3)" % spin,
    ]
    done = run_child(child, subprocess.DEVNULL, subprocess.DEVNULL)
    assert done.returncode == 3
    assert done.cpu_seconds >= 0.3  # the grandchild's spin counts: nox's pytest is a grandchild


def test_the_bound_is_the_suites_cpu_over_the_cpus_after_the_first_install():
    from exportmatrix.run import Batch, SessionRun

    batch = Batch(runs=[SessionRun("a", 0, 50, 10, 40, 80), SessionRun("b", 0, 30, 2, 28, 40)], seconds=75)
    assert batch.bound(2) == (120, 10, 70)
