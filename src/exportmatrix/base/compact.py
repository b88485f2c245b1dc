"""What a compact matrix stores once: every distinct text (`texts`: blocks
of reproducers, capture code, warnings) and every distinct reproducer as a
sequence of blocks (`reproducers`); a cell's evidence names them by index
(`reproducer`, `exporter_detail`, `warnings`). That is the matrix readers
hold (schema exportmatrix/3 in memory; /2 files were stored this way).

The file (exportmatrix/3, `encode`/`decode`) goes further: the cells are a
table, one row per cell, whose repeated values (environment, behaviour,
capture path, outcome, ...) are indexes of lists kept once; each distinct
evidence and each distinct difference is stored once; a reproducer's
consecutive blocks are written as [first, last].

A reproducer's first block says what it says of its own cell from the
cell's fields only; where it is exactly the suite's template (the stream
carries it) formatted with them, the template is stored instead and every
reader formats it again, so the cell's standalone reproducer comes back
byte for byte. An exportmatrix/1 matrix (each text in full) is upgraded on
reading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exportmatrix.base.files import write_json_atomically
from exportmatrix.base.matrix import SCHEMA, SCHEMA_1, SCHEMA_2, Matrix, shapes_of

SEPARATOR = "\n\n\n"  # between the blocks of a reproducer (two blank lines)


def _fields(observation: dict[str, Any], environment: dict[str, Any], description: str) -> dict[str, Any]:
    """What a reproducer's first block is formatted with: the cell's fields,
    its environment's torch and Python, its behaviour's description."""
    return {
        "id": observation["behaviour"],
        "exporter": observation["exporter"],
        "device": observation["device"],
        "shapes": shapes_of(observation),
        "outcome": observation["outcome"],
        "torch": environment.get("torch"),
        "python": environment.get("python"),
        "description": description,
    }


def header_fields(matrix: Matrix, observation: dict[str, Any]) -> dict[str, Any]:
    environment = next(e for e in matrix["environments"] if e["id"] == observation["environment"])
    description = next((b["description"] for b in matrix["behaviours"] if b["id"] == observation["behaviour"]), "")
    return _fields(observation, environment, description)


class TextStore:
    """Texts and reproducers (a header and blocks, as text indexes), each kept
    once, by first appearance: the matrix's own tables of them."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.reproducers: list[dict[str, Any]] = []
        self._texts: dict[str, int] = {}
        self._reproducers: dict[tuple, int] = {}

    def text(self, text: str) -> int:
        if text not in self._texts:
            self._texts[text] = len(self.texts)
            self.texts.append(text)
        return self._texts[text]

    def reproducer(self, text: str, template: str | None, fields: dict[str, Any]) -> int:
        blocks = text.split(SEPARATOR)
        header = None
        if template is not None:
            try:
                if blocks[0] == template.format(**fields):
                    header, blocks = self.text(template), blocks[1:]
            except (KeyError, IndexError, ValueError):
                pass  # not this template: the first block is kept as it is
        return self.entry(header, tuple(self.text(block) for block in blocks))

    def entry(self, header: int | None, blocks: tuple[int, ...]) -> int:
        """The index of the reproducer of this header and these blocks (text indexes)."""
        key = (header, blocks)
        if key not in self._reproducers:
            self._reproducers[key] = len(self.reproducers)
            self.reproducers.append({"header": header, "blocks": list(blocks)})
        return self._reproducers[key]


def _compact_evidence(store: TextStore, evidence: dict[str, Any]) -> dict[str, Any]:
    """Capture code and warnings as indexes of texts: the same few texts
    recur in thousands of cells."""
    evidence = dict(evidence)
    if isinstance(evidence.get("exporter_detail"), str):
        evidence["exporter_detail"] = store.text(evidence["exporter_detail"])
    if isinstance(evidence.get("warnings"), list):
        evidence["warnings"] = [store.text(w) if isinstance(w, str) else w for w in evidence["warnings"]]
    return evidence


def evidence(matrix: Matrix, observation: dict[str, Any]) -> dict[str, Any]:
    """A cell's evidence with every text it names written out (the
    reproducer assembled), as an exportmatrix/1 matrix held it."""
    found = dict(observation["evidence"])
    texts = matrix["texts"]
    if isinstance(found.get("exporter_detail"), int):
        found["exporter_detail"] = texts[found["exporter_detail"]]
    if isinstance(found.get("warnings"), list):
        found["warnings"] = [texts[w] if isinstance(w, int) else w for w in found["warnings"]]
    if found.get("reproducer") is not None:
        found["reproducer"] = reproducer(matrix, observation)
    return found


def compact(matrix: Matrix, templates: dict[str, str]) -> Matrix:
    """An exportmatrix/2 matrix from one whose reproducers are whole texts;
    `templates`: each environment's reproducer header template (by id)."""
    store = TextStore()
    environments = {e["id"]: e for e in matrix["environments"]}
    descriptions = {b["id"]: b["description"] for b in matrix["behaviours"]}
    observations = []
    for observation in matrix["observations"]:
        found = _compact_evidence(store, observation["evidence"])
        text = found.get("reproducer")
        if isinstance(text, str):
            environment = environments[observation["environment"]]
            fields = _fields(observation, environment, descriptions.get(observation["behaviour"], ""))
            found["reproducer"] = store.reproducer(text, templates.get(observation["environment"]), fields)
        observations.append({**observation, "evidence": found})
    return {
        **matrix,
        "schema": SCHEMA,
        "observations": observations,
        "texts": store.texts,
        "reproducers": store.reproducers,
    }


def upgrade(document: Any, name: str = "the matrix") -> Matrix:
    """A matrix file's contents as its readers hold it: an exportmatrix/3
    file decoded, a /2 one as it is, a /1 one compacted."""
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema == SCHEMA:
        if isinstance(document.get("observations"), list):
            return document  # already held as readers hold it
        try:
            return decode(document)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            problem = "%s: %s" % (type(error).__name__, error)
            raise ValueError("%s: an %s file whose cells cannot be read (%s)" % (name, SCHEMA, problem)) from None
    if schema == SCHEMA_2:
        return {**document, "schema": SCHEMA}
    if schema == SCHEMA_1:
        return compact(document, {})
    expected = ", ".join((SCHEMA, SCHEMA_2, SCHEMA_1))
    raise ValueError("%s: schema = %r: not a matrix file (expected one of %s)" % (name, schema, expected))


# the file's table of cells: these columns' values are indexes of their lists
INTERNED = ("environment", "behaviour", "exporter", "device", "shapes", "outcome")
COLUMNS = INTERNED + ("key", "evidence", "reproducer", "duration_s")
APART = ("reproducer", "duration_s")  # evidence fields that differ cell by cell: columns of their own


class _Kept:
    """JSON values kept once, by first appearance; each named by its index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[str, int] = {}

    def add(self, value: Any) -> int:
        key = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(value)
        return self._index[key]


def _runs(indexes: list[int]) -> list[Any]:
    """[2, 3, 4, 9, 5] → [[2, 4], 9, 5]: consecutive indexes as [first, last]."""
    runs: list[Any] = []
    for index in indexes:
        last = runs[-1] if runs else None
        if isinstance(last, list) and index == last[1] + 1:
            last[1] = index
        elif isinstance(last, int) and index == last + 1:
            runs[-1] = [last, index]
        else:
            runs.append(index)
    return runs


def _unruns(runs: list[Any]) -> list[int]:
    indexes: list[int] = []
    for run in runs:
        indexes += range(run[0], run[1] + 1) if isinstance(run, list) else [run]
    return indexes


def encode(matrix: Matrix) -> dict[str, Any]:
    """The matrix as its file stores it (exportmatrix/3): `decode` gives it back."""
    interned = {name: _Kept() for name in INTERNED}
    evidences, differences = _Kept(), _Kept()
    rows = []
    for observation in matrix["observations"]:
        unknown = set(observation) - set(COLUMNS)
        if unknown:
            raise ValueError("a cell with fields the file has no column for: %s" % ", ".join(sorted(unknown)))
        found = dict(observation["evidence"])
        apart = [found.pop(name, None) for name in APART]
        if isinstance(found.get("differences"), list):
            found["differences"] = [differences.add(d) for d in found["differences"]]
        fields = {**observation, "shapes": shapes_of(observation)}
        row = [interned[name].add(fields[name]) for name in INTERNED]
        rows.append(row + [observation.get("key"), evidences.add(found), *apart])
    reproducers = [{**entry, "blocks": _runs(entry["blocks"])} for entry in matrix["reproducers"]]
    return {
        **{name: value for name, value in matrix.items() if name != "observations"},
        "schema": SCHEMA,
        "reproducers": reproducers,
        "differences": differences.values,
        "evidence": evidences.values,
        "observations": {
            "columns": list(COLUMNS),
            "values": {name: kept.values for name, kept in interned.items()},
            "rows": rows,
        },
    }


def decode(document: dict[str, Any]) -> Matrix:
    """An exportmatrix/3 file's contents as readers hold them: each cell a
    dict of its own (its evidence too), each reproducer's blocks listed."""
    table = document["observations"]
    columns, values = table["columns"], table["values"]
    evidences, differences = document["evidence"], document["differences"]
    observations = []
    for row in table["rows"]:
        cell = dict(zip(columns, row))
        found = dict(evidences[cell.pop("evidence")])
        if isinstance(found.get("differences"), list):
            found["differences"] = [dict(differences[i]) for i in found["differences"]]
        found.update({name: cell.pop(name) for name in APART if cell.get(name) is not None})
        observation = {name: values[name][index] if name in values else index for name, index in cell.items()}
        kept = {name: value for name, value in observation.items() if value is not None}  # "key" may be absent
        observations.append({**kept, "evidence": found})
    matrix = {name: value for name, value in document.items() if name not in ("evidence", "differences")}
    matrix["reproducers"] = [{**entry, "blocks": _unruns(entry["blocks"])} for entry in document["reproducers"]]
    matrix["observations"] = observations
    return matrix


def reproducer(matrix: Matrix, observation: dict[str, Any]) -> str | None:
    """A cell's standalone reproducer, assembled; None where it has none."""
    index = observation["evidence"].get("reproducer")
    if index is None:
        return None
    entry = matrix["reproducers"][index]
    blocks = [matrix["texts"][i] for i in entry["blocks"]]
    if entry["header"] is not None:
        blocks.insert(0, matrix["texts"][entry["header"]].format(**header_fields(matrix, observation)))
    return SEPARATOR.join(blocks)


def read_matrix(path: str | Path) -> Matrix:
    """A matrix file (exportmatrix/3, /2 or /1) as readers hold it."""
    try:
        with open(path, encoding="utf-8") as handle:
            return upgrade(json.load(handle), str(path))
    except json.JSONDecodeError as error:
        raise ValueError("%s: not JSON (%s)" % (path, error)) from None


def write_matrix(path: Path, matrix: Matrix) -> None:
    write_json_atomically(path, encode(matrix), indent=None)  # compact: machines read it


def subset(matrix: Matrix, observations: list[dict[str, Any]]) -> Matrix:
    """`matrix` with only `observations` (some of its own), and only the texts
    and reproducers they name, renumbered: what one page of a site embeds."""
    texts: list[str] = []
    numbered: dict[int, int] = {}
    reproducers: list[dict[str, Any]] = []
    entries: dict[int, int] = {}

    def text(index: int) -> int:
        if index not in numbered:
            numbered[index] = len(texts)
            texts.append(matrix["texts"][index])
        return numbered[index]

    kept = []
    for observation in observations:
        found = dict(observation["evidence"])
        if isinstance(found.get("exporter_detail"), int):
            found["exporter_detail"] = text(found["exporter_detail"])
        if isinstance(found.get("warnings"), list):
            found["warnings"] = [text(w) if isinstance(w, int) else w for w in found["warnings"]]
        index = found.get("reproducer")
        if index is not None:
            if index not in entries:
                entry = matrix["reproducers"][index]
                header = None if entry["header"] is None else text(entry["header"])
                entries[index] = len(reproducers)
                reproducers.append({"header": header, "blocks": [text(i) for i in entry["blocks"]]})
            found["reproducer"] = entries[index]
        kept.append({**observation, "evidence": found})
    return {**matrix, "observations": kept, "texts": texts, "reproducers": reproducers}
