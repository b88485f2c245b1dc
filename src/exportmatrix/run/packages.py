"""What an environment holds, package by package: read it, say which index
each package came from, and make it hold exactly a recorded set."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from packaging.utils import canonicalize_name

from exportmatrix.config import PYPI_INDEX, LockedPackage
from exportmatrix.run.install import find_uv

# every distribution of the interpreter, by name and version (the first found on sys.path wins, as on import)
LIST_PACKAGES = (
    "import importlib.metadata as m, json; d = {}\n"
    "for x in m.distributions():\n"
    "    n = x.metadata['Name']\n"
    "    if n: d.setdefault(n, x.version)\n"
    "print(json.dumps(d))"
)


def installed_packages(python: Path) -> dict[str, str]:
    """{name: version} of every distribution the interpreter sees, names as
    PEP 503 normalises them (the suite's probe records them the same way)."""
    done = subprocess.run([str(python), "-c", LIST_PACKAGES], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise OSError("%s: could not list its packages: %s" % (python, done.stderr.strip()[-300:]))
    found = json.loads(done.stdout)
    return dict(sorted((canonicalize_name(name), version) for name, version in found.items()))


def step_index(step: list[str], uses_uv: bool) -> str:
    """The index an install step resolves from: its own --index-url, else
    the installer's configured default (uv's or pip's variable), else PyPI."""
    if "--index-url" in step:
        return step[step.index("--index-url") + 1]
    names = ("UV_DEFAULT_INDEX", "UV_INDEX_URL") if uses_uv else ("PIP_INDEX_URL",)
    return next((os.environ[name] for name in names if os.environ.get(name)), PYPI_INDEX)


def direct_sources(step: list[str], installed: dict[str, str]) -> dict[str, str]:
    """The packages a step names by URL ("torch @ file:///wheels/torch-...whl"), each → that URL."""
    found: dict[str, str] = {}
    for item in step:
        name, at, url = item.partition(" @ ")
        if at and canonicalize_name(name) in installed:
            found[canonicalize_name(name)] = url.strip()
    return found


def attribute(sources: dict[str, str], before: dict[str, str], after: dict[str, str], index: str) -> dict[str, str]:
    """`sources` (name → index) after a step that took the environment from
    `before` to `after`: what it added or changed came from `index`; what it
    left alone keeps its index; what it removed is gone."""
    return {
        name: index if before.get(name) != version else sources[name]
        for name, version in after.items()
        if before.get(name) != version or name in sources
    }


def uninstall(python: Path, names: list[str]) -> None:
    uv = find_uv()
    command = (
        [uv, "pip", "uninstall", "--python", str(python), *names]
        if uv
        else [str(python), "-m", "pip", "uninstall", "-y", *names]
    )
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)


def differences(wanted: tuple[LockedPackage, ...], found: dict[str, str]) -> list[str]:
    """How an environment's packages differ from a recorded set, one phrase a package."""
    recorded = {p.name: p.version for p in wanted}
    lines = ["%s %s (recorded: %s)" % (n, found[n], v) for n, v in recorded.items() if n in found and found[n] != v]
    lines += ["%s missing (recorded: %s)" % (n, v) for n, v in recorded.items() if n not in found]
    return lines + ["%s %s (not recorded)" % (n, v) for n, v in found.items() if n not in recorded]


def make_exact(python: Path, wanted: tuple[LockedPackage, ...], found: dict[str, str]) -> dict[str, str]:
    """Remove what the recorded set does not hold from an environment holding
    `found` (a reused one may have more); return what it holds then."""
    recorded = {p.name for p in wanted}
    extra = [name for name in found if name not in recorded]
    if not extra:
        return found
    print("exportmatrix: removing packages the recorded set does not hold: %s" % " ".join(extra), flush=True)
    uninstall(python, extra)
    return installed_packages(python)
