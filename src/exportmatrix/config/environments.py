"""The environments a matrix.toml declares: one per release and build.

An environment is named twice: by its nox session (`torch-2.4`, known before
install) and by its id (`torch-2.4.1+cu121-py3.11`, known once torch is in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from packaging.version import Version

from exportmatrix.config.locked import LockedPackage, locked_steps
from exportmatrix.config.matrix_toml import Build, ConfigError, MatrixConfig, release_matches

PYPI_INDEX = "https://pypi.org/simple"


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
        # "2.4" means the newest 2.4.x; a full version pins that release
        exact = len(Version(self.release).release) == 3
        return "torch==%s" % self.release if exact else "torch==%s.*" % self.release

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

    def install_steps(self) -> list[list[str]]:
        """Arguments for `uv pip install` / `pip install`, one list a step.

        A build's torch comes from its own index alone: given beside PyPI,
        an index that cannot be reached would silently yield PyPI's torch.
        A locked environment installs its recorded set instead.
        """
        if self.locked is not None:
            return locked_steps(self.locked, self.build.index, PYPI_INDEX)
        rest = [*self.pins, *self.requirements]
        if self.build.index == PYPI_INDEX:
            return [[self.torch_requirement, *rest]]
        return [[self.torch_requirement, "--index-url", self.build.index], rest]

    def describe(self) -> dict:
        return {
            "session": self.session_name,
            "release": self.release,
            "build": self.build.name,
            "index": self.build.index,
            "python_requested": self.python,
        }


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
    return [
        _environment(config, release, config.builds[name])
        for release in chosen_releases
        for name in chosen_builds
        if release_matches(release, config.builds[name].releases)
    ]


def default_matrix(config: MatrixConfig, releases: Iterable[str] | None = None) -> list[Environment]:
    """What `nox -s matrix` runs: every release in the default build."""
    return plan(config, releases, [config.default_build])
