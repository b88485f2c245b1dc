"""The benchmark works on a copy of the checkout: editing a behaviour for its
run (d) edits the copy, so a benchmark killed halfway leaves the repository
as it was. (The benchmark itself installs many torch releases: not run here.)"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("matrix_speed", ROOT / "bench" / "matrix_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git_status(*paths: str) -> str:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(
        ["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_editing_a_behaviour_edits_the_copy_never_the_repository(bench, tmp_path):
    original = (ROOT / bench.EDITED).read_bytes()
    status = git_status("suite")  # whatever others have in progress stays as it is
    checkout = bench.make_checkout(tmp_path)
    edited = bench.edit_one_behaviour(checkout)
    assert edited == checkout / bench.EDITED and edited.is_relative_to(tmp_path)
    assert (ROOT / bench.EDITED).read_bytes() == original
    assert git_status("suite") == status
    assert str(bench.EDITED) not in status  # the file the benchmark edits, in particular
    assert edited.read_bytes() != original
    assert bench.EDIT[1] in edited.read_text()


def test_the_copy_holds_what_nox_needs_and_runs_its_own_suite(bench, tmp_path):
    checkout = bench.make_checkout(tmp_path)
    for name in ("noxfile.py", "matrix.toml", "pyproject.toml"):
        assert (checkout / name).read_bytes() == (ROOT / name).read_bytes()
    assert (checkout / "src" / "exportmatrix" / "run" / "batch.py").is_file()
    assert (checkout / "suite" / "exportmatrix_suite" / "behaviours").is_dir()
    assert not list(checkout.rglob("__pycache__"))
    # the copy's noxfile puts the copy's src first: its suite is the copy's
    code = "import sys; sys.path.insert(0, sys.argv[1]); import exportmatrix.base.suite as s; print(s.SUITE_DIR)"
    where = subprocess.run(
        [sys.executable, "-c", code, str(checkout / "src")], capture_output=True, text=True, check=True
    )
    assert Path(where.stdout.strip()) == (checkout / "suite").resolve()


def test_a_new_copy_undoes_an_earlier_edit_and_keeps_the_copys_environments(bench, tmp_path):
    checkout = bench.make_checkout(tmp_path)
    edited = bench.edit_one_behaviour(checkout)  # as a killed benchmark leaves it
    venv = checkout / ".nox" / "torch-2-4-3-11"
    venv.mkdir(parents=True)
    assert bench.make_checkout(tmp_path) == checkout
    assert edited.read_bytes() == (ROOT / bench.EDITED).read_bytes()
    assert venv.is_dir()


def test_the_cold_runs_delete_the_copys_environments(bench, tmp_path):
    checkout = bench.make_checkout(tmp_path)
    config = bench.load(checkout / "matrix.toml")
    venvs = bench.nox_venvs(checkout, bench.plan(config, ["2.4"], [config.default_build]))
    (venv,) = venvs
    assert venv.parent == checkout / ".nox" and venv.name.startswith("torch-2-4-3-")  # nox's name for it


@pytest.mark.parametrize(
    "first, says",
    [
        ("not json", "not a results stream"),
        ('{"kind": "observation", "observation": {}}', "not an environment line naming its venv"),
        ('{"kind": "environment", "environment": {"venv": "/nonexistent/venv"}}', "is not installed any more"),
    ],
)
def test_suite_cpu_says_what_is_wrong_with_the_stream_it_was_given(tmp_path, first, says):
    stream = tmp_path / "torch-2.15.jsonl"
    stream.write_text(first + "\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "suite_cpu.py"), str(stream)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith(str(stream) + ": ") and says in done.stderr
