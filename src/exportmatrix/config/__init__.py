"""Configuration: matrix.toml → the environments it declares."""

from exportmatrix.config.cases import Cases, check_case_files
from exportmatrix.config.environments import PYPI_INDEX, Environment, default_matrix, make_id, plan
from exportmatrix.config.matrix_toml import Build, ConfigError, MatrixConfig, Rule, load, parse, release_matches

__all__ = [
    "PYPI_INDEX",
    "Build",
    "Cases",
    "ConfigError",
    "Environment",
    "MatrixConfig",
    "Rule",
    "check_case_files",
    "default_matrix",
    "load",
    "make_id",
    "parse",
    "plan",
    "release_matches",
]
