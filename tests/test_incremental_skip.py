"""The host skips a whole environment only while the environment its stream
recorded still holds exactly the torch the stream recorded: a venv that is
gone, or whose torch cannot be read, is not the same environment."""

import shutil
from pathlib import Path

import pytest
from streams_factory import environment, line, observation

from exportmatrix.run import still_valid

FINGERPRINT = "0123456789abcdef"
TORCH = "2.4.1+cu121"


def make_venv(folder: Path, version_file: str = "__version__ = '%s'\n" % TORCH) -> Path:
    """A folder laid out as a venv with torch's version.py in it."""
    torch = folder / "lib" / "python3.11" / "site-packages" / "torch"
    torch.mkdir(parents=True)
    (torch / "version.py").write_text(version_file)
    return folder


def complete_stream(folder: Path, venv: Path | None, exitstatus: int = 0, **extra) -> Path:
    """A complete, ok stream of FINGERPRINT, run in `venv` (None: no venv recorded)."""
    described = environment("torch-2.4.1+cu121-py3.11", "2.4", TORCH, fingerprint=FINGERPRINT, **extra)
    if venv is not None:
        described["venv"] = str(venv)
    lines = [
        line("environment", described),
        line("observation", observation("attr.tensor_reassign", "export_strict", "holds")),
        line("end", {"observations": 1, "exitstatus": exitstatus, "reused": 0}),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (described["id"] + ".jsonl")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_environment_that_still_holds_the_recorded_torch_is_skipped(tmp_path):
    stream = complete_stream(tmp_path / "envs", make_venv(tmp_path / "venv"))
    assert still_valid(stream, FINGERPRINT)


def test_another_fingerprint_or_an_unfinished_run_is_not(tmp_path):
    venv = make_venv(tmp_path / "venv")
    assert not still_valid(complete_stream(tmp_path / "envs", venv), "fedcba9876543210")
    assert not still_valid(complete_stream(tmp_path / "failed", venv, exitstatus=1), FINGERPRINT)


def test_a_deleted_environment_is_not_the_same(tmp_path):
    venv = make_venv(tmp_path / "venv")
    stream = complete_stream(tmp_path / "envs", venv)
    shutil.rmtree(venv)
    assert not still_valid(stream, FINGERPRINT)


def test_an_environment_without_torch_is_not_the_same(tmp_path):
    venv = tmp_path / "venv"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    assert not still_valid(complete_stream(tmp_path / "envs", venv), FINGERPRINT)


@pytest.mark.parametrize(
    "version_file",
    [
        "this is not python (",  # garbage
        "raise RuntimeError('half written')\n",
        "git_version = 'abc'\n",  # no __version__
        "__version__ = None\n",
        "",
    ],
)
def test_a_torch_whose_version_cannot_be_read_is_not_the_same(tmp_path, version_file):
    stream = complete_stream(tmp_path / "envs", make_venv(tmp_path / "venv", version_file))
    assert not still_valid(stream, FINGERPRINT)


def test_an_unreadable_version_file_is_not_the_same(tmp_path):
    venv = make_venv(tmp_path / "venv")
    stream = complete_stream(tmp_path / "envs", venv)
    (venv / "lib" / "python3.11" / "site-packages" / "torch" / "version.py").write_bytes(b"\xff\xfe\x00garbage")
    assert not still_valid(stream, FINGERPRINT)


def test_another_torch_in_the_environment_is_not_the_same(tmp_path):
    venv = make_venv(tmp_path / "venv", "__version__ = '2.4.0+cu121'\n")
    assert not still_valid(complete_stream(tmp_path / "envs", venv), FINGERPRINT)
    other_build = make_venv(tmp_path / "cpu", "__version__ = '2.4.1+cpu'\n")
    assert not still_valid(complete_stream(tmp_path / "envs-cpu", other_build), FINGERPRINT)


def test_a_stream_that_recorded_no_environment_is_not_skipped(tmp_path):
    make_venv(tmp_path / "venv")
    assert not still_valid(complete_stream(tmp_path / "envs", None), FINGERPRINT)


def test_a_stream_that_recorded_no_torch_is_not_skipped(tmp_path):
    stream = complete_stream(tmp_path / "envs", make_venv(tmp_path / "venv"))
    stream.write_text(stream.read_text().replace('"torch": "%s"' % TORCH, '"torch": null'))
    assert not still_valid(stream, FINGERPRINT)


def test_a_session_reused_whole_removes_the_partial_a_stopped_run_left(tmp_path, capsys):
    from exportmatrix.streams import remove_leftover_partials

    envs = tmp_path / "envs"
    stream = complete_stream(envs, make_venv(tmp_path / "venv"))
    partial = stream.with_name(stream.name + ".partial")
    partial.write_text(stream.read_text().splitlines()[0] + "\n")  # a --fresh run killed after its first line
    other = envs / "torch-2.9.1-py3.11.jsonl.partial"
    other.write_text(line("environment", environment("torch-2.9.1-py3.11", "2.9", "2.9.1")) + "\n")
    assert remove_leftover_partials(tmp_path, "torch-2.4") == [partial]
    assert not partial.exists() and stream.exists() and other.exists()  # another session's is not touched
    assert "left by a stopped run; torch-2.4's complete stream stands; removed" in capsys.readouterr().out
