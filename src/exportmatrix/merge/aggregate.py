"""Merge the environments' streams into one matrix (results/matrix.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from exportmatrix.base import SCHEMA, UNTAGGED_BUILDS, Status, compact, encode, release_key, shapes_of
from exportmatrix.schemas import problems
from exportmatrix.streams import Stream, StreamError, read_stream

ENVIRONMENT_FIELDS = (
    "id",
    "session",
    "release",
    "torch",
    "local_tag",
    "expected_local_tag",
    "expected_version",
    "build",
    "index",
    "python",
    "python_requested",
    "platform",
    "machine",
    "status",
    "reason",
    "cuda",
    "hip",
    "devices",
    "gpus",
    "interpreter",
    "fingerprint",
    "case_files",
    "only_cases",
    "case_file_errors",
    "packages",
    "package_index",
    "locked_from",
    "capture_paths",
    "shapes",
)
MOST_FAILURES = 20  # failures an environment entry keeps (a broken case file of many behaviours fails each)


@dataclass
class Aggregated:
    matrix: dict[str, Any]
    errors: list[str]  # files that could not be merged, each named with its problem


def build_mismatch(environment: dict[str, Any]) -> str | None:
    """Why the installed torch is not what its build declares (its local
    tag, e.g. PyPI's CUDA build where cpu was asked for; or its version, e.g.
    a wheelhouse's mislabeled wheel), saying what differs; None when it is,
    or nothing was promised. A stream from before builds declared their tag
    expects the build's name, except of pypi and installed."""
    torch_version, build = environment.get("torch"), str(environment.get("build", ""))
    if not torch_version:
        return None
    version, _, tag = torch_version.partition("+")
    expected = environment.get("expected_local_tag", None if build in UNTAGGED_BUILDS else build)
    differs = []
    if expected is not None and tag != expected:
        differs.append("local tag %s where the build declares %s" % (tag or "(none)", expected or "(none)"))
    release = environment.get("expected_version")
    if release and not _of_release(version, release):
        differs.append("version %s where %s was asked for" % (version, release))
    if not differs:
        return None
    return "asked for build %s, got torch %s: %s" % (build, torch_version, "; ".join(differs))


def _of_release(version: str, release: str) -> bool:
    """Whether a version ("2.4.1") is of a release ("2.4", or exactly "2.4.1")."""
    try:
        found, asked = Version(version).release, Version(release).release
    except InvalidVersion:
        return False
    return found[: len(asked)] == asked if len(asked) == 2 else found == asked


def _environment_entry(stream: Stream) -> dict[str, Any]:
    source = stream.environment
    entry = {key: source.get(key) for key in ENVIRONMENT_FIELDS if key in source}
    entry.setdefault("torch", None)
    entry.setdefault("python", source.get("python_requested"))
    entry.setdefault("cuda", None)
    entry.setdefault("devices", [])
    mismatch = build_mismatch(source)
    if mismatch:
        entry["build_mismatch"] = mismatch
    if stream.failures:
        entry["failures"] = [_failure(f) for f in stream.failures[:MOST_FAILURES]]
        entry["failed_tests"] = len(stream.failures)
    if entry["status"] == Status.OK and not stream.complete:
        entry["status"] = Status.INCOMPLETE.value
        entry["reason"] = "the suite stopped before its end line; the cells it recorded are kept"
    elif entry["status"] == Status.OK and stream.failures:
        entry["status"] = Status.CHECKS_FAILED.value
        entry["reason"] = checks_failed_reason(stream.failures)
    return entry


def _failure(line: dict[str, Any]) -> dict[str, Any]:
    return {key: line[key] for key in ("test", "behaviour", "case_file", "why") if line.get(key) is not None}


def first_line(text: str) -> str:
    return (text or "").strip().split("\n", 1)[0]


def checks_failed_reason(failures: list[dict[str, Any]]) -> str:
    """The reason of a checks-failed environment: the first failure's
    behaviour (or test), how many tests failed where several did, and the
    first line of why."""
    first = failures[0]
    what = "behaviour %s" % first["behaviour"] if first.get("behaviour") else first["test"]
    more = " (1 of %d failed tests)" % len(failures) if len(failures) > 1 else ""
    return "%s%s: %s" % (what, more, first_line(first["why"]))


def merge(streams: list[Stream]) -> dict[str, Any]:
    streams = sorted(streams, key=lambda s: release_key(s.environment))
    behaviours: dict[str, dict[str, Any]] = {}
    observations, upstream = [], []
    for stream in streams:
        env_id = stream.environment["id"]
        for behaviour in stream.behaviours:
            behaviours[behaviour["id"]] = behaviour  # newest release's declaration wins
        # a stream older than the shape axis observed static shapes only
        observations += [{"environment": env_id, **o, "shapes": shapes_of(o)} for o in stream.observations]
        upstream += [{"environment": env_id, **u} for u in stream.upstream]
    whole = {
        "schema": SCHEMA,
        "environments": [_environment_entry(s) for s in streams],
        "behaviours": sorted(behaviours.values(), key=lambda b: b["id"]),
        "observations": observations,
        "upstream": upstream,
    }
    templates = {s.environment["id"]: s.environment.get("reproducer_header") for s in streams}
    return compact(whole, {env_id: template for env_id, template in templates.items() if template})


def aggregate(envs_dir: Path, sessions: set[str] | None = None) -> Aggregated:
    """Merge every stream under `envs_dir` (sub-folders too, as an artifact
    download lays them out), or only those the named sessions wrote."""
    streams, errors = [], []
    for path in sorted(Path(envs_dir).rglob("*.jsonl")):
        try:
            stream = read_stream(path)
        except (StreamError, OSError) as error:
            errors.append(str(error))
            continue
        if sessions is None or stream.environment.get("session") in sessions:
            streams.append(stream)
    seen: dict[str, Path] = {}
    for stream in streams:
        env_id = stream.environment["id"]
        if env_id in seen:
            errors.append("%s: environment %s is also in %s" % (stream.path, env_id, seen[env_id]))
        seen[env_id] = stream.path
    matrix = merge([s for s in streams if seen[s.environment["id"]] == s.path])
    found = problems("matrix", encode(matrix))  # the file it will be
    if found:
        raise ValueError("the merged matrix breaks its schema: " + "; ".join(found[:5]))
    return Aggregated(matrix, errors)


def expected_sessions(text: str) -> list[str]:
    """The sessions `aggregate --expect` names: a JSON list, as the CI's list
    job prints it ('["torch-2.4","torch-2.10"]'), or names separated by commas."""
    text = text.strip()
    if text.startswith("["):
        try:
            names = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError("--expect %s: not a JSON list (%s)" % (text, error)) from None
        if not all(isinstance(name, str) and name.strip() for name in names):
            raise ValueError("--expect %s: not a list of session names" % text)
    else:
        names = [name for name in text.split(",") if name.strip()]
        if not names:
            raise ValueError("--expect names no session (give a JSON list or names separated by commas)")
    return list(dict.fromkeys(name.strip() for name in names))
