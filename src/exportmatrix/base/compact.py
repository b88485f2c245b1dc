"""What a compact matrix (schema exportmatrix/2) stores once: every distinct
text (`texts`: blocks of reproducers, capture code, warnings) and every
distinct reproducer as a sequence of blocks (`reproducers`); a cell's
evidence names them by index (`reproducer`, `exporter_detail`, `warnings`).

A reproducer's first block says what it says of its own cell from the
cell's fields only; where it is exactly the suite's template (the stream
carries it) formatted with them, the template is stored instead and every
reader formats it again, so the cell's standalone reproducer comes back
byte for byte. An exportmatrix/1 matrix (each text in full) is upgraded on
reading."""

from __future__ import annotations

from typing import Any

from exportmatrix.base.matrix import SCHEMA, SCHEMA_1, Matrix, shapes_of

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


class _Store:
    """Texts and sequences of texts, each kept once, by first appearance."""

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
        key = (header, tuple(self.text(block) for block in blocks))
        if key not in self._reproducers:
            self._reproducers[key] = len(self.reproducers)
            self.reproducers.append({"header": key[0], "blocks": list(key[1])})
        return self._reproducers[key]


def _compact_evidence(store: _Store, evidence: dict[str, Any]) -> dict[str, Any]:
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
    store = _Store()
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
    """A matrix file's contents as exportmatrix/2 (an exportmatrix/1 one compacted)."""
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema == SCHEMA:
        return document
    if schema == SCHEMA_1:
        return compact(document, {})
    raise ValueError("%s: schema = %r: not a matrix file (expected %s or %s)" % (name, schema, SCHEMA, SCHEMA_1))


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
