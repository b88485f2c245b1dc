"""Finding each environment's Python as the ecosystem does (PATH, uv's
discovery, pyenv), and an environment whose Python is found nowhere recorded
as install-failed with everything that was tried."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from exportmatrix.config import load, plan
from exportmatrix.run import interpreters
from exportmatrix.run.batch import find_pythons

# a real interpreter of this machine, to be found by the routes below
REAL = Path(sys.base_prefix) / "bin" / ("python%d.%d" % sys.version_info[:2])
VERSION = "%d.%d" % sys.version_info[:2]


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """PATH without any pythonX.Y (only the folders of uv and of basic tools),
    no pyenv root, no uv-managed Pythons."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("uv", "sh", "env"):
        found = shutil.which(name) or str(Path(sys.executable).parent / name)
        (tools / name).symlink_to(found)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv-pythons"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    assert shutil.which("python" + VERSION) is None
    return tmp_path


def test_uv_finds_an_interpreter_that_path_does_not_show(bare, monkeypatch):
    # a uv-managed installation, as `uv python install` lays it out
    managed = bare / "uv-pythons" / ("cpython-%s-linux-x86_64-gnu" % ".".join(map(str, sys.version_info[:3])))
    (managed / "bin").mkdir(parents=True)
    (managed / "bin" / ("python" + VERSION)).symlink_to(REAL)
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(bare / "uv-pythons"))
    found = interpreters.find(VERSION)
    assert found.path == str(managed / "bin" / ("python" + VERSION))
    assert found.tried == ["PATH: no python" + VERSION]
    interpreters.expose([found], bare / "linked")
    assert shutil.which("python" + VERSION) == str(bare / "linked" / ("python" + VERSION))  # nox sees it now


def test_pyenv_versions_are_found_where_uv_sees_nothing(bare, monkeypatch):
    patch = "%s.%d" % (VERSION, sys.version_info[2])
    (bare / "pyenv" / "versions" / patch / "bin").mkdir(parents=True)
    (bare / "pyenv" / "versions" / patch / "bin" / ("python" + VERSION)).symlink_to(REAL)
    monkeypatch.setenv("PYENV_ROOT", str(bare / "pyenv"))
    found = interpreters.find(VERSION)
    assert found.path == str(bare / "pyenv" / "versions" / patch / "bin" / ("python" + VERSION))
    assert found.tried[0] == "PATH: no python" + VERSION and found.tried[1].startswith("uv python find")


def on_python_3_99(bare, root, monkeypatch, policy):
    """torch 2.4 of the repository's matrix, asking for a Python no machine has; nox's download policy set."""
    config = bare / "matrix.toml"
    config.write_text((root / "matrix.toml").read_text().replace('python = "3.11"', 'python = "3.99"', 1))
    monkeypatch.setenv("NOX_DOWNLOAD_PYTHON", policy)
    return [e for e in plan(load(config), ["2.4"]) if e.build.name == "pypi"]


def test_a_python_found_nowhere_is_install_failed_with_what_was_tried(bare, root, monkeypatch):
    environments = on_python_3_99(bare, root, monkeypatch, "never")
    missing, found = find_pythons(environments, bare / "results")
    assert missing == ["torch-2.4"] and found["3.99"].path is None
    (stream,) = (bare / "results" / "envs").glob("*.jsonl")
    recorded = json.loads(stream.read_text().splitlines()[0])["environment"]
    assert recorded["status"] == "install-failed"
    assert recorded["reason"] == (
        "Python 3.99 not found: PATH: no python3.99; uv python find 3.99: none (its managed installations, "
        "virtual environments and PATH); pyenv: no 3.99.* under %s; nox --download-python never: no download"
        % (bare / "no-pyenv" / "versions")
    )


def test_where_nox_may_download_the_environment_is_left_to_it(bare, root, monkeypatch, capsys):
    environments = on_python_3_99(bare, root, monkeypatch, "auto")
    missing, _ = find_pythons(environments, bare / "results")
    assert missing == [] and not (bare / "results" / "envs").exists()
    out = capsys.readouterr().out
    assert "torch-2.4: Python 3.99 not found (PATH: no python3.99;" in out
    assert "nox may download it (--download-python auto)" in out


def test_where_nox_could_not_download_it_either_the_reason_says_so(bare, root, monkeypatch):
    import time

    from exportmatrix.run.batch import pythons_not_downloaded

    environments = on_python_3_99(bare, root, monkeypatch, "auto")
    _, found = find_pythons(environments, bare / "results")
    pythons_not_downloaded(environments, bare / "results", found, time.time())  # the session wrote no stream
    (stream,) = (bare / "results" / "envs").glob("*.jsonl")
    recorded = json.loads(stream.read_text().splitlines()[0])["environment"]
    assert recorded["status"] == "install-failed"
    assert recorded["reason"].startswith("Python 3.99 not found: PATH: no python3.99; uv python find 3.99: none")
    assert recorded["reason"].endswith(
        "nox --download-python auto: no interpreter (see %s)" % (bare / "results" / "logs" / "torch-2.4.log")
    )
