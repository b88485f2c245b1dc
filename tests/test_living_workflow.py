"""The living matrix and the site's deployment, run whole with the local
workflow runner: a stand-in PyPI JSON API says which torch is the newest,
the stand-in `exportmatrix nox` of test_workflow answers the run of that
release, every other command is the real one."""

import json
import shutil
from pathlib import Path

import pytest
from streams_factory import BEHAVIOUR, environment, observation, write_stream
from test_living_matrix import stand_in_index
from test_workflow import calls, install_stand_in
from workflow_runner import PAGES_URL, run_workflow

from exportmatrix.base import read_matrix
from exportmatrix.cli import main

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
COMMITTED = "examples/cpu-default-matrix/matrix.json"
ERROR = {"error": {"type": "AssertionError", "module": "builtins", "message": "Mutating module attribute a"}}


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A checkout whose committed default matrix holds torch 2.4 and 2.10 (the
    seed behaviour refused by strict export in 2.10), the stand-in
    `exportmatrix` first on PATH, and the stand-in index."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "matrix.toml", checkout / "matrix.toml")
    streams = tmp_path / "committed"
    for minor, torch in ((4, "2.4.1"), (10, "2.10.0")):
        cells = [observation(BEHAVIOUR["id"], "export_strict", "holds" if minor == 4 else "export-error", ERROR)]
        cells += [observation(BEHAVIOUR["id"], "dynamo_export", "holds")]
        write_stream(streams / "envs", environment("torch-%s-py3.11" % torch, "2.%d" % minor, torch), cells)
    assert main(["aggregate", "--results", str(streams)]) == 0
    (checkout / COMMITTED).parent.mkdir(parents=True)
    shutil.copy(streams / "matrix.json", checkout / COMMITTED)
    install_stand_in(tmp_path, monkeypatch)
    return checkout


def index(tmp_path, monkeypatch, newest):
    releases = {"2.4.1": [{"filename": "a.whl"}], "2.10.0": [{"filename": "b.whl"}], newest: [{"filename": "c.whl"}]}
    monkeypatch.setenv("EXPORTMATRIX_PYPI_JSON", stand_in_index(tmp_path / "index", releases))


def test_a_release_the_committed_matrix_lacks_is_run_merged_and_proposed_with_its_stories(
    tmp_path, repository, monkeypatch
):
    index(tmp_path, monkeypatch, "2.16.0")
    run = run_workflow(WORKFLOWS / "living-matrix.yml", tmp_path / "run", repository, path=[tmp_path / "bin"])
    assert [run.result(job) for job in ("newest", "environment", "update")] == ["success"] * 3, [
        job.output for jobs in run.jobs.values() for job in jobs
    ]
    assert run.jobs["newest"][0].outputs == {"release": "2.16.0", "missing": "true"}
    (made,) = calls(tmp_path)  # one run: the new release, declared for that run
    assert made["argv"] == ["nox", "--session", "torch-2.16.0"]
    (update,) = run.jobs["update"]
    (proposed,) = update.pull_requests
    assert proposed["branch"] == "living-matrix/torch-2.16.0"
    assert proposed["title"] == "The default matrix gains torch 2.16.0"
    matrix = read_matrix(proposed["files"][COMMITTED])
    assert [e["torch"] for e in matrix["environments"]] == ["2.4.1", "2.10.0", "2.16.0"]
    # the body: that release's stories against the previous one (strict export holds again: fixed)
    assert "torch 2.16.0 joins the default matrix" in proposed["body"]
    assert "2.10 → 2.16.0 (build pypi): 1 fixed" in proposed["body"]
    assert "  fixed, 2.10 → 2.16.0: 1 cell, attr.tensor_reassign on export_strict" in proposed["body"]
    assert (tmp_path / "run" / "jobs" / "update" / "results" / "site" / "index.html").is_file()


def test_nothing_runs_when_the_committed_matrix_has_the_newest_release(tmp_path, repository, monkeypatch):
    index(tmp_path, monkeypatch, "2.10.0")
    run = run_workflow(WORKFLOWS / "living-matrix.yml", tmp_path / "run", repository, path=[tmp_path / "bin"])
    assert run.jobs["newest"][0].outputs == {"release": "2.10.0", "missing": "false"}
    assert run.result("environment") == "skipped" and run.result("update") == "skipped"
    assert calls(tmp_path) == []


def test_the_site_of_the_committed_matrix_is_built_and_deployed(tmp_path, repository):
    run = run_workflow(WORKFLOWS / "pages.yml", tmp_path / "run", repository)
    assert run.result("build") == "success" and run.result("deploy") == "success", run.jobs["build"][0].output
    site = run.artifacts["github-pages"]
    assert (site / "index.html").is_file()
    assert run.jobs["deploy"][0].steps[0].outcome == "success" and PAGES_URL.startswith("https://")
    assert json.loads(json.dumps(run.jobs["build"][0].uploads)) == {"github-pages": ["results/site"]}
