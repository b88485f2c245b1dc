"""`exportmatrix replay MATRIX`: rebuild every environment of a recorded
matrix with exactly its recorded package set and run the suite again, as
`nox -s matrix -- --locked MATRIX` does, into a results folder of its own,
so that the two matrices compare cell for cell."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from exportmatrix.base import NOXFILE
from exportmatrix.cli.front import config_path
from exportmatrix.cli.matrix import matrix_main
from exportmatrix.config import ConfigError, load


def replay(arguments: argparse.Namespace) -> int:
    recorded = Path(arguments.matrix).resolve()
    results = Path(arguments.results).resolve() if arguments.results else recorded.parent / "replay"
    config = config_path(arguments.config).resolve()
    if results == recorded.parent:
        print(
            "exportmatrix: --results %s holds the matrix being replayed; name another folder" % results, file=sys.stderr
        )
        return 2
    try:
        loaded = load(config)
    except ConfigError as error:
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2
    # the sessions the run starts read their matrix file and results folder from these
    os.environ["EXPORTMATRIX_CONFIG"], os.environ["EXPORTMATRIX_RESULTS"] = str(config), str(results)
    posargs = ["--locked", str(recorded), "--jobs", str(arguments.jobs), *arguments.releases]
    returncode = matrix_main(posargs, loaded, results, NOXFILE)
    print(
        "exportmatrix: replayed %s into %s; compare them with\n"
        "  exportmatrix check %s --baseline %s\n  exportmatrix diff %s %s"
        % (recorded, results, results / "matrix.json", recorded, recorded, results / "matrix.json")
    )
    return returncode
