"""The command line: `exportmatrix COMMAND` (see `exportmatrix --help`) and
the `nox -s matrix` front; the only step that uses all the others."""

from __future__ import annotations

import sys

from exportmatrix.cli.front import FRONTS
from exportmatrix.cli.matrix import matrix_main, merge_and_report, merge_session
from exportmatrix.cli.parser import parser
from exportmatrix.config import ConfigError

__all__ = ["main", "matrix_main", "merge_and_report", "merge_session", "parser"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] in FRONTS:  # their arguments go on to nox and the sessions
            return FRONTS[argv[0]](argv[1:])
        arguments = parser().parse_args(argv)
        return int(arguments.run(arguments))
    except (ConfigError, OSError, ValueError) as error:  # one line, no traceback
        print("exportmatrix: %s" % error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
