"""Which torch releases PyPI has, from its JSON API: what the living matrix
asks before it runs a release the committed matrix lacks. Offline, or with
an index that does not answer, it says so within a bounded time."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from packaging.version import InvalidVersion, Version

from exportmatrix.base import suite_ran
from exportmatrix.config.errors import ConfigError

PYPI_JSON = "https://pypi.org/pypi"  # PyPI's JSON API: <index>/<project>/json
INDEX_VARIABLE = "EXPORTMATRIX_PYPI_JSON"  # another JSON API (a mirror, or a stand-in in tests)
TIMEOUT_S = 30


def index_url(given: str | None = None) -> str:
    return (given or os.environ.get(INDEX_VARIABLE) or PYPI_JSON).rstrip("/")


def project_json(project: str = "torch", index: str | None = None, timeout: float = TIMEOUT_S) -> dict[str, Any]:
    url = "%s/%s/json" % (index_url(index), project)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return json.load(answer)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ConfigError("could not read %s (offline, or the index does not answer?): %s" % (url, reason)) from None
    except ValueError as error:
        raise ConfigError("%s: not the JSON of a package index: %s" % (url, error)) from None


def stable_releases(document: dict[str, Any]) -> list[Version]:
    """The final releases (no pre-, dev- or yanked-only ones) that have files, oldest first."""
    found = []
    for text, files in (document.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        usable = [f for f in files or [] if not f.get("yanked")]
        if usable and not version.is_prerelease and not version.is_devrelease:
            found.append(version)
    return sorted(found)


def newest_release(index: str | None = None) -> Version:
    releases = stable_releases(project_json("torch", index))
    if not releases:
        raise ConfigError("%s/torch/json lists no final release of torch" % index_url(index))
    return releases[-1]


def observed_in(version: Version, matrix: dict[str, Any]) -> bool:
    """Whether `matrix` holds an environment of this exact release that ran."""
    for environment in matrix["environments"]:
        torch = str(environment.get("torch") or "").split("+", 1)[0]
        if torch == str(version) and suite_ran(environment):
            return True
    return False
