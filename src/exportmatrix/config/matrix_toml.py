"""matrix.toml: read, validate, and describe the declared matrix.

Every problem is one ConfigError whose message names the file, the key and
the value, so a bad file stops before anything is installed.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from exportmatrix.base import UNTAGGED_BUILDS
from exportmatrix.config.errors import ConfigError
from exportmatrix.config.selection import Selection, path_sets

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


PYPI_INDEX = "https://pypi.org/simple"
MIRROR_PREFIX = "EXPORTMATRIX_INDEX_"  # EXPORTMATRIX_INDEX_CPU=<url>: build cpu's torch from that index instead


def mirror_variable(build: str) -> str:
    """The environment variable that points a build at a mirror at run time."""
    return MIRROR_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", build).upper()


@dataclass(frozen=True)
class Build:
    """Where one device build's torch comes from: a PEP 503 index, or a
    folder of wheels (find_links); its other requirements from extra_index."""

    name: str
    index: str  # "" for a wheelhouse
    releases: SpecifierSet
    find_links: Path | None = None
    extra_index: str = PYPI_INDEX
    local_tag: str | None = None  # what torch.__version__'s local tag must be ("" none); None: not checked
    mirror: str = ""  # the variable whose mirror replaced the declared source, where one did

    @property
    def source(self) -> str:
        """Where its torch comes from, as reports say it."""
        where = "wheelhouse %s" % self.find_links if self.find_links else self.index
        return where + (" (mirror from $%s)" % self.mirror if self.mirror else "")


@dataclass(frozen=True)
class Rule:
    releases: SpecifierSet
    python: str | None = None
    pins: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class MatrixConfig:
    path: Path
    releases: tuple[str, ...]
    default_build: str  # the build whose sessions are named without it (torch-2.4)
    python: str
    requirements: tuple[str, ...]
    cell_timeout: float
    builds: dict[str, Build]
    rules: tuple[Rule, ...] = field(default=())
    case_files: tuple[Path, ...] = ()  # users' files of behaviours, resolved against matrix.toml's folder
    case_requirements: tuple[str, ...] = ()  # what the case files need beside torch
    selection: Selection = field(default_factory=Selection)  # capture-paths and shapes (default: the suite's)
    default_builds: tuple[str, ...] = ()  # what `nox -s matrix` runs (default: the default build)

    def python_for(self, release: str) -> str:
        python = self.python
        for rule in self.rules:
            if rule.python and release_matches(release, rule.releases):
                python = rule.python
        return python

    def pins_for(self, release: str) -> tuple[str, ...]:
        return tuple(pin for rule in self.rules if release_matches(release, rule.releases) for pin in rule.pins)

    def with_releases(self, extra: Iterable[str]) -> MatrixConfig:
        """This matrix with more releases declared after its own (those it
        already declares are not repeated); each checked as matrix.toml's are.
        `exportmatrix bisect` declares the patch releases it installs so."""
        added = [_release(self.path, EXTRA_RELEASES, value) for value in extra]
        releases = tuple(dict.fromkeys([*self.releases, *added]))
        return self if releases == self.releases else replace(self, releases=releases)


EXTRA_RELEASES = "EXPORTMATRIX_EXTRA_RELEASES"  # releases a run declares beyond matrix.toml's, comma-separated


def extra_releases(text: str | None) -> list[str]:
    """The releases of EXPORTMATRIX_EXTRA_RELEASES ("2.9.0,2.10.0")."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def release_matches(release: str, specifier: SpecifierSet) -> bool:
    """Whether a release ("2.4" or "2.4.1") falls in a specifier; "2.4" is
    taken as its first patch release, 2.4.0."""
    return Version(release) in specifier


TOP_KEYS = {
    "releases",
    "default-build",
    "default-builds",
    "python",
    "requirements",
    "cell-timeout",
    "rule",
    "builds",
    "case-files",
    "case-requirements",
    "capture-paths",
    "shapes",
}
RULE_KEYS = {"releases", "python", "pins", "why"}
BUILD_KEYS = {"index", "find-links", "extra-index", "local-tag", "releases"}


def _fail(path: Path, key: str, value: Any, problem: str) -> ConfigError:
    return ConfigError("%s: %s = %r: %s" % (path, key, value, problem))


def _check_keys(path: Path, where: str, table: dict, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            name = where + "." + key if where else key
            raise _fail(path, name, table[key], "unknown key (expected one of %s)" % ", ".join(sorted(allowed)))


def _release(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(path, key, value, 'a release is a string such as "2.4" or "2.4.1"')
    try:
        version = Version(value)
    except InvalidVersion:
        raise _fail(path, key, value, 'not a version (expected e.g. "2.4" or "2.4.1")') from None
    if version.is_prerelease or version.local or len(version.release) not in (2, 3):
        raise _fail(path, key, value, 'expected a release such as "2.4" or "2.4.1" (no local tag or pre-release)')
    return value


def _specifier(path: Path, key: str, value: Any) -> SpecifierSet:
    try:
        return SpecifierSet(value)
    except (InvalidSpecifier, TypeError):
        raise _fail(path, key, value, 'not a version specifier (expected e.g. ">=2.1,<2.6")') from None


def _python(path: Path, key: str, value: Any) -> str:
    parts = value.split(".") if isinstance(value, str) else []
    if len(parts) not in (2, 3) or not all(part.isdigit() for part in parts):
        raise _fail(path, key, value, 'expected a Python version such as "3.11"')
    return str(value)


def _requirements(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(path, key, value, "expected a list of requirements")
    for index, item in enumerate(value):
        try:
            Requirement(item)
        except (InvalidRequirement, TypeError):
            raise _fail(path, "%s[%d]" % (key, index), item, 'not a requirement (expected e.g. "numpy<2")') from None
    return tuple(value)


def _case_files(path: Path, value: Any) -> tuple[Path, ...]:
    if not isinstance(value, list):
        raise _fail(path, "case-files", value, 'expected a list of paths, e.g. ["cases/my_cases.py"]')
    found = []
    for index, item in enumerate(value):
        key = "case-files[%d]" % index
        if not isinstance(item, str) or not item.endswith(".py"):
            raise _fail(path, key, item, "expected the path of a Python file, relative to %s" % path.name)
        resolved = (path.parent / item).resolve()
        if not resolved.is_file():
            raise _fail(path, key, item, "no such file (looked for %s)" % resolved)
        found.append(resolved)
    return tuple(found)


def _names(path: Path, key: str, value: Any, problem_of: Callable[[Any], str | None], example: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, key, value, "expected a non-empty list of names, e.g. %s" % example)
    for index, item in enumerate(value):
        problem = problem_of(item)
        if problem:
            raise _fail(path, "%s[%d]" % (key, index), item, problem)
    return tuple(dict.fromkeys(value))


def _selection(path: Path, data: dict) -> Selection:
    """capture-paths and shapes, checked against the suite's paths.py."""
    known = path_sets()
    paths, shapes = data.get("capture-paths"), data.get("shapes")
    return Selection(
        known.default_paths
        if paths is None
        else _names(path, "capture-paths", paths, known.path_problem, '["default", "deploy"]'),
        known.default_shapes
        if shapes is None
        else _names(path, "shapes", shapes, known.shapes_problem, '["static", "dynamic"]'),
    )


def _builds(path: Path, table: Any) -> dict[str, Build]:
    if not isinstance(table, dict) or not table:
        raise _fail(path, "builds", table, "expected at least one [builds.NAME] table")
    builds = {}
    for name, body in table.items():
        where = "builds." + name
        if not isinstance(body, dict):
            raise _fail(path, where, body, "expected a table with index (or find-links) and releases")
        _check_keys(path, where, body, BUILD_KEYS)
        builds[name] = _build(path, name, body)
    return builds


def _url(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://", "file://")):
        raise _fail(path, key, value, "expected the URL of a package index (https://, http:// or file://)")
    return value.rstrip("/")


def _build(path: Path, name: str, body: dict) -> Build:
    where = "builds." + name
    if ("index" in body) == ("find-links" in body):
        raise _fail(
            path, where, body, "expected exactly one of index (a package index) and find-links (a folder of wheels)"
        )
    local_tag = body.get("local-tag", None if name in UNTAGGED_BUILDS or "find-links" in body else name)
    if local_tag is not None and (not isinstance(local_tag, str) or not re.fullmatch(r"[A-Za-z0-9.]*", local_tag)):
        raise _fail(
            path, where + ".local-tag", local_tag, 'expected a local version tag such as "cpu" or "cu121" ("": none)'
        )
    build = Build(
        name,
        _url(path, where + ".index", body["index"]) if "index" in body else "",
        _specifier(path, where + ".releases", body.get("releases", "")),
        extra_index=_url(path, where + ".extra-index", body.get("extra-index", PYPI_INDEX)),
        local_tag=local_tag,
    )
    if "find-links" in body:
        folder = body["find-links"]
        if not isinstance(folder, str) or not folder:
            raise _fail(path, where + ".find-links", folder, "expected the path of a folder of wheels")
        resolved = (path.parent / os.path.expanduser(folder)).resolve()
        if not resolved.is_dir():
            raise _fail(path, where + ".find-links", folder, "no such folder (looked for %s)" % resolved)
        build = replace(build, find_links=resolved)
    mirror = os.environ.get(mirror_variable(name), "").strip()
    if mirror:  # a company proxy or mirror, named at run time: torch from there alone
        build = replace(
            build, index=_url(path, "$" + mirror_variable(name), mirror), find_links=None, mirror=mirror_variable(name)
        )
    return build


def _rules(path: Path, items: Any) -> tuple[Rule, ...]:
    if not isinstance(items, list):
        raise _fail(path, "rule", items, "expected [[rule]] tables")
    rules = []
    for index, body in enumerate(items):
        where = "rule[%d]" % index
        _check_keys(path, where, body, RULE_KEYS)
        if "releases" not in body:
            raise _fail(path, where + ".releases", None, "a rule needs the releases it applies to")
        python = body.get("python")
        rules.append(
            Rule(
                releases=_specifier(path, where + ".releases", body["releases"]),
                python=_python(path, where + ".python", python) if python is not None else None,
                pins=_requirements(path, where + ".pins", body.get("pins", [])),
                why=str(body.get("why", "")),
            )
        )
    return tuple(rules)


def parse(path: Path, data: dict) -> MatrixConfig:
    _check_keys(path, "", data, TOP_KEYS)
    releases = data.get("releases")
    if not isinstance(releases, list) or not releases:
        raise _fail(path, "releases", releases, "expected a non-empty list of releases")
    checked = [_release(path, "releases[%d]" % i, value) for i, value in enumerate(releases)]
    for index, value in enumerate(checked):
        if value in checked[:index]:
            raise _fail(path, "releases[%d]" % index, value, "this release is listed twice")
    builds = _builds(path, data.get("builds"))
    default_build = data.get("default-build", "pypi")
    if default_build not in builds:
        raise _fail(path, "default-build", default_build, "unknown build (declared: %s)" % ", ".join(builds))
    default_builds = data.get("default-builds", [default_build])
    if not isinstance(default_builds, list) or not default_builds:
        raise _fail(path, "default-builds", default_builds, 'expected a non-empty list of builds, e.g. ["pypi", "cpu"]')
    for index, name in enumerate(default_builds):
        if name not in builds:
            raise _fail(path, "default-builds[%d]" % index, name, "unknown build (declared: %s)" % ", ".join(builds))
    timeout = data.get("cell-timeout", 120)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise _fail(path, "cell-timeout", timeout, "expected a positive number of seconds")
    return MatrixConfig(
        path=path,
        releases=tuple(checked),
        default_build=default_build,
        default_builds=tuple(dict.fromkeys(default_builds)),
        python=_python(path, "python", data.get("python", "3.11")),
        requirements=_requirements(path, "requirements", data.get("requirements", ["pytest"])),
        cell_timeout=float(timeout),
        builds=builds,
        rules=_rules(path, data.get("rule", [])),
        case_files=_case_files(path, data.get("case-files", [])),
        case_requirements=_requirements(path, "case-requirements", data.get("case-requirements", [])),
        selection=_selection(path, data),
    )


def load(path: str | Path = "matrix.toml") -> MatrixConfig:
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("%s: no such file" % path) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("%s: not valid TOML: %s" % (path, error)) from None
    return parse(path, data)
