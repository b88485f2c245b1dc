"""One matrix merged onto another: the environments of the newer replace
those of the same id in the older, the others are kept. What the living
matrix needs: a new torch release run alone, merged onto the committed
default matrix, whose other releases have no streams to merge again."""

from __future__ import annotations

from typing import Any

from exportmatrix.base import Matrix, release_key


class _Texts:
    """The texts and reproducers of the merged matrix, each stored once."""

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

    def reproducer(self, matrix: Matrix, index: int) -> int:
        entry = matrix["reproducers"][index]
        header = None if entry["header"] is None else self.text(matrix["texts"][entry["header"]])
        blocks = tuple(self.text(matrix["texts"][block]) for block in entry["blocks"])
        key = (header, blocks)
        if key not in self._reproducers:
            self._reproducers[key] = len(self.reproducers)
            self.reproducers.append({**entry, "header": header, "blocks": list(blocks)})
        return self._reproducers[key]

    def evidence(self, matrix: Matrix, evidence: dict[str, Any]) -> dict[str, Any]:
        """A cell's evidence with its text and reproducer indexes into the merged matrix's."""
        found = dict(evidence)
        if isinstance(found.get("exporter_detail"), int):
            found["exporter_detail"] = self.text(matrix["texts"][found["exporter_detail"]])
        if isinstance(found.get("warnings"), list):
            found["warnings"] = [self.text(matrix["texts"][w]) if isinstance(w, int) else w for w in found["warnings"]]
        if isinstance(found.get("reproducer"), int):
            found["reproducer"] = self.reproducer(matrix, found["reproducer"])
        return found


def onto(older: Matrix, newer: Matrix) -> Matrix:
    """`newer` merged onto `older` (both as read_matrix holds them): every
    environment of `newer`, and those of `older` that `newer` has not,
    oldest release first; a behaviour described by both as `newer` says."""
    replaced = {environment["id"] for environment in newer["environments"]}
    store = _Texts()
    sides = [(older, lambda e: e not in replaced), (newer, lambda e: True)]
    environments: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    upstream: list[dict[str, Any]] = []
    for matrix, kept in sides:
        environments += [e for e in matrix["environments"] if kept(e["id"])]
        observations += [
            {**o, "evidence": store.evidence(matrix, o["evidence"])}
            for o in matrix["observations"]
            if kept(o["environment"])
        ]
        upstream += [u for u in matrix.get("upstream", []) if kept(u["environment"])]
    behaviours = {b["id"]: b for matrix, _ in sides for b in matrix["behaviours"]}
    return {
        **older,
        **{name: value for name, value in newer.items() if name != "schema"},
        "environments": sorted(environments, key=release_key),
        "behaviours": list(behaviours.values()),
        "observations": observations,
        "upstream": upstream,
        "texts": store.texts,
        "reproducers": store.reproducers,
    }
