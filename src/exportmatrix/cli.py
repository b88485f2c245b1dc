"""The `exportmatrix` command: see `exportmatrix --help`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from exportmatrix import __version__
from exportmatrix.config import ConfigError, load
from exportmatrix.environments import plan
from exportmatrix.orchestrate import merge_and_report
from exportmatrix.summary import render


def _environments(arguments: argparse.Namespace) -> int:
    config = load(arguments.config)
    environments = plan(config, arguments.releases or None, arguments.builds or None)
    if arguments.json:
        print(
            json.dumps(
                [{**e.describe(), "python": e.python, "install": e.install_arguments()} for e in environments], indent=1
            )
        )
    else:
        for environment in environments:
            print(
                "%-22s python %-5s %s"
                % (environment.session_name, environment.python, " ".join(environment.install_arguments()))
            )
    return 0


def _aggregate(arguments: argparse.Namespace) -> int:
    return merge_and_report(Path(arguments.results))


def _summary(arguments: argparse.Namespace) -> int:
    with open(arguments.matrix, encoding="utf-8") as handle:
        print(render(json.load(handle)))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="exportmatrix",
        description="Which torch.export mutation behaviours hold in which torch release and device build. "
        "Environments are run by nox (`nox -s matrix`, `nox -s torch-2.4`); this command plans them, "
        "merges their results and prints summaries.",
    )
    top.add_argument("--version", action="version", version="exportmatrix " + __version__)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    environments = commands.add_parser("environments", help="list the environments matrix.toml declares")
    environments.add_argument("--config", default="matrix.toml", help="the matrix file (default: matrix.toml)")
    environments.add_argument("--release", dest="releases", action="append", help="only this release (repeatable)")
    environments.add_argument("--build", dest="builds", action="append", help="only this build (repeatable)")
    environments.add_argument("--json", action="store_true", help="print JSON instead of a table")
    environments.set_defaults(run=_environments)

    merge = commands.add_parser("aggregate", help="merge results/envs/*.jsonl into results/matrix.json")
    merge.add_argument("--results", default="results", help="the results folder (default: results)")
    merge.set_defaults(run=_aggregate)

    summary = commands.add_parser("summary", help="print the terminal summary of a matrix file")
    summary.add_argument("matrix", nargs="?", default="results/matrix.json", help="default: results/matrix.json")
    summary.set_defaults(run=_summary)
    return top


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
