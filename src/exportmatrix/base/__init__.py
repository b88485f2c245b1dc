"""What every step of the data flow shares, below all of them: the outcome
vocabulary, the release ordering, atomic writes, and the matrix's own shape."""

from exportmatrix.base.compact import (
    SEPARATOR,
    compact,
    decode,
    encode,
    evidence,
    read_matrix,
    reproducer,
    upgrade,
    write_matrix,
)
from exportmatrix.base.files import publish, write_atomically, write_json_atomically
from exportmatrix.base.matrix import (
    SCHEMA,
    SCHEMA_1,
    SCHEMA_2,
    STATIC,
    CellKey,
    Matrix,
    behaviours,
    cell_index,
    cell_key,
    distinct,
    find_environment,
    incomplete,
    shapes_of,
)
from exportmatrix.base.outcomes import NOT_OBSERVED, SYMBOLS, Outcome, label, symbol
from exportmatrix.base.releases import exact_version, release_key, release_label
from exportmatrix.base.suite import CATALOGUE_DIR, DEFAULT_CONFIG, NOXFILE, PATH_SETS_FILE, SUITE_DIR

__all__ = [
    "CATALOGUE_DIR",
    "DEFAULT_CONFIG",
    "NOXFILE",
    "PATH_SETS_FILE",
    "SUITE_DIR",
    "NOT_OBSERVED",
    "SCHEMA",
    "SCHEMA_1",
    "SCHEMA_2",
    "SEPARATOR",
    "STATIC",
    "SYMBOLS",
    "CellKey",
    "Matrix",
    "Outcome",
    "behaviours",
    "cell_index",
    "cell_key",
    "compact",
    "decode",
    "distinct",
    "encode",
    "evidence",
    "exact_version",
    "find_environment",
    "incomplete",
    "label",
    "publish",
    "read_matrix",
    "release_key",
    "release_label",
    "reproducer",
    "shapes_of",
    "symbol",
    "upgrade",
    "write_atomically",
    "write_json_atomically",
    "write_matrix",
]
