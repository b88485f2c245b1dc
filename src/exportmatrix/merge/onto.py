"""One matrix merged onto another: the environments of the newer replace
those of the same id in the older, the others are kept. What the living
matrix needs: a new torch release run alone, merged onto the committed
default matrix, whose other releases have no streams to merge again."""

from __future__ import annotations

from typing import Any

from exportmatrix.base import Matrix, TextStore, cell_key, release_key


def _moved(store: TextStore, matrix: Matrix, evidence: dict[str, Any]) -> dict[str, Any]:
    """A cell's evidence with its text and reproducer indexes into `store`'s."""
    found = dict(evidence)
    texts = matrix["texts"]
    if isinstance(found.get("exporter_detail"), int):
        found["exporter_detail"] = store.text(texts[found["exporter_detail"]])
    if isinstance(found.get("warnings"), list):
        found["warnings"] = [store.text(texts[w]) if isinstance(w, int) else w for w in found["warnings"]]
    if isinstance(found.get("reproducer"), int):
        entry = matrix["reproducers"][found["reproducer"]]
        header = None if entry["header"] is None else store.text(texts[entry["header"]])
        found["reproducer"] = store.entry(header, tuple(store.text(texts[block]) for block in entry["blocks"]))
    return found


def onto(older: Matrix, newer: Matrix, cells: bool = False) -> Matrix:
    """`newer` merged onto `older` (both as read_matrix holds them): every
    environment of `newer`, and those of `older` that `newer` has not,
    oldest release first; a behaviour described by both as `newer` says.
    With `cells`, an environment of both keeps the cells of `older` that
    `newer` did not observe (two runs of other capture paths in one
    environment); otherwise `newer`'s replaces it whole."""
    replaced = {environment["id"] for environment in newer["environments"]}
    observed = {cell_key(o) for o in newer["observations"]}
    store = TextStore()
    environments = [e for e in older["environments"] if e["id"] not in replaced] + newer["environments"]
    observations = [
        {**o, "evidence": _moved(store, older, o["evidence"])}
        for o in older["observations"]
        if (cells and cell_key(o) not in observed) or o["environment"] not in replaced
    ]
    observations += [{**o, "evidence": _moved(store, newer, o["evidence"])} for o in newer["observations"]]
    tests = {(u["environment"], u["test"]) for u in newer.get("upstream", [])}
    upstream = [
        u
        for u in older.get("upstream", [])
        if (cells and (u["environment"], u["test"]) not in tests) or u["environment"] not in replaced
    ]
    upstream += newer.get("upstream", [])
    behaviours = {b["id"]: b for matrix in (older, newer) for b in matrix["behaviours"]}
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
