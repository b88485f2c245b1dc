"""The tool as a model author gets it: the wheel built from this checkout,
installed into a fresh virtual environment, run from an empty directory
(no checkout on the path) with a case file, on one real release whose Python
is not on PATH but where uv finds it. The matrix and the reports land in
that directory, the environment under its .nox/."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_case_files import CASES

from exportmatrix.run import interpreters

pytestmark = pytest.mark.e2e

RELEASE, PYTHON = "2.0", "3.10"  # the one release on Python 3.10: its interpreter is taken off PATH below


def uv() -> str:
    return str(Path(sys.executable).parent / "uv")


@pytest.fixture(scope="module")
def installed(root, tmp_path_factory):
    """The wheel, and a fresh virtual environment holding it (and nothing of the checkout)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([uv(), "build", "--wheel", "--out-dir", str(folder / "dist"), str(root)], check=True)
    (wheel,) = (folder / "dist").glob("exportmatrix-*.whl")
    subprocess.run([uv(), "venv", "--python", sys.executable, str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    subprocess.run([uv(), "pip", "install", "--python", str(python), str(wheel)], check=True)
    print("\nwheel: %s, %.0f kB" % (wheel.name, wheel.stat().st_size / 1024))
    return wheel, folder / "venv" / "bin"


def stripped_path() -> str:
    """PATH without any folder holding a python3.10 (pyenv's shims among them)."""
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / ("python" + PYTHON)).exists()]
    return os.pathsep.join(kept)


def test_a_model_author_runs_the_matrix_from_an_empty_directory(installed, tmp_path):
    wheel, bin_dir = installed
    found = interpreters.find(PYTHON).path
    assert found, "this test needs a Python %s somewhere (pyenv, uv or PATH) to hide from PATH" % PYTHON
    # the interpreter itself, not a shim of pyenv's that needs PATH
    real = subprocess.check_output([found, "-c", "import os, sys; print(os.path.realpath(sys.executable))"], text=True)
    real = real.strip()
    # offered to uv as one of its managed installations, as `uv python install 3.10` would leave it
    managed = tmp_path / "uv-pythons" / "cpython-3.10.13-linux-x86_64-gnu" / "bin"
    managed.mkdir(parents=True)
    (managed / ("python" + PYTHON)).symlink_to(real)
    work = tmp_path / "my-model"
    work.mkdir()
    (work / "my_cases.py").write_text(CASES)
    variables = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EXPORTMATRIX_", "VIRTUAL_ENV", "PYTHONPATH"))},
        "PATH": stripped_path(),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),  # pyenv's route would find it too: this test is uv's
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-pythons"),
        "NOX_DOWNLOAD_PYTHON": "never",
    }
    command = [str(bin_dir / "exportmatrix"), "matrix", RELEASE, "--behaviours", "my_cases.py", "--only-cases"]
    done = subprocess.run(command, cwd=work, env=variables, capture_output=True, text=True, timeout=1500)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]

    matrix = json.loads((work / "results" / "matrix.json").read_text())
    (environment,) = matrix["environments"]
    assert environment["id"].startswith("torch-2.0.1+") and environment["id"].endswith("-py3.10")
    assert environment["status"] == "ok" and environment["python"].startswith(PYTHON)
    behaviours = set(matrix["observations"]["values"]["behaviour"])
    assert behaviours == {"mine.reassign", "mine.scaled_buffer"}
    assert (work / "results" / "matrix.html").stat().st_size > 0 and (work / "results" / "matrix.md").exists()
    assert (work / ".nox").is_dir()  # the environments live with the user's project, not in site-packages
    assert not list((bin_dir.parent / "lib").glob("python*/site-packages/exportmatrix/bundled/.nox"))
    # the run of one environment ends with its own summary
    assert "cells per outcome, in %s:" % environment["id"] in output
    assert "no other release of build pypi in the results to compare with" in output
    # the interpreter came from uv's discovery, linked where nox finds it
    assert (work / "results" / ".pythons" / ("python" + PYTHON)).resolve() == Path(real).resolve()
    print("\n" + output[-3000:])


def test_uvx_style_use_lists_the_shipped_matrix(installed, tmp_path):
    wheel, _ = installed
    done = subprocess.run(
        [uv(), "tool", "run", "--from", str(wheel), "exportmatrix", "environments", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sessions = [e["session"] for e in json.loads(done.stdout)]
    assert "torch-2.0" in sessions and "torch-2.15" in sessions  # the default matrix, shipped in the wheel
