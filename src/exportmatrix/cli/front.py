"""`exportmatrix matrix` and `exportmatrix nox`: the sessions run from any
directory, as a model author runs them in their own repository. The noxfile,
the suite and the default matrix come with the package (base/suite.py);
the current directory holds the rest: its matrix.toml (or --config) over the
shipped one, results/ and nox's environments (.nox/)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from exportmatrix.base import DEFAULT_CONFIG, NOXFILE
from exportmatrix.cli.matrix import matrix_main, matrix_parser
from exportmatrix.cli.options import add_options
from exportmatrix.config import ConfigError, load

# what the sessions read: set here, inherited by every nox process
CONFIG_VARIABLE, RESULTS_VARIABLE, ENVDIR_VARIABLE = (
    "EXPORTMATRIX_CONFIG",
    "EXPORTMATRIX_RESULTS",
    "EXPORTMATRIX_ENVDIR",
)


def config_path(named: str | None = None) -> Path:
    """The matrix file: the one named, else $EXPORTMATRIX_CONFIG, else
    ./matrix.toml where there is one, else the shipped default."""
    if named:
        return Path(named)
    if os.environ.get(CONFIG_VARIABLE):
        return Path(os.environ[CONFIG_VARIABLE])
    here = Path("matrix.toml")
    return here if here.is_file() else DEFAULT_CONFIG


def front_parser(add_help: bool = False, **settings: Any) -> argparse.ArgumentParser:
    """The options `exportmatrix matrix` and `exportmatrix nox` take before the sessions' own."""
    parser = argparse.ArgumentParser(add_help=add_help, **settings)
    add_options(parser, "config", "results", "envdir")
    return parser


def _export(front: argparse.Namespace) -> Path:
    """Set what the sessions read; returns the matrix file (checked now, before anything runs)."""
    config = config_path(front.config).resolve()
    if not config.is_file():
        raise ConfigError("%s: no such matrix file" % config)
    os.environ[CONFIG_VARIABLE] = str(config)
    os.environ[RESULTS_VARIABLE] = str(Path(front.results).resolve())
    os.environ[ENVDIR_VARIABLE] = str(Path(front.envdir).resolve())
    return config


def matrix_command_parser() -> argparse.ArgumentParser:
    return front_parser(
        add_help=True,
        prog="exportmatrix matrix",
        parents=[matrix_parser(add_help=False)],
        description="Run the environments of the default build (or the named releases), each in its nox "
        "session, from this directory, and merge their results into RESULTS/matrix.json with its reports. "
        "The same as `nox -s matrix` in a checkout of exportmatrix.",
    )


def matrix(argv: Sequence[str]) -> int:
    matrix_command_parser().parse_args(list(argv))  # --help, and errors before anything runs
    front, rest = front_parser().parse_known_args(list(argv))
    config = _export(front)
    return matrix_main(rest, load(config), Path(front.results).resolve(), NOXFILE, Path.cwd())


def nox_command_parser() -> argparse.ArgumentParser:
    return front_parser(
        add_help=True,
        prog="exportmatrix nox",
        description="Run nox with the tool's own sessions (torch-2.4, matrix, ...; `--list` names them) from "
        "this directory; every other argument goes to nox, e.g. `exportmatrix nox --session torch-2.4 -- "
        "--behaviours my_cases.py`.",
    )


def nox(argv: Sequence[str]) -> int:
    if "-h" in argv[:1] or "--help" in argv[:1]:
        nox_command_parser().print_help()
        return 0
    argv = list(argv)
    split = argv.index("--") if "--" in argv else len(argv)  # after --: the session's own arguments, untouched
    front, rest = front_parser().parse_known_args(argv[:split])
    _export(front)
    command = [sys.executable, "-m", "nox", "--noxfile", str(NOXFILE), *rest, *argv[split:]]
    return subprocess.call(command)


FRONTS = {"matrix": matrix, "nox": nox}  # commands whose arguments are passed on, not parsed by `exportmatrix`
