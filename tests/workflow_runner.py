"""Run one job of a GitHub Actions workflow here, with GitHub's semantics for
what the job uses: steps in order, `if:` conditions (default `success()`),
`${{ ... }}` expressions, `run:` steps in `bash -e -o pipefail`, the step
summary file, and the few actions it calls simulated. Anything else it
meets (another action, a shell, an unknown function or context) raises, so a
workflow cannot silently outgrow what the simulation covers."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOKEN = re.compile(r"\s*('(?:[^']|'')*'|==|!=|&&|\|\||[!(),]|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)")
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
INSTALL_SELF = re.compile(r"^python -m pip install -e \S+$")  # the package is installed where the tests run
STEP_KEYS = {"name", "id", "if", "uses", "with", "run", "env", "continue-on-error"}


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

    @property
    def succeeded(self) -> bool:
        return all(step.conclusion != "failure" for step in self.steps)

    def step(self, name: str) -> Step:
        (found,) = [s for s in self.steps if name in s.name]
        return found


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
            equal = _loose(value) == _loose(self._primary())
            return equal != negate
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
        if name == "hashFiles":
            files = sorted(p for pattern in arguments for p in self.workspace.glob(pattern) if p.is_file())
            if not files:
                return ""
            return hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in files)).hexdigest()
        raise ValueError("the simulation has no function %s()" % name)


def _truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _loose(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value  # GitHub compares strings ignoring case


def _string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def load(workflow: Path) -> dict[str, Any]:
    return yaml.safe_load(workflow.read_text(encoding="utf-8"))


def run_job(
    workflow: Path,
    job: str,
    workspace: Path,
    needs: dict[str, dict[str, Any]],
    artifacts: dict[str, Path],
) -> JobResult:
    """Run `job` of `workflow` in `workspace` (standing in for the checkout).
    `needs` is what the jobs it needs produced ({"list": {"result": "success",
    "outputs": {...}}}); `artifacts` the artifacts uploaded before it, by name."""
    document = load(workflow)
    spec = document["jobs"][job]
    declared = spec.get("needs", [])
    declared = [declared] if isinstance(declared, str) else declared
    missing_needs = set(declared) - set(needs)
    assert not missing_needs, "give the result of every job it needs: %s" % missing_needs
    contexts: dict[str, Any] = {"github": {"workspace": str(workspace)}, "needs": needs, "steps": {}, "inputs": {}}
    needed = ["failure"] if any(n.get("result") != "success" for n in needs.values()) else []
    if not Expressions(contexts, workspace, needed).condition(spec.get("if")):  # a job's status: its needs'
        return JobResult([], "the job was skipped", "")
    status: list[str] = []  # a step's status functions see the steps before it in this job
    expressions = Expressions(contexts, workspace, status)
    summary = workspace / ".github-step-summary"
    summary.write_text("")
    environment = dict(os.environ)
    environment["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environment.get("PATH", "")
    environment.update(GITHUB_WORKSPACE=str(workspace), GITHUB_STEP_SUMMARY=str(summary), CI="true")
    for key, value in {**document.get("env", {}), **spec.get("env", {})}.items():
        environment[key] = expressions.substitute(str(value))
    steps: list[Step] = []
    output: list[str] = []
    uploads: dict[str, list[str]] = {}
    for index, step in enumerate(spec["steps"]):
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise ValueError("the simulation does not know the step keys %s" % unknown)
        name = expressions.substitute(str(step.get("name") or step.get("uses") or step["run"].splitlines()[0]))
        if not expressions.condition(step.get("if")):
            steps.append(Step(name, "skipped", "skipped"))
            _record(contexts, step, "skipped", "skipped")
            continue
        with_ = {key: expressions.substitute(str(value)) for key, value in step.get("with", {}).items()}
        if "uses" in step:
            ok = _action(step["uses"], with_, workspace, artifacts, uploads)
        else:
            ok = _run(step, expressions, environment, workspace, output, index)
        outcome = "success" if ok else "failure"
        continues = _truthy(step.get("continue-on-error", False))
        conclusion = "success" if continues else outcome
        if conclusion == "failure":
            status.append("failure")
        steps.append(Step(name, outcome, conclusion))
        _record(contexts, step, outcome, conclusion)
    return JobResult(steps, "".join(output), summary.read_text(), uploads)


def _record(contexts: dict[str, Any], step: dict[str, Any], outcome: str, conclusion: str) -> None:
    if "id" in step:
        contexts["steps"][step["id"]] = {"outcome": outcome, "conclusion": conclusion, "outputs": {}}


def _run(
    step: dict[str, Any],
    expressions: Expressions,
    environment: dict[str, str],
    workspace: Path,
    output: list[str],
    index: int,
) -> bool:
    script = expressions.substitute(step["run"])
    if INSTALL_SELF.match(script.strip()):
        output.append("[skipped: %s (the package is installed)]\n" % script.strip())
        return True
    env = dict(environment)
    env.update({key: expressions.substitute(str(value)) for key, value in step.get("env", {}).items()})
    path = workspace / (".github-step-%d.sh" % index)
    path.write_text(script)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(path)],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output.append(done.stdout)
    return done.returncode == 0


def _action(
    uses: str, with_: dict[str, str], workspace: Path, artifacts: dict[str, Path], uploads: dict[str, list[str]]
) -> bool:
    action = uses.split("@")[0]
    if action in ("actions/checkout", "actions/setup-python"):
        return True  # the workspace is the checkout; the interpreter is the tests'
    if action == "actions/download-artifact":
        target = workspace / with_.get("path", ".")
        pattern = with_.get("pattern")
        chosen = [n for n in artifacts if fnmatch.fnmatchcase(n, pattern)] if pattern else [with_["name"]]
        for name in chosen:  # one folder per artifact where a pattern chose them (merge-multiple: false)
            if name not in artifacts:
                return False
            shutil.copytree(artifacts[name], target / name if pattern else target, dirs_exist_ok=True)
        return True
    if action == "actions/upload-artifact":
        paths = [line.strip() for line in with_["path"].splitlines() if line.strip()]
        found = [p for p in paths if (workspace / p).exists()]
        uploads[with_["name"]] = found
        return bool(found) or with_.get("if-no-files-found", "warn") != "error"
    raise ValueError("the simulation does not know the action %s" % uses)
