"""One torch session's steps, driven with a stand-in nox session."""

import json
import subprocess
import sys

import pytest

from exportmatrix.config import load, plan
from exportmatrix.run import environment_fingerprint
from exportmatrix.run import session as session_module
from exportmatrix.run.install import InstallResult, failure_reason, find_uv, install, install_command


class Stopped(Exception):
    pass


class FakeSession:
    def __init__(self, tmp_path, torch_version="2.4.1+cu121"):
        self.bin = str(tmp_path / "bin")
        (tmp_path / "bin").mkdir(exist_ok=True)
        if not (tmp_path / "bin" / "python").exists():  # the environment's interpreter: this one
            (tmp_path / "bin" / "python").symlink_to(sys.executable)
        self.torch_version = torch_version
        self.commands = []

    def run(self, *command, silent=False):
        self.commands.append(command)
        if command[:2] == ("python", "-c"):
            return "%s 3.11.7\n" % self.torch_version
        return ""

    def log(self, message):
        pass

    def error(self, message):
        raise Stopped(message)


@pytest.fixture
def environment(root):
    return plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])[0]


def test_a_failed_install_is_recorded_with_its_reason(tmp_path, environment, monkeypatch):
    monkeypatch.setattr(
        session_module,
        "install",
        lambda python, arguments: InstallResult(False, [], "installer exited with 1: no torch==2.4.*"),
    )
    with pytest.raises(Stopped, match="install failed"):
        session_module.run_environment(FakeSession(tmp_path), environment, tmp_path / "results")
    (path,) = (tmp_path / "results" / "envs").iterdir()
    assert path.name == "torch-2.4-py3.11.jsonl"
    first = json.loads(path.read_text().splitlines()[0])
    assert first["environment"]["status"] == "install-failed"
    assert first["environment"]["reason"] == "installer exited with 1: no torch==2.4.*"
    assert first["environment"]["session"] == "torch-2.4"


def test_a_successful_install_runs_the_suite_into_the_environment_stream(tmp_path, environment, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(session_module, "install", lambda python, arguments: InstallResult(True, []))
    suite_runs = []

    def fake_run_suite(python, suite_dir, final, described, cell_timeout, reuse, variables, extra):
        suite_runs.append((python, final, described, cell_timeout))
        assert reuse
        # no case files asked for; the suite's default capture paths and shapes
        assert extra == ["--exportmatrix-paths", "default", "--exportmatrix-shapes", "static"]
        # compiled bytecode and inductor's cache are kept in the environment, whatever this shell says
        assert variables["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pycache")
        assert variables["TORCHINDUCTOR_CACHE_DIR"] == str(tmp_path / "torchinductor-cache")
        assert "PYTHONDONTWRITEBYTECODE" not in variables
        return 0

    monkeypatch.setattr(session_module, "run_suite", fake_run_suite)
    results = tmp_path / "results"
    # a stream from an earlier failed install of the same session is replaced
    (results / "envs").mkdir(parents=True)
    stale = results / "envs" / "torch-2.4-py3.11.jsonl"
    stale.write_text(
        json.dumps({"format": "exportmatrix-line/1", "kind": "environment", "environment": {"session": "torch-2.4"}})
        + "\n"
    )
    path = session_module.run_environment(FakeSession(tmp_path), environment, results, cell_timeout=30)
    assert path == results / "envs" / "torch-2.4.1+cu121-py3.11.jsonl"
    assert not stale.exists()
    ((python, final, described, cell_timeout),) = suite_runs
    assert python == tmp_path / "bin" / "python" and final == path and cell_timeout == 30
    assert described == {
        "session": "torch-2.4",
        "release": "2.4",
        "build": "pypi",
        "index": "https://pypi.org/simple",
        "python_requested": "3.11",
        "expected_version": "2.4",
        "expected_local_tag": None,
        "fingerprint": environment_fingerprint(environment),
        "venv": str(tmp_path),  # where a later run finds this install
        "capture_paths": ["default"],
        "shapes": ["static"],
        "package_index": {},  # the stand-in installer installed nothing
        "id": path.stem,
    }


def test_the_installer_reports_its_own_error_lines():
    tail = [
        "Resolved 3 packages",
        "  × No solution found when resolving dependencies:",
        "  ╰─▶ Because there is no version of torch==2.99.* ...",
        "done",
    ]
    reason = failure_reason(tail, 1)
    assert reason.startswith("installer exited with 1: × No solution found")
    assert "torch==2.99" in reason


def test_a_real_install_that_cannot_resolve_fails_with_the_reason(tmp_path):
    uv = find_uv()
    assert uv, "uv is a dev dependency"
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(tmp_path / "venv")], check=True)
    outcome = install(
        tmp_path / "venv" / "bin" / "python", ["--offline", "exportmatrix-no-such-package==1.0"], timeout=60
    )
    assert not outcome.ok
    assert "exportmatrix-no-such-package" in outcome.reason


def test_the_installer_uses_uv_when_there_is_one_and_pip_otherwise(tmp_path):
    python = tmp_path / "bin" / "python"
    uv_command = install_command(python, ["torch==2.4.*"], "/usr/bin/uv")
    assert uv_command == ["/usr/bin/uv", "pip", "install", "--python", str(python), "torch==2.4.*"]
    pip_command = install_command(python, ["torch==2.4.*"], None)
    assert pip_command[:4] == [str(python), "-m", "pip", "install"]
    assert "--timeout" in pip_command and pip_command[-1] == "torch==2.4.*"


def test_a_complete_install_is_recorded_in_the_environment_for_the_next_run(tmp_path, environment, root, monkeypatch):
    monkeypatch.setattr(session_module, "install", lambda python, arguments: InstallResult(True, []))
    venv = tmp_path  # FakeSession's bin is tmp_path/bin
    assert not session_module.installed_as_requested(venv, environment)
    session_module.run_environment(FakeSession(tmp_path), environment, tmp_path / "results", install_only=True)
    assert session_module.installed_as_requested(venv, environment)
    other = plan(load(root / "matrix.toml"), ["2.10"], ["pypi"])[0]
    assert not session_module.installed_as_requested(venv, other)
    (venv / session_module.INSTALL_RECORD).write_text("{not json")
    assert not session_module.installed_as_requested(venv, environment)


def test_a_failed_install_is_not_recorded_as_installed(tmp_path, environment, monkeypatch):
    monkeypatch.setattr(session_module, "install", lambda python, arguments: InstallResult(False, [], "no"))
    with pytest.raises(Stopped):
        session_module.run_environment(FakeSession(tmp_path), environment, tmp_path / "results", install_only=True)
    assert not session_module.installed_as_requested(tmp_path, environment)
