"""A recorded matrix as a lock: each environment's full package set (name,
version, and the index it came from), so that `--locked` rebuilds exactly
that set instead of resolving the install request anew."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportmatrix.config.errors import ConfigError


@dataclass(frozen=True)
class LockedPackage:
    name: str
    version: str
    index: str | None  # None: not recorded (installed before records were kept); the default index


@dataclass(frozen=True)
class Locks:
    """The recorded package sets of one matrix file, by nox session."""

    source: Path
    sets: dict[str, tuple[LockedPackage, ...]] = field(default_factory=dict)
    unusable: dict[str, str] = field(default_factory=dict)  # session → why it has no set to replay

    @property
    def sessions(self) -> list[str]:
        return list(self.sets) + list(self.unusable)

    def problem(self, session: str) -> str | None:
        """Why `session` cannot be rebuilt from this file, or None."""
        if session in self.sets:
            return None
        why = self.unusable.get(session, "the file has no environment of this session")
        return "nothing to replay from %s: %s" % (self.source, why)


def _packages(entry: dict[str, Any]) -> tuple[LockedPackage, ...]:
    indexes = entry.get("package_index") or {}
    return tuple(LockedPackage(name, version, indexes.get(name)) for name, version in sorted(entry["packages"].items()))


def read_locks(path: Path) -> Locks:
    """Every environment of a matrix file: a set to replay where it was
    built (`ok`) and its packages were recorded; the reason otherwise."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("%s: no such file (--locked replays a recorded matrix.json)" % path) from None
    except (OSError, ValueError) as error:
        raise ConfigError("%s: not a readable matrix file (%s)" % (path, error)) from None
    schema = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(schema, str) or not schema.startswith("exportmatrix/"):
        raise ConfigError("%s: schema = %r: not a matrix file (expected exportmatrix/2 or /1)" % (path, schema))
    sets: dict[str, tuple[LockedPackage, ...]] = {}
    unusable: dict[str, str] = {}
    for entry in document.get("environments", []):
        session = entry.get("session") or entry["id"]
        if entry.get("status") != "ok":
            unusable[session] = "its status there is %s (%s)" % (entry.get("status"), entry.get("reason", "no reason"))
        elif not entry.get("packages"):
            unusable[session] = "its package set was not recorded (a matrix older than package records)"
        else:
            sets[session] = _packages(entry)
    return Locks(Path(path), sets, unusable)


def locked_steps(packages: tuple[LockedPackage, ...], build_index: str, default_index: str) -> list[list[str]]:
    """`pip install` arguments that rebuild exactly `packages`: every one
    pinned to its recorded version, from its recorded index (where none was
    recorded: torch from the build's index, the rest from the default one),
    dependencies not resolved anew (the set is complete). One step an index,
    torch's first."""
    groups: dict[str, list[str]] = {}
    for package in sorted(packages, key=lambda p: p.name != "torch"):
        index = package.index or (build_index if package.name == "torch" else default_index)
        groups.setdefault(index, []).append("%s==%s" % (package.name, package.version))
    return [["--no-deps", "--index-url", index, *pins] for index, pins in groups.items()]
