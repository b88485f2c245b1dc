"""Patch releases in matrix.toml ("2.9.0" beside "2.9", the newest 2.9.x):
their sessions, virtualenvs and environment ids never collide, releases
are ordered by version, and a report labels them exactly."""

import os
import re
import subprocess
import sys

import pytest

from exportmatrix.base import exact_version, release_key, release_label
from exportmatrix.config import ConfigError, extra_releases, load, plan

MATRIX = """
releases = ["2.9", "2.9.0", "2.9.1", "2.10", "2.1", "2.1.0"]
default-build = "pypi"
python = "3.11"
requirements = ["pytest"]

[builds.pypi]
index = "https://pypi.org/simple"
releases = ">=2.0"

[builds.cpu]
index = "https://download.pytorch.org/whl/cpu"
releases = ">=2.9"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "matrix.toml"
    path.write_text(MATRIX)
    return load(path)


def nox_venv_folder(session_name, python):
    """How nox names a session's virtualenv folder (nox/sessions.py, _normalize_path)."""
    path = re.sub(r"[^\w\s-]", "-", "%s-%s" % (session_name, python)).strip().lower()
    return re.sub(r"[-\s]+", "-", path).strip("-")


def test_a_patch_release_is_a_release_of_its_own(config):
    environments = {e.session_name: e for e in plan(config)}
    assert environments["torch-2.9"].torch_requirement == "torch==2.9.*"
    assert environments["torch-2.9.0"].torch_requirement == "torch==2.9.0"
    assert environments["torch-2.9.0-cpu"].install_steps()[0] == [
        "torch==2.9.0",
        "--index-url",
        "https://download.pytorch.org/whl/cpu",
    ]


def test_sessions_virtualenvs_and_planned_ids_never_collide(config):
    environments = plan(config)
    sessions = [e.session_name for e in environments]
    assert len(set(sessions)) == len(sessions)
    folders = [nox_venv_folder(e.session_name, e.python) for e in environments]
    assert len(set(folders)) == len(folders), folders
    assert "torch-2-9-3-11" in folders and "torch-2-9-0-3-11" in folders
    ids = [e.planned_id for e in environments]
    assert len(set(ids)) == len(ids)


def test_a_minor_knows_the_patch_releases_pinned_beside_it(config):
    environments = {e.session_name: e for e in plan(config)}
    assert environments["torch-2.9"].pinned_patches == ("2.9.0", "2.9.1")
    assert environments["torch-2.9.0"].pinned_patches == ()
    assert environments["torch-2.10"].pinned_patches == ()
    assert environments["torch-2.1"].pinned_patches == ("2.1.0",)  # not 2.10: minors compare as numbers


def test_environment_ids_differ_when_the_newest_patch_is_pinned_too(config):
    environments = {e.session_name: e for e in plan(config)}
    newest, pinned = environments["torch-2.9"], environments["torch-2.9.1"]
    # "2.9" resolved to 2.9.1, which "2.9.1" pins: the two streams must not share a file
    assert newest.environment_id("2.9.1+cu128", "3.11.7") == "torch-2.9.1+cu128-py3.11-as-2.9"
    assert pinned.environment_id("2.9.1+cu128", "3.11.7") == "torch-2.9.1+cu128-py3.11"
    # an id as before wherever nothing collides
    assert environments["torch-2.10"].environment_id("2.10.0+cu128", "3.11.7") == "torch-2.10.0+cu128-py3.11"
    assert environments["torch-2.9.0"].environment_id("2.9.0", "3.11.7") == "torch-2.9.0-py3.11"


def test_nox_knows_both_sessions(root, config):
    environment = dict(os.environ, EXPORTMATRIX_CONFIG=str(config.path))
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(root / "noxfile.py"), "-l"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert "torch-2.9-3.11 " in listed.stdout and "torch-2.9.0-3.11 " in listed.stdout


def test_more_releases_can_be_declared_for_one_run(config):
    wider = config.with_releases(extra_releases("2.9.2, 2.10.0,2.9"))
    assert wider.releases == (*config.releases, "2.9.2", "2.10.0")  # "2.9" is declared already
    assert [e.session_name for e in plan(wider, ["2.9.2"], ["pypi"])] == ["torch-2.9.2"]
    assert config.with_releases([]) is config
    with pytest.raises(ConfigError, match="EXPORTMATRIX_EXTRA_RELEASES = '2.9.x'"):
        config.with_releases(["2.9.x"])
    with pytest.raises(ConfigError, match="pre-release"):
        config.with_releases(["2.10.0rc1"])


def environment(id, release, torch, build="pypi"):
    return {"id": id, "release": release, "torch": torch, "build": build, "python": "3.11.7"}


def test_releases_are_ordered_by_the_torch_they_hold():
    environments = [
        environment("a", "2.10", "2.10.0+cu128"),
        environment("b", "2.9", "2.9.1+cu128"),
        environment("c", "2.9.0", "2.9.0+cu128"),
        environment("d", "2.4", None),  # an install that failed: by its release
    ]
    assert [e["id"] for e in sorted(environments, key=release_key)] == ["d", "c", "b", "a"]
    assert exact_version(environments[0]) == "2.10.0" and exact_version(environments[3]) == "2.4"


def test_labels_say_the_exact_release_where_a_build_holds_two_of_one_minor():
    environments = [
        environment("a", "2.9", "2.9.1+cu128"),
        environment("b", "2.9.0", "2.9.0+cu128"),
        environment("c", "2.10", "2.10.0+cu128"),
        environment("d", "2.9", "2.9.1+cpu", build="cpu"),  # alone of its minor in its build
    ]
    labels = [release_label(e, environments) for e in environments]
    assert labels == ["2.9.1", "2.9.0", "2.10", "2.9"]


def test_labels_tell_apart_two_environments_of_the_very_same_release():
    environments = [
        environment("a", "2.9", "2.9.1+cu128"),
        environment("b", "2.9.1", "2.9.1+cu128"),
        environment("c", "2.9.0", None),  # not installed: its declared release is all there is
    ]
    assert [release_label(e, environments) for e in environments] == ["2.9.1 (2.9)", "2.9.1", "2.9.0"]
