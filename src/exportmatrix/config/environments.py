"""The environments a matrix.toml declares: one per release and build.

An environment is named twice: by its nox session (`torch-2.4`, known before
install) and by its id (`torch-2.4.1+cu121-py3.11`, known once torch is in).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from packaging.specifiers import SpecifierSet
from packaging.tags import sys_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from exportmatrix.config.locked import LockedPackage, locked_steps
from exportmatrix.config.matrix_toml import PYPI_INDEX, Build, ConfigError, MatrixConfig, release_matches


@dataclass(frozen=True)
class Environment:
    release: str
    build: Build
    python: str
    pins: tuple[str, ...]
    requirements: tuple[str, ...]
    is_default_build: bool
    locked: tuple[LockedPackage, ...] | None = None  # --locked: the recorded package set, installed exactly
    # of a minor release ("2.9"): the patch releases of it the same build also pins ("2.9.0")
    pinned_patches: tuple[str, ...] = ()

    @property
    def session_name(self) -> str:
        suffix = "" if self.is_default_build else "-" + self.build.name
        return "torch-%s%s" % (self.release, suffix)

    @property
    def torch_requirement(self) -> str:
        return "torch" + self.release_specifier

    @property
    def planned_id(self) -> str:
        """The id used before torch is installed (e.g. when install fails)."""
        return make_id(self.release, self.python, self.build.name, self.is_default_build)

    def environment_id(self, torch_version: str, python_version: str) -> str:
        """The id of what was really installed. A minor release ("2.9") that
        resolved to a patch release the build also pins ("2.9.1" beside it)
        says which it is (`torch-2.9.1+cu128-py3.11-as-2.9`): two sessions never
        share an id, a stream file or a matrix column."""
        found = make_id(torch_version, python_version, self.build.name, self.is_default_build)
        return found + "-as-" + self.release if torch_version.split("+")[0] in self.pinned_patches else found

    def wheel(self) -> Path | None:
        """A wheelhouse build's torch wheel for this release and Python: the
        newest whose version is the release's and whose tags this machine and
        Python take; None where the folder has none (source_problem says so)."""
        if self.build.find_links is None:
            return None
        interpreter = "cp" + "".join(self.python.split(".")[:2])
        platforms = {tag.platform for tag in sys_tags()}
        found = []
        for path in self.build.find_links.glob("torch-*.whl"):
            try:
                name, version, _, tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            fits = any(t.interpreter == interpreter and (t.platform in platforms or t.platform == "any") for t in tags)
            if name == "torch" and fits and release_matches(version.public, SpecifierSet(self.release_specifier)):
                found.append((version, path))
        return max(found)[1] if found else None

    @property
    def release_specifier(self) -> str:
        """The versions of the release: "2.4" means any 2.4.x (pip then takes the newest); "2.4.1" pins it."""
        exact = len(Version(self.release).release) == 3
        return "==%s" % self.release if exact else "==%s.*" % self.release

    def source_problem(self) -> str | None:
        """Why this environment's torch cannot be installed from its build, before trying."""
        if self.build.find_links is not None and self.locked is None and self.wheel() is None:
            held = sorted(p.name for p in self.build.find_links.glob("torch-*.whl"))
            return "build %s: no torch %s wheel for Python %s on this machine in %s (it holds: %s)" % (
                self.build.name,
                self.release,
                self.python,
                self.build.find_links,
                ", ".join(held) or "no torch wheel",
            )
        return None

    def install_steps(self) -> list[list[str]]:
        """Arguments for `uv pip install` / `pip install`, one list a step.

        A build's torch comes from its own source alone: an index given beside
        PyPI that cannot be reached would silently yield PyPI's torch; a
        wheelhouse's wheel is installed by its path (the installer records it,
        direct_url.json). The other requirements come from the build's
        extra-index (PyPI unless it says otherwise). A locked environment
        installs its recorded set instead.
        """
        if self.locked is not None:
            return locked_steps(self.locked, self.build.index or PYPI_INDEX, self.build.extra_index)
        rest = [*self.pins, *self.requirements]
        extra = [] if self.build.extra_index == PYPI_INDEX else ["--index-url", self.build.extra_index]
        wheel = self.wheel()
        if wheel is not None:  # torch's own dependencies come from the extra index
            return [["torch @ " + wheel.as_uri(), *rest, *extra]]
        if self.build.find_links is not None:  # no wheel: source_problem says why, before any install
            return [[self.torch_requirement, "--no-index", "--find-links", str(self.build.find_links)], rest + extra]
        if self.build.index == PYPI_INDEX and not extra:
            return [[self.torch_requirement, *rest]]
        return [[self.torch_requirement, "--index-url", self.build.index], rest + extra]

    def describe(self) -> dict:
        described = {
            "session": self.session_name,
            "release": self.release,
            "build": self.build.name,
            "index": self.build.source,
            "python_requested": self.python,
            # what build_mismatch checks the installed torch against (a tag of None: not checked)
            "expected_version": self.release,
            "expected_local_tag": self.build.local_tag,
        }
        return described


def make_id(torch_version: str, python: str, build: str, is_default_build: bool) -> str:
    short_python = ".".join(python.split(".")[:2])
    suffix = "" if is_default_build else "-" + build
    return "torch-%s-py%s%s" % (torch_version, short_python, suffix)


def pinned_patches(config: MatrixConfig, release: str, build: Build) -> tuple[str, ...]:
    """The patch releases of a minor release ("2.9") that the build also
    offers as releases of their own ("2.9.0"); none for a patch release."""
    minor = Version(release).release
    if len(minor) != 2:
        return ()
    return tuple(
        other
        for other in config.releases
        if Version(other).release[:2] == minor and other != release and release_matches(other, build.releases)
    )


def _environment(config: MatrixConfig, release: str, build: Build) -> Environment:
    return Environment(
        release=release,
        build=build,
        python=config.python_for(release),
        pins=config.pins_for(release),
        requirements=config.requirements + config.case_requirements,
        is_default_build=build.name == config.default_build,
        pinned_patches=pinned_patches(config, release, build),
    )


def plan(
    config: MatrixConfig, releases: Iterable[str] | None = None, builds: Iterable[str] | None = None
) -> list[Environment]:
    """Environments for the given releases (default: all declared) in the
    given builds (default: every build, where it offers the release)."""
    chosen_releases = list(releases) if releases else list(config.releases)
    for release in chosen_releases:
        if release not in config.releases:
            raise ConfigError(
                "release %r: not in %s (declared: %s)" % (release, config.path, ", ".join(config.releases))
            )
    chosen_builds = list(builds) if builds else list(config.builds)
    for name in chosen_builds:
        if name not in config.builds:
            raise ConfigError("build %r: unknown (%s declares: %s)" % (name, config.path, ", ".join(config.builds)))
        offered = config.builds[name].releases
        if releases and builds and not any(release_matches(r, offered) for r in chosen_releases):
            raise ConfigError(
                "build %r offers none of %s (it offers %s, per %s)"
                % (name, ", ".join(chosen_releases), offered or "every release", config.path)
            )
    return [
        _environment(config, release, config.builds[name])
        for release in chosen_releases
        for name in chosen_builds
        if release_matches(release, config.builds[name].releases)
    ]


def default_matrix(config: MatrixConfig, releases: Iterable[str] | None = None) -> list[Environment]:
    """What `nox -s matrix` runs: every release in each default build that offers it."""
    return plan(config, releases, config.default_builds or [config.default_build])
