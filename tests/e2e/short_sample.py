"""Short reproducers checked for real: a sample of a matrix's cells that
covers every outcome, capture path and shapes it holds per release, each
cell's short reproducer (as `exportmatrix repro --short` prints it) run in
its own environment's Python, which must print the recorded outcome. A
crash cell's must die as the cell did; a cell the short form says it cannot
decide is listed, not failed."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from exportmatrix.base import shapes_of

DYING = ("crash", "timeout")
ORDER = ("crash", "timeout", "run-error", "export-error", "diverges", "holds")
# an unsupported cell captured nothing (the path or its shapes do not exist in that
# release): `repro` says why instead of printing a script, so it is not sampled


def sample(matrix: dict, releases: tuple[str, ...], most: int = 16, where=lambda cell: True) -> list[dict]:
    """Per release: a cell of each outcome, then of each capture path and
    shapes not yet in the sample, at most `most`, of the cells `where` takes."""
    chosen: list[dict] = []
    for release in releases:
        (env,) = [e for e in matrix["environments"] if e["release"] == release and e["build"] == "pypi"]
        cells = [
            o for o in matrix["observations"] if o["environment"] == env["id"] and where(o) and o["outcome"] in ORDER
        ]
        cells.sort(key=lambda o: (ORDER.index(o["outcome"]), o["behaviour"]))
        picked: list[dict] = []
        for axis in ("outcome", "exporter", "shapes"):
            for cell in cells:
                value = shapes_of(cell) if axis == "shapes" else cell[axis]
                seen = {shapes_of(p) if axis == "shapes" else p[axis] for p in picked}
                if value not in seen and len(picked) < most:
                    picked.append(cell)
        chosen += picked
    return chosen


def short_text(results: Path, cell: dict) -> str:
    command = [sys.executable, "-m", "exportmatrix", "repro", str(results / "matrix.json"), cell["environment"]]
    command += [cell["behaviour"], cell["exporter"], "--shapes", shapes_of(cell), "--short"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_one(python: Path, folder: Path, results: Path, cell: dict) -> tuple[dict, str, subprocess.CompletedProcess]:
    text = short_text(results, cell)
    name = "%s-%s-%s-%s.py" % (cell["environment"], cell["behaviour"], cell["exporter"], shapes_of(cell))
    script = folder / re.sub(r"[^\w.-]", "_", name)
    script.write_text(text)
    done = subprocess.run([str(python), str(script)], capture_output=True, text=True, timeout=600, cwd=folder)
    return cell, text, done


def check(results: Path, cells: list[dict], python_of, folder: Path) -> list[str]:
    """Run each cell's short reproducer; return the cells it cannot decide.
    Fails, naming each, where one printed another outcome than recorded."""
    wrong, undecided = [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda c: run_one(python_of(c), folder, results, c), cells))
    for cell, text, done in runs:
        where = "%s / %s / %s / %s" % (cell["environment"], cell["behaviour"], cell["exporter"], shapes_of(cell))
        nonblank = sum(1 for line in text.splitlines() if line.strip())
        assert nonblank <= 40 and "import torch" in text, "%s: %d lines" % (where, nonblank)
        imports = {m.group(1) for m in re.finditer(r"^(?:import|from) (\w+)", text, re.M)}
        assert imports <= {"torch", *sys.stdlib_module_names}, "%s imports %s" % (where, imports)
        if cell["outcome"] in DYING:
            assert "cannot decide" in text, where
            if cell["outcome"] == "crash":  # it dies as the cell did
                assert done.returncode < 0 or done.returncode > 128, "%s: exit %d" % (where, done.returncode)
            undecided.append(where)
            continue
        printed = re.findall(r"^OUTCOME: (\S+)", done.stdout, re.M)
        if printed != [cell["outcome"]]:
            wrong.append("%s: recorded %s, printed %s\n%s" % (where, cell["outcome"], printed, done.stderr[-800:]))
        if "cannot decide" in text:
            undecided.append(where)
    assert not wrong, "\n".join(wrong)
    return undecided
