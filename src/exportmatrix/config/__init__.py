"""Configuration: matrix.toml → the environments it declares."""

from exportmatrix.config.cases import Cases, builtin_declarations, check_case_files, declarations
from exportmatrix.config.environments import Environment, default_matrix, make_id, plan
from exportmatrix.config.errors import ConfigError
from exportmatrix.config.locked import LockedPackage, Locks, read_locks
from exportmatrix.config.matrix_toml import (
    EXTRA_RELEASES,
    PYPI_INDEX,
    Build,
    MatrixConfig,
    Rule,
    extra_releases,
    load,
    mirror_variable,
    parse,
    release_matches,
)
from exportmatrix.config.newest import newest_release, observed_in, project_json, stable_releases
from exportmatrix.config.selection import PathSets, Selection, path_sets
from exportmatrix.config.upstream_links import Link, load_links

__all__ = [
    "stable_releases",
    "project_json",
    "observed_in",
    "newest_release",
    "load_links",
    "Link",
    "declarations",
    "builtin_declarations",
    "EXTRA_RELEASES",
    "PYPI_INDEX",
    "Build",
    "Cases",
    "ConfigError",
    "Environment",
    "LockedPackage",
    "Locks",
    "MatrixConfig",
    "PathSets",
    "Rule",
    "Selection",
    "check_case_files",
    "default_matrix",
    "extra_releases",
    "load",
    "make_id",
    "mirror_variable",
    "parse",
    "path_sets",
    "plan",
    "read_locks",
    "release_matches",
]
