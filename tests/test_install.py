"""The installer's limit holds whatever the installer does: prints and ends,
stays silent, or leaves a child behind that holds its output open.

Each install runs in a thread the test waits on for a bounded time, so a
regression fails here instead of hanging the suite."""

import importlib
import sys
import threading
import time
from pathlib import Path

import pytest

from exportmatrix.run.install import InstallResult, install

# the module itself (exportmatrix.run's `install` is the function)
install_module = importlib.import_module("exportmatrix.run.install")

GUARD_S = 15  # the longest any of these installs may take, limit included


def with_installer(monkeypatch, command: list[str]) -> None:
    """Make `install` run `command` instead of uv or pip."""
    monkeypatch.setattr(install_module, "install_command", lambda python, arguments, uv: command)


def guarded_install(timeout: float) -> tuple[InstallResult, float]:
    """(the result, seconds taken) of install(), failing after GUARD_S."""
    outcome: list[InstallResult] = []
    started = time.monotonic()
    worker = threading.Thread(
        target=lambda: outcome.append(install(Path(sys.executable), [], timeout=timeout)), daemon=True
    )
    worker.start()
    worker.join(GUARD_S)
    assert not worker.is_alive(), "install() did not return within %d s (limit %g s)" % (GUARD_S, timeout)
    return outcome[0], time.monotonic() - started


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its reaper does not)."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def test_a_silent_installer_is_stopped_at_its_limit(monkeypatch):
    with_installer(monkeypatch, [sys.executable, "-c", "import time; time.sleep(60)"])
    outcome, seconds = guarded_install(timeout=2)
    assert not outcome.ok
    assert outcome.reason == "the install ran past 2 s and was stopped"
    assert 2 <= seconds < 8


@pytest.mark.parametrize(
    "script, timeout, shown, reason",
    [
        (  # stopped at the limit: the reason ends with its last lines
            "import time; print('Resolving torch==2.4.*', flush=True); time.sleep(60)",
            2,
            "Resolving torch==2.4.*",
            "the install ran past 2 s and was stopped: Resolving torch==2.4.*",
        ),
        (  # failed: the reason is its error lines
            "print('Resolved 3 packages'); print('error: no version of torch==2.99.*'); raise SystemExit(1)",
            30,
            "Resolved 3 packages",
            "installer exited with 1: error: no version of torch==2.99.*",
        ),
    ],
    ids=["stopped", "failed"],
)
def test_an_install_that_fails_gives_the_installers_own_words(monkeypatch, capsys, script, timeout, shown, reason):
    with_installer(monkeypatch, [sys.executable, "-c", script])
    outcome, _ = guarded_install(timeout=timeout)
    assert not outcome.ok and outcome.reason == reason
    assert shown in capsys.readouterr().out  # shown as it came


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_an_installer_whose_child_holds_the_output_is_stopped_whole(monkeypatch, tmp_path):
    child = tmp_path / "child.pid"
    with_installer(monkeypatch, ["sh", "-c", "sleep 60 & echo $! > %s; sleep 60" % child])
    outcome, seconds = guarded_install(timeout=2)
    assert not outcome.ok and "ran past 2 s" in outcome.reason
    assert seconds < 8
    pid = int(child.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), "the installer's child survived it"


def test_an_installer_that_succeeds_is_ok(monkeypatch, capsys):
    with_installer(monkeypatch, [sys.executable, "-c", "print('Installed 1 package')"])
    outcome, seconds = guarded_install(timeout=30)
    assert outcome.ok and outcome.reason == ""
    assert "Installed 1 package" in capsys.readouterr().out
    assert seconds < 5


def test_an_installer_that_cannot_start_says_so(monkeypatch, tmp_path):
    with_installer(monkeypatch, [str(tmp_path / "no-such-installer")])
    outcome, _ = guarded_install(timeout=30)
    assert not outcome.ok and outcome.reason.startswith("could not start the installer")
