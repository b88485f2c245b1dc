"""Run one job of a GitHub Actions workflow here, with GitHub's semantics for
what the job uses: steps in order, `if:` conditions (default `success()`),
`${{ ... }}` expressions, `run:` steps in `bash -e -o pipefail`, the step
summary and output files, job outputs, and the few actions it calls
simulated; or a whole workflow (run_workflow): its jobs in the order their
`needs` give, a `strategy.matrix` fanned out to one job per value, each job
in a workspace of its own, artifacts passed from job to job, the inputs of a
`workflow_call` checked against their declaration. Anything else it meets
(another action, key, shell, function or context) raises, so a workflow
cannot silently outgrow what the simulation covers."""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

TOKEN = re.compile(r"\s*('(?:[^']|'')*'|==|!=|&&|\|\||[!(),]|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
INSTALL_SELF = re.compile(r"^python -m pip install -e \S+$")  # the package is installed where the tests run
# the reusable workflow installs the tool from the requirement its caller gives: installed here too
INSTALL_TOOL = 'python -m pip install "$EXPORTMATRIX"'
WORKFLOW_KEYS = {"name", "on", "permissions", "env", "jobs"}
# `environment` (a deployment's name and url) is taken as given: nothing here deploys
JOB_KEYS = {"name", "needs", "if", "runs-on", "strategy", "outputs", "steps", "env", "permissions", "environment"}
STEP_KEYS = {"name", "id", "if", "uses", "with", "run", "env", "continue-on-error"}
INPUT_TYPES = {"string": str, "boolean": bool, "number": float}
ACTION_KEYS = {  # what each simulated action's `with:` may say
    "actions/checkout": set(),
    "actions/setup-python": {"python-version"},
    "actions/cache": {"path", "key", "restore-keys"},
    "actions/download-artifact": {"name", "pattern", "path", "merge-multiple"},
    "actions/upload-artifact": {"name", "path", "if-no-files-found"},
    "actions/upload-pages-artifact": {"path"},  # the artifact github-pages, of one folder
    "actions/deploy-pages": set(),  # needs the github-pages artifact; deploys nothing here
    "peter-evans/create-pull-request": {"branch", "title", "commit-message", "body-path", "add-paths"},  # recorded
}
PAGES_URL = "https://pages.invalid/"  # what the simulated deploy-pages answers as page_url


@dataclass
class Step:
    name: str
    outcome: str  # success, failure or skipped (GitHub's steps.<id>.outcome)
    conclusion: str  # the same, but success where continue-on-error turned a failure green


@dataclass
class JobResult:
    steps: list[Step]
    output: str  # every run step's stdout and stderr, in order
    summary: str  # what the steps wrote to $GITHUB_STEP_SUMMARY
    uploads: dict[str, list[str]] = field(default_factory=dict)  # artifact name → the paths that existed
    outputs: dict[str, str] = field(default_factory=dict)  # the job's `outputs:`, evaluated after its steps
    runner: str = ""  # what `runs-on` said
    matrix: dict[str, Any] = field(default_factory=dict)  # this job's values of `strategy.matrix`
    artifacts: dict[str, Path] = field(default_factory=dict)  # what it uploaded, stored (run_job's `store`)
    skipped: bool = False  # its `if:` was false
    pull_requests: list[dict[str, Any]] = field(default_factory=list)  # what create-pull-request was given, and saw

    @property
    def succeeded(self) -> bool:
        return all(step.conclusion != "failure" for step in self.steps)

    @property
    def result(self) -> str:  # GitHub's needs.<job>.result
        return "skipped" if self.skipped else "success" if self.succeeded else "failure"

    def step(self, name: str) -> Step:
        (found,) = [s for s in self.steps if name in s.name]
        return found


@dataclass
class WorkflowResult:
    jobs: dict[str, list[JobResult]]  # each job's runs: one, or one per value of its matrix
    artifacts: dict[str, Path]  # every artifact uploaded, by name
    outputs: dict[str, str]  # the workflow_call outputs

    def result(self, job: str) -> str:
        runs = self.jobs[job]
        if runs and all(run.skipped for run in runs):
            return "skipped"
        return "success" if runs and all(run.succeeded for run in runs) else "failure"


class Expressions:
    """GitHub's expression language, as much of it as the workflow uses."""

    def __init__(self, contexts: dict[str, Any], workspace: Path, status: list[str]):
        self.contexts, self.workspace, self.status = contexts, workspace, status

    def evaluate(self, text: str) -> Any:
        self.tokens, self.at, position = [], 0, 0
        while match := TOKEN.match(text, position):
            self.tokens.append(match.group(1))
            position = match.end()
        if text[position:].strip():
            raise ValueError("cannot parse %r in the expression %r" % (text[position:], text))
        value = self._or()
        if self.at != len(self.tokens):
            raise ValueError("trailing %r in %r" % (self.tokens[self.at :], text))
        return value

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: _string(self.evaluate(m.group(1))), text)

    def condition(self, text: str | None) -> bool:
        text = (text or "success()").strip()
        match = EXPRESSION.fullmatch(text)
        value = self.evaluate(match.group(1) if match else text)
        if not any(f in text for f in ("always()", "success()", "failure()", "cancelled()")):
            value = value and self._call("success", [])  # an `if` without a status function means success() && it
        return _truthy(value)

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self.tokens[self.at]
        if expected is not None and token != expected:
            raise ValueError("expected %r, got %r" % (expected, token))
        self.at += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if _truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._not()
        while self._peek() == "&&":
            self._take()
            right = self._not()
            value = right if _truthy(value) else value
        return value

    def _not(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not _truthy(self._not())
        value = self._primary()
        if self._peek() in ("==", "!="):
            negate = self._take() == "!="
            return _equal(value, self._primary()) != negate
        return value

    def _primary(self) -> Any:
        token = self._take()
        if token == "(":
            value = self._or()
            self._take(")")
            return value
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token[0].isdigit():
            return float(token)
        if token in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token]
        if self._peek() == "(":
            self._take()
            arguments = []
            while self._peek() != ")":
                arguments.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take(")")
            return self._call(token, arguments)
        return self._lookup(token)

    def _lookup(self, dotted: str) -> Any:
        head, *rest = dotted.split(".")
        if head not in self.contexts:
            raise ValueError("the simulation has no context %r (in %r)" % (head, dotted))
        value = self.contexts[head]
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _call(self, name: str, arguments: list[Any]) -> Any:
        if name == "always":
            return True
        if name == "success":
            return "failure" not in self.status
        if name == "failure":
            return "failure" in self.status
        if name == "cancelled":
            return False
        if name == "fromJSON":
            (text,) = arguments
            return json.loads(text)
        if name == "contains":
            haystack, needle = arguments
            if isinstance(haystack, list):
                return any(_equal(item, needle) for item in haystack)
            return _string(needle).lower() in _string(haystack).lower()
        if name == "hashFiles":
            files = sorted(p for pattern in arguments for p in self.workspace.glob(pattern) if p.is_file())
            if not files:
                return ""
            return hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in files)).hexdigest()
        raise ValueError("the simulation has no function %s()" % name)


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _equal(left: Any, right: Any) -> bool:
    """GitHub's ==: strings ignoring case; values of different types as numbers."""
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return left is right  # objects and arrays are equal only to themselves
    if type(left) is type(right) or (isinstance(left, (int, float)) and isinstance(right, (int, float))):
        if isinstance(left, str):
            return left.lower() == right.lower()
        return left == right
    return _number(left) == _number(right)  # NaN equals nothing


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if not text:
        return 0.0
    if re.fullmatch(r"0x[0-9a-f]+", text, re.I):
        return float(int(text, 16))
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", text, re.I):
        return float(text)
    return math.nan


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load(workflow: Path) -> dict[str, Any]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    if True in document:  # YAML 1.1 reads the key `on` as true
        document["on"] = document.pop(True)
    unknown = set(document) - WORKFLOW_KEYS
    if unknown:
        raise ValueError("the simulation does not know the workflow keys %s" % unknown)
    return document


def triggers(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`on:` as a mapping of event → its settings, however it is written."""
    on = document.get("on") or {}
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    return {event: settings or {} for event, settings in on.items()}


def resolve_inputs(document: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """The `inputs` context. For a reusable workflow, what a caller's `with:`
    gives, checked as GitHub checks it (a name it does not declare, a value of
    another type, a required one missing: errors), the defaults filled in;
    otherwise what the test gives, of the workflow_dispatch inputs (a push or
    a schedule gives none)."""
    given = dict(given or {})
    events = triggers(document)
    if "workflow_call" not in events:
        unknown = set(given) - set(events.get("workflow_dispatch", {}).get("inputs") or {})
        if unknown:
            raise ValueError("the workflow declares no input %s" % ", ".join(sorted(unknown)))
        return given
    declared = events["workflow_call"].get("inputs") or {}
    unknown = set(given) - set(declared)
    if unknown:
        raise ValueError("the workflow declares no input %s" % ", ".join(sorted(unknown)))
    resolved: dict[str, Any] = {}
    for name, spec in declared.items():
        keys = set(spec) - {"description", "type", "required", "default"}
        if keys or spec.get("type") not in INPUT_TYPES:
            raise ValueError("the simulation does not know input %s's declaration %r" % (name, spec))
        kind = INPUT_TYPES[spec["type"]]
        if name in given:
            value = given[name]
        elif spec.get("required"):
            raise ValueError("input %s is required" % name)
        else:
            value = spec.get("default", kind())
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is float and isinstance(value, bool)):
            raise ValueError("input %s is a %s, not %r" % (name, spec["type"], value))
        resolved[name] = value
    return resolved


def _needs(spec: dict[str, Any]) -> list[str]:
    declared = spec.get("needs", [])
    return [declared] if isinstance(declared, str) else list(declared)


def run_job(
    workflow: Path,
    job: str,
    workspace: Path,
    needs: dict[str, dict[str, Any]],
    artifacts: dict[str, Path],
    *,
    inputs: dict[str, Any] | None = None,
    matrix: dict[str, Any] | None = None,
    repository: Path | None = None,
    store: Path | None = None,
    path: Sequence[Path] = (),
) -> JobResult:
    """Run `job` of `workflow` in `workspace`. `needs` is what the jobs it
    needs produced ({"list": {"result": "success", "outputs": {...}}});
    `artifacts` the artifacts uploaded before it, by name; `inputs` what the
    caller or dispatch gives (resolve_inputs); `matrix` this run's values of
    the job's strategy.matrix; `repository` what actions/checkout copies into
    the workspace (None: the workspace is the checkout already); `store`
    where its uploads are kept (None: only their paths are recorded); `path`
    folders put first on PATH (stand-in commands)."""
    document = load(workflow)
    spec = document["jobs"][job]
    unknown = set(spec) - JOB_KEYS
    if unknown:
        raise ValueError("the simulation does not know the job keys %s" % unknown)
    missing_needs = set(_needs(spec)) - set(needs)
    assert not missing_needs, "give the result of every job it needs: %s" % missing_needs
    contexts: dict[str, Any] = {
        "github": {"workspace": str(workspace)},
        "needs": needs,
        "steps": {},
        "inputs": resolve_inputs(document, inputs),
    }
    if ("strategy" in spec) != (matrix is not None):
        raise ValueError("give a matrix exactly when the job has a strategy (run_workflow fans it out)")
    if matrix is not None:
        if set(matrix) != set(spec["strategy"]["matrix"]):
            raise ValueError(
                "the matrix gives %s, the job's has %s" % (sorted(matrix), sorted(spec["strategy"]["matrix"]))
            )
        contexts["matrix"] = matrix
    if not _job_runs(spec, contexts, workspace):
        return JobResult([], "the job was skipped", "", matrix=matrix or {}, skipped=True)
    status: list[str] = []  # a step's status functions see the steps before it in this job
    expressions = Expressions(contexts, workspace, status)
    runner = spec.get("runs-on")
    if not isinstance(runner, str):
        raise ValueError("the simulation knows runs-on as one string, not %r" % (runner,))
    summary = workspace / ".github-step-summary"
    summary.write_text("")
    environment = dict(os.environ)
    environment["PATH"] = os.pathsep.join(
        [*(str(folder) for folder in path), str(Path(sys.executable).parent), environment.get("PATH", "")]
    )
    environment.update(GITHUB_WORKSPACE=str(workspace), GITHUB_STEP_SUMMARY=str(summary), CI="true")
    for key, value in {**document.get("env", {}), **spec.get("env", {})}.items():
        environment[key] = expressions.substitute(str(value))
    result = JobResult([], "", "", runner=expressions.substitute(runner), matrix=matrix or {})
    output: list[str] = []
    for index, step in enumerate(spec["steps"]):
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise ValueError("the simulation does not know the step keys %s" % unknown)
        name = expressions.substitute(str(step.get("name") or step.get("uses") or step["run"].splitlines()[0]))
        if not expressions.condition(step.get("if")):
            result.steps.append(Step(name, "skipped", "skipped"))
            _record(contexts, step, "skipped", "skipped", {})
            continue
        with_ = {key: expressions.substitute(str(value)) for key, value in step.get("with", {}).items()}
        if "uses" in step:
            ok, outputs = _action(step["uses"], with_, workspace, artifacts, repository, store, result)
        else:
            ok, outputs = _run(step, expressions, environment, workspace, output, index)
        outcome = "success" if ok else "failure"
        continues = _truthy(step.get("continue-on-error", False))
        conclusion = "success" if continues else outcome
        if conclusion == "failure":
            status.append("failure")
        result.steps.append(Step(name, outcome, conclusion))
        _record(contexts, step, outcome, conclusion, outputs)
    result.output, result.summary = "".join(output), summary.read_text()
    result.outputs = {key: expressions.substitute(str(value)) for key, value in spec.get("outputs", {}).items()}
    return result


def _job_runs(spec: dict[str, Any], contexts: dict[str, Any], workspace: Path) -> bool:
    """The job's `if:` (default success()), whose status is its needs'."""
    needed = ["failure"] if any(n.get("result") != "success" for n in contexts["needs"].values()) else []
    return Expressions(contexts, workspace, needed).condition(spec.get("if"))


def _record(contexts: dict[str, Any], step: dict[str, Any], outcome: str, conclusion: str, outputs: dict) -> None:
    if "id" in step:
        contexts["steps"][step["id"]] = {"outcome": outcome, "conclusion": conclusion, "outputs": outputs}


def _run(
    step: dict[str, Any],
    expressions: Expressions,
    environment: dict[str, str],
    workspace: Path,
    output: list[str],
    index: int,
) -> tuple[bool, dict[str, str]]:
    script = expressions.substitute(step["run"])
    env = dict(environment)
    env.update({key: expressions.substitute(str(value)) for key, value in step.get("env", {}).items()})
    if INSTALL_SELF.match(script.strip()):
        output.append("[skipped: %s (the package is installed)]\n" % script.strip())
        return True, {}
    if script.strip() == INSTALL_TOOL:
        requirement = env.get("EXPORTMATRIX", "")
        output.append("[skipped: %s with EXPORTMATRIX=%s (the package is installed)]\n" % (INSTALL_TOOL, requirement))
        return bool(requirement), {}  # pip refuses an empty requirement
    path = workspace / (".github-step-%d.sh" % index)
    path.write_text(script)
    outputs_file = workspace / (".github-output-%d" % index)
    outputs_file.write_text("")
    env["GITHUB_OUTPUT"] = str(outputs_file)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(path)],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output.append(done.stdout)
    return done.returncode == 0, _outputs(outputs_file.read_text())


def _outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            else:
                raise ValueError("$GITHUB_OUTPUT: %s's block has no closing %s" % (name, delimiter))
            found[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
        elif line.strip():
            raise ValueError("$GITHUB_OUTPUT: cannot read the line %r" % line)
    return found


def _action(
    uses: str,
    with_: dict[str, str],
    workspace: Path,
    artifacts: dict[str, Path],
    repository: Path | None,
    store: Path | None,
    result: JobResult,
) -> tuple[bool, dict[str, str]]:
    action = uses.split("@")[0]
    if action not in ACTION_KEYS:
        raise ValueError("the simulation does not know the action %s" % uses)
    unknown = set(with_) - ACTION_KEYS[action]
    if unknown:
        raise ValueError("the simulation does not know %s's inputs %s" % (action, unknown))
    if action == "actions/checkout":
        if repository is not None:
            shutil.copytree(repository, workspace, dirs_exist_ok=True)
        return True, {}  # without a repository the workspace is the checkout
    if action == "actions/setup-python":
        return True, {}  # the interpreter is the tests'
    if action == "actions/cache":
        return True, {"cache-hit": "false"}  # nothing is cached here: always a miss
    if action == "actions/download-artifact":
        target = workspace / with_.get("path", ".")
        pattern = with_.get("pattern")
        merge = with_.get("merge-multiple", "false") == "true"
        chosen = [n for n in artifacts if fnmatch.fnmatchcase(n, pattern)] if pattern else [with_["name"]]
        for name in chosen:  # one folder per artifact where a pattern chose them (unless merge-multiple)
            if name not in artifacts:
                return False, {}
            shutil.copytree(artifacts[name], target / name if pattern and not merge else target, dirs_exist_ok=True)
        return True, {}
    if action == "actions/upload-pages-artifact":
        pages = {"name": "github-pages", "path": with_["path"], "if-no-files-found": "error"}
        return _upload(pages, workspace, artifacts, store, result), {}
    if action == "actions/deploy-pages":
        return "github-pages" in artifacts, {"page_url": PAGES_URL}
    if action == "peter-evans/create-pull-request":
        return _pull_request(with_, workspace, result), {}
    return _upload(with_, workspace, artifacts, store, result), {}


def _pull_request(with_: dict[str, str], workspace: Path, result: JobResult) -> bool:
    """peter-evans/create-pull-request, recorded: its inputs, the body it
    reads from body-path, and the files of add-paths as the job left them."""
    body = workspace / with_["body-path"]
    paths = [line.strip() for line in with_.get("add-paths", "").splitlines() if line.strip()]
    if not body.is_file() or not all((workspace / p).is_file() for p in paths):
        return False
    files = {p: workspace / p for p in paths}
    result.pull_requests.append({**with_, "body": body.read_text(), "files": files})
    return True


def _upload(
    with_: dict[str, str], workspace: Path, artifacts: dict[str, Path], store: Path | None, result: JobResult
) -> bool:
    """actions/upload-artifact (v4 and later): the files under the paths
    given, hidden ones left out, rooted at the paths' common folder; an
    artifact of the same name already uploaded in the run is an error."""
    name = with_["name"]
    paths = [line.strip() for line in with_["path"].splitlines() if line.strip()]
    if any(character in p for p in paths for character in "*?[!"):
        raise ValueError("the simulation does not glob upload paths: %s" % paths)
    found, files, roots = [], [], []
    for given in paths:
        where = workspace / given
        chosen = sorted(f for f in where.rglob("*") if f.is_file()) if where.is_dir() else [where] * where.is_file()
        chosen = [f for f in chosen if not any(part.startswith(".") for part in f.relative_to(workspace).parts)]
        if chosen:
            found.append(given)
            files += chosen
            roots.append(where if where.is_dir() else where.parent)
    result.uploads[name] = found
    if not files:
        return with_.get("if-no-files-found", "warn") != "error"
    if name in artifacts or name in result.artifacts:
        return False  # Conflict: an artifact with this name already exists on the workflow run
    if store is not None:
        root = Path(os.path.commonpath(roots))
        for file in files:
            copy = store / name / file.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, copy)
        result.artifacts[name] = store / name
    return True


def run_workflow(
    workflow: Path,
    folder: Path,
    repository: Path,
    inputs: dict[str, Any] | None = None,
    path: Sequence[Path] = (),
) -> WorkflowResult:
    """Run every job of `workflow` as one event or call would: in the order
    their `needs` allow (the file's order among those ready), a job with a
    strategy.matrix once per value, each run in a workspace of its own under
    `folder`/jobs into which actions/checkout copies `repository`; artifacts
    kept under `folder`/artifacts and passed on; then the workflow_call
    outputs. `inputs` and `path` as run_job takes them."""
    document = load(workflow)
    resolved = resolve_inputs(document, inputs)
    done = WorkflowResult({}, {}, {})
    remaining = list(document["jobs"])
    while remaining:
        ready = [job for job in remaining if all(need in done.jobs for need in _needs(document["jobs"][job]))]
        if not ready:
            raise ValueError("the jobs %s need jobs that never run" % remaining)
        job = ready[0]
        remaining.remove(job)
        spec = document["jobs"][job]
        needs = {
            need: {"result": done.result(need), "outputs": _job_outputs(done, need, document)} for need in _needs(spec)
        }
        workspace = folder / "jobs" / job
        contexts = {"github": {"workspace": str(workspace)}, "needs": needs, "inputs": resolved}
        if not _job_runs(spec, contexts, workspace):
            done.jobs[job] = [JobResult([], "the job was skipped", "", skipped=True)]
            continue
        values = _matrix_values(spec, contexts, workspace)
        if values == []:
            done.jobs[job] = [JobResult([Step("strategy.matrix", "failure", "failure")], "the matrix is empty", "")]
            continue
        done.jobs[job] = []
        for matrix in values or [None]:
            named = "-".join([job, *(_string(value) for value in (matrix or {}).values())])
            where = folder / "jobs" / re.sub(r"[^\w.-]", "_", named)
            where.mkdir(parents=True)  # a fresh runner
            artifacts, store = dict(done.artifacts), folder / "artifacts"
            ran = run_job(
                workflow,
                job,
                where,
                needs,
                artifacts,
                inputs=inputs,
                matrix=matrix,
                repository=repository,
                store=store,
                path=path,
            )
            done.jobs[job].append(ran)
            done.artifacts.update(ran.artifacts)
    jobs = {job: {"result": done.result(job), "outputs": _job_outputs(done, job, document)} for job in done.jobs}
    expressions = Expressions({"jobs": jobs}, folder, [])
    declared = triggers(document).get("workflow_call", {}).get("outputs") or {}
    done.outputs = {name: expressions.substitute(str(spec["value"])) for name, spec in declared.items()}
    return done


def _job_outputs(done: WorkflowResult, job: str, document: dict[str, Any]) -> dict[str, str]:
    runs = [run for run in done.jobs[job] if not run.skipped]
    if len(runs) > 1 and document["jobs"][job].get("outputs"):
        raise ValueError("the simulation does not merge the outputs of %s's matrix runs" % job)
    return runs[0].outputs if runs else {}


def _matrix_values(spec: dict[str, Any], contexts: dict[str, Any], workspace: Path) -> list[dict[str, Any]] | None:
    """The values of the job's strategy.matrix, one dict per job to run (None: no strategy)."""
    strategy = spec.get("strategy")
    if strategy is None:
        return None
    if set(strategy) - {"matrix", "fail-fast"} or strategy.get("fail-fast", True) is not False:
        raise ValueError("the simulation runs every value of a matrix: it knows only fail-fast: false, %r" % strategy)
    matrix = strategy["matrix"]
    if not isinstance(matrix, dict) or {"include", "exclude"} & set(matrix):
        raise ValueError("the simulation knows a matrix of named lists only, not %r" % (matrix,))
    vectors = []
    for key, value in matrix.items():
        if isinstance(value, str):
            match = EXPRESSION.fullmatch(value.strip())
            if not match:
                raise ValueError("matrix.%s: neither a list nor one ${{ }} (%r)" % (key, value))
            value = Expressions(contexts, workspace, []).evaluate(match.group(1))
        if not isinstance(value, list):
            raise ValueError("matrix.%s is not a list: %r" % (key, value))
        vectors.append([(key, item) for item in value])
    return [dict(chosen) for chosen in itertools.product(*vectors)]
