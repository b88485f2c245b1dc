"""Two builds of one release in one matrix, for real: torch 2.4.1 from PyPI
(build pypi) and the very same wheel from a wheelhouse made here (build house,
downloaded into the tests' cache folder, fresh on every run). Two environments side by side,
torch of the second installed from the wheelhouse (the installer's own record
says so), no cell differing; then a build that declares the wrong local tag
for that wheel is a build_mismatch."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_matrix_end_to_end import nox
from uv import find_uv_bin

from exportmatrix.base import read_matrix
from exportmatrix.reports.changes import build_differences

pytestmark = pytest.mark.e2e

WHEEL = "torch==2.4.1"
BEHAVIOURS = "buffer.add_,attr.tensor_reassign,input.add_,global.tensor_add_,attr.int_counter"
PATHS = "export_strict,export_nonstrict,dynamo_export"


def download_wheel(folder: Path) -> Path:
    """torch 2.4.1 for CPython 3.11 on Linux x86_64, from PyPI, with the pip
    the tests session installs (a uv-made virtualenv has none of its own)."""
    command = [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", "3.11", "--platform", "manylinux1_x86_64", "--platform", "manylinux_2_17_x86_64"]
    command += ["--index-url", "https://pypi.org/simple", "--timeout", "60", "--retries", "2", "-d", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    wheels = list(folder.glob("torch-2.4.1-cp311-*.whl"))
    if done.returncode or len(wheels) != 1:
        pytest.fail(
            "could not download %s from PyPI into %s (is the network reachable?): pip exited %d\n%s"
            % (WHEEL, folder, done.returncode, (done.stdout + done.stderr)[-2000:]),
            pytrace=False,
        )
    return wheels[0]


@pytest.fixture(scope="module")
def wheelhouse(test_cache):
    """One real torch wheel from PyPI, in the tests' cache (fresh on every run
    unless the developer keeps one: see test_cache)."""
    folder = test_cache / "wheelhouse"
    folder.mkdir(exist_ok=True)
    found = list(folder.glob("torch-2.4.1-cp311-*.whl"))
    return found[0] if found else download_wheel(folder)


HOUSE_ENVIRONMENTS = ("torch-2-4-house-3-11", "torch-2-4-house-cpu-3-11")


def forget_house_installs(root: Path) -> list[Path]:
    """Remove the house environments and the copy of the wheelhouse's torch
    that uv unpacked into its cache for them; return the copies removed.

    Why: uv keys a local wheel by its path, and the wheelhouse is a fresh
    folder on every run, so each run would leave another unpacked torch (about
    1.6 GB) in uv's cache that nothing will ask for again; a machine that runs
    the tests often fills its disk. uv has no public command to forget one
    URL's entry, so the copy is found as the cache folder whose torch shares
    its files (hard links) with the environment, and removed only where no
    other environment links to it. Where uv copied instead of linking nothing
    matches and nothing is removed."""
    cache = Path(
        subprocess.run([find_uv_bin(), "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    )
    removed = []
    for name in HOUSE_ENVIRONMENTS:
        environment = root / ".nox" / name
        marks = list(environment.glob("lib/python*/site-packages/torch/__init__.py"))
        if not marks:
            shutil.rmtree(environment, ignore_errors=True)
            continue
        mark = marks[0].stat()
        shutil.rmtree(environment)
        for copy in cache.glob("*/*/torch/__init__.py"):
            same = copy.stat()
            if (same.st_dev, same.st_ino) == (mark.st_dev, mark.st_ino) and same.st_nlink == 1:
                shutil.rmtree(copy.parent.parent)
                removed.append(copy.parent.parent)
    return removed


@pytest.fixture(scope="module")
def two_builds(root, config, wheelhouse, tmp_path_factory):
    folder = tmp_path_factory.mktemp("builds")
    text = config.read_text() + (
        '\n[builds.house]\nfind-links = "%s"\nreleases = ">=2.4"\n'
        '\n[builds.house-cpu]\nfind-links = "%s"\nreleases = ">=2.4"\nlocal-tag = "cpu"\n'
    ) % (wheelhouse.parent, wheelhouse.parent)
    (folder / "matrix.toml").write_text(text)
    results = folder / "results"
    options = ["--only-behaviour", BEHAVIOURS, "--paths", PATHS]
    done = nox(root, folder / "matrix.toml", results, "-s", "matrix", "--", "2.4", "--build", "pypi,house", *options)
    yield folder, results, done, options
    forget_house_installs(root)


def test_two_builds_of_a_release_side_by_side_from_index_and_wheelhouse(root, two_builds, wheelhouse):
    folder, results, done, _ = two_builds
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    matrix = read_matrix(results / "matrix.json")
    by_session = {e["session"]: e for e in matrix["environments"]}
    assert sorted(by_session) == ["torch-2.4", "torch-2.4-house"]
    pypi, house = by_session["torch-2.4"], by_session["torch-2.4-house"]
    assert pypi["id"] == "torch-2.4.1+cu121-py3.11" and house["id"] == "torch-2.4.1+cu121-py3.11-house"
    assert pypi["status"] == house["status"] == "ok" and "build_mismatch" not in house
    assert pypi["package_index"]["torch"] == "https://pypi.org/simple"
    assert house["index"] == "wheelhouse %s" % wheelhouse.parent
    assert house["package_index"]["torch"] == wheelhouse.as_uri()
    # the installer's own record of where torch came from
    (record,) = (root / ".nox" / "torch-2-4-house-3-11").glob("lib/python3.11/site-packages/torch-2.4.1*.dist-info")
    assert json.loads((record / "direct_url.json").read_text())["url"] == wheelhouse.as_uri()
    # the same cells in both, side by side; the same wheel: no cell differs
    cells = {
        b: sorted((o["behaviour"], o["exporter"]) for o in matrix["observations"] if o["environment"] == e["id"])
        for b, e in (("pypi", pypi), ("house", house))
    }
    assert cells["pypi"] == cells["house"] and len(cells["pypi"]) == 15
    assert build_differences(matrix) == []
    markdown = (results / "matrix.md").read_text()
    assert "## Where builds differ" in markdown and "No cell differs between builds of one release." in markdown
    assert "## export_strict on cpu (build house)" in markdown
    assert "builds house, pypi: 0 cells differ between builds of 2.4 (exportmatrix diff --builds house pypi)" in (
        done.stdout
    )
    diff = subprocess.run(
        [
            sys.executable,
            "-m",
            "exportmatrix",
            "diff",
            "--builds",
            "pypi",
            "house",
            "--release",
            "2.4",
            "--matrix",
            str(results / "matrix.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert diff.stdout.strip() == "0 cells differ between builds pypi and house of 2.4"
    page = (results / "matrix.html").read_text()
    assert 'id="filter-build"' in page and "No cell differs between builds of one release." in page


def test_a_build_that_declares_another_local_tag_is_a_build_mismatch(root, two_builds):
    folder, results, _, options = two_builds
    done = nox(root, folder / "matrix.toml", results, "-s", "matrix", "--", "2.4", "--build", "house-cpu", *options)
    matrix = read_matrix(results / "matrix.json")
    (mislabeled,) = [e for e in matrix["environments"] if e["build"] == "house-cpu"]
    assert mislabeled["build_mismatch"] == (
        "asked for build house-cpu, got torch 2.4.1+cu121: local tag cu121 where the build declares cpu"
    ), (done.stdout + done.stderr)[-3000:]
    assert "not the build asked for" in done.stdout
    assert Path(results / "matrix.json").exists() and len(matrix["environments"]) == 3  # merged into the others


def test_forgetting_the_house_installs_removes_only_the_copy_no_other_environment_links_to(tmp_path, monkeypatch):
    cache, root = tmp_path / "uv-cache", tmp_path / "repository"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    copies = {}
    for name in ("house", "pypi"):
        copy = cache / "archive-v0" / name / "torch" / "__init__.py"
        copy.parent.mkdir(parents=True)
        copy.write_text("# torch\n")
        copies[name] = copy.parent.parent
    environments = {
        "torch-2-4-house-3-11": copies["house"],
        "torch-2-4-house-cpu-3-11": copies["house"],
        "torch-2-4-3-11": copies["pypi"],
    }
    for environment, copy in environments.items():
        installed = root / ".nox" / environment / "lib" / "python3.11" / "site-packages" / "torch" / "__init__.py"
        installed.parent.mkdir(parents=True)
        installed.hardlink_to(copy / "torch" / "__init__.py")
    assert forget_house_installs(root) == [copies["house"]]
    assert sorted(p.name for p in (root / ".nox").iterdir()) == ["torch-2-4-3-11"]
    assert not copies["house"].exists() and copies["pypi"].exists()
