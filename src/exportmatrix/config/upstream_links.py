"""Upstream links: what PyTorch (or ExecuTorch, ao) says about a behaviour,
read from the suite's upstream/known.toml and checked on load, so that a
link to a behaviour, capture path or release that does not exist is an
error naming the file, the link and the value."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportmatrix.base import DEFAULT_CONFIG, SUITE_DIR
from exportmatrix.config.cases import builtin_declarations
from exportmatrix.config.errors import ConfigError
from exportmatrix.config.matrix_toml import load
from exportmatrix.config.selection import path_sets

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN_FILE = SUITE_DIR / "exportmatrix_suite" / "upstream" / "known.toml"
STATUSES = ("bug", "fixed", "expected", "open")
KEYS = {"ref", "title", "says", "status", "fixed_in", "behaviours", "paths", "releases", "evidence"}
REQUIRED = ("ref", "says", "status", "behaviours")
_REF = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)#(?P<number>\d+)$")
_RELEASE = re.compile(r"^\d+\.\d+(\.\d+)?$")


@dataclass(frozen=True)
class Link:
    ref: str  # owner/repo#number
    says: str  # one line: bug, expected, fixed in ...
    status: str
    behaviours: tuple[str, ...]
    paths: tuple[str, ...] = ()  # empty: any capture path
    releases: tuple[str, ...] = ()  # minors ("2.4") or exact versions; empty: any release
    title: str = ""
    fixed_in: str = ""

    @property
    def url(self) -> str:
        found = _REF.match(self.ref)
        assert found  # checked on load
        kind = "issues"  # GitHub redirects an issue number that is a pull request
        return "https://github.com/%s/%s/%s" % (found["repo"], kind, found["number"])

    def concerns(self, behaviour: str, exporter: str, releases: tuple[str, ...] = ()) -> bool:
        """Whether this link is about a cell of `behaviour` under `exporter` in
        one of `releases` (labels such as "2.4" or "2.9.1"; none: any)."""
        if behaviour not in self.behaviours or (self.paths and exporter not in self.paths):
            return False
        if not self.releases or not releases:
            return True
        return any(_same_release(mine, theirs) for mine in self.releases for theirs in releases)


def _same_release(declared: str, observed: str) -> bool:
    """ "2.4" covers "2.4.1"; an exact version only itself."""
    if declared.count(".") == 1:
        return observed == declared or observed.startswith(declared + ".")
    return observed == declared


def _strings(where: str, value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError("%s: %s must be a list of strings, not %r" % (where, key, value))
    return tuple(value)


def parse_links(
    document: Any, path: Path, behaviours: set[str], paths: set[str], releases_known: tuple[str, ...]
) -> list[Link]:
    """The links of a parsed known.toml, each checked against the catalogue's
    behaviour ids, the capture paths and the default matrix's releases."""
    if not isinstance(document, dict) or set(document) - {"link"}:
        raise ConfigError("%s: expected only [[link]] tables, found %s" % (path, ", ".join(sorted(document))))
    found = []
    for n, body in enumerate(document.get("link", []), start=1):
        where = "%s: link %d" % (path, n)
        if not isinstance(body, dict):
            raise ConfigError("%s: expected a table, not %r" % (where, body))
        if "ref" in body:
            where += " (%s)" % body["ref"]
        unknown = sorted(set(body) - KEYS)
        missing = [key for key in REQUIRED if key not in body]
        if unknown or missing:
            raise ConfigError(
                "%s: %s"
                % (where, "; ".join(["unknown key %r" % k for k in unknown] + ["needs %r" % k for k in missing]))
            )
        if not isinstance(body["ref"], str) or not _REF.match(body["ref"]):
            raise ConfigError("%s: ref %r is not owner/repo#number" % (where, body["ref"]))
        if body["status"] not in STATUSES:
            raise ConfigError("%s: status %r is not one of %s" % (where, body["status"], ", ".join(STATUSES)))
        for key in ("says", "title", "fixed_in", "evidence"):
            if key in body and not isinstance(body[key], str):
                raise ConfigError("%s: %s must be a string, not %r" % (where, key, body[key]))
        ids, exporters = (
            _strings(where, body["behaviours"], "behaviours"),
            _strings(where, body.get("paths", []), "paths"),
        )
        releases = _strings(where, body.get("releases", []), "releases")
        if not ids:
            raise ConfigError("%s: behaviours is empty (a link is about at least one behaviour)" % where)
        for identifier in ids:
            if identifier not in behaviours:
                raise ConfigError("%s: unknown behaviour %r (not in the catalogue)" % (where, identifier))
        for exporter in exporters:
            if exporter not in paths:
                raise ConfigError(
                    "%s: unknown capture path %r (paths: %s)" % (where, exporter, ", ".join(sorted(paths)))
                )
        for release in releases:
            if not _RELEASE.match(release):
                raise ConfigError("%s: release %r is not a version such as 2.4 or 2.4.1" % (where, release))
            if not any(_same_release(known, release) for known in releases_known):
                raise ConfigError(
                    "%s: unknown release %r (the default matrix has %s)" % (where, release, ", ".join(releases_known))
                )
        found.append(
            Link(
                body["ref"],
                body["says"],
                body["status"],
                ids,
                exporters,
                releases,
                body.get("title", ""),
                body.get("fixed_in", ""),
            )
        )
    return found


def load_links(path: Path = KNOWN_FILE, extra_behaviours: tuple[str, ...] = ()) -> list[Link]:
    """The links of `path` (the suite's known.toml by default); none where it does not exist."""
    if not path.is_file():
        return []
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("%s: not valid TOML: %s" % (path, error)) from None
    behaviours = {d.id for d in builtin_declarations()} | set(extra_behaviours)
    releases = load(DEFAULT_CONFIG).releases
    return parse_links(document, path, behaviours, set(path_sets().exporters), releases)
