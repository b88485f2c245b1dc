"""python -m exportmatrix_suite.coverage: print the catalogue's coverage
table (axes.markdown of the suite's own behaviours). Imports torch, as the
declarations do."""

import sys

from exportmatrix_suite.axes import markdown


def main() -> int:
    import exportmatrix_suite.behaviours as catalogue

    declared = [behaviour.declaration() for behaviour in catalogue.BEHAVIOURS if behaviour.source.catalogue]
    sys.stdout.write(markdown(declared))
    return 0


if __name__ == "__main__":
    sys.exit(main())
