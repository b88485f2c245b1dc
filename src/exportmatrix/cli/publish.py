"""The committed default matrix (examples/cpu-default-matrix/): refreshed
from a full run in one step, and only from a full one: its matrix.json and
matrix.md, with the date and the machine it was made on written into that
folder's README."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
from pathlib import Path

from exportmatrix.base import Matrix, read_matrix, write_atomically, write_matrix
from exportmatrix.config import MatrixConfig, default_matrix
from exportmatrix.reports import markdown

BEGIN, END = "<!-- made: begin -->", "<!-- made: end -->"  # the README's block this step rewrites


def missing_environments(matrix: Matrix, config: MatrixConfig) -> list[str]:
    """The sessions of the default matrix that `matrix` lacks, or holds but not ok."""
    status = {e.get("session"): e.get("status") for e in matrix["environments"]}
    return [
        "%s (%s)" % (e.session_name, status.get(e.session_name) or "not run")
        for e in default_matrix(config)
        if status.get(e.session_name) != "ok"
    ]


def machine() -> str:
    """This machine in a line: cores, memory, GPU or not, the OS."""
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = ", %.0f GiB of memory" % (kib / 2**20)
    except (OSError, StopIteration, ValueError):
        pass
    gpu = "an NVIDIA GPU" if shutil.which("nvidia-smi") else "no GPU"
    return "a %d-core %s machine%s and %s (%s)" % (
        os.cpu_count() or 0,
        platform.machine(),
        memory,
        gpu,
        platform.system(),
    )


def made_block(matrix: Matrix, today: datetime.date, where: str) -> str:
    cells, environments = len(matrix["observations"]), len(matrix["environments"])
    behaviours = len({o["behaviour"] for o in matrix["observations"]})
    paths = len({o["exporter"] for o in matrix["observations"]})
    return "%s\nMade on %s on %s: %d environments, %d behaviours, %d capture paths, %d cells.\n%s" % (
        BEGIN,
        today.isoformat(),
        where,
        environments,
        behaviours,
        paths,
        cells,
        END,
    )


def publish(source: Path, folder: Path, config: MatrixConfig, today: datetime.date | None = None) -> Path:
    """Write `source` (a full run's matrix.json) as `folder`/matrix.json, its
    report as matrix.md and its made-on line into `folder`/README.md; a
    matrix that lacks a release of the default matrix is refused, naming each."""
    matrix = read_matrix(source)
    missing = missing_environments(matrix, config)
    if missing:
        raise ValueError("%s is not the whole default matrix: it lacks %s" % (source, ", ".join(missing)))
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else "# The default matrix\n\n%s\n%s\n" % (BEGIN, END)
    if BEGIN not in text or END not in text:
        raise ValueError("%s: no %s ... %s block to write the date and machine into" % (readme, BEGIN, END))
    block = made_block(matrix, today or datetime.date.today(), machine())
    head, rest = text.split(BEGIN, 1)
    folder.mkdir(parents=True, exist_ok=True)
    write_matrix(folder / "matrix.json", matrix)
    write_atomically(folder / "matrix.md", markdown.render(matrix))
    write_atomically(readme, head + block + rest.split(END, 1)[1])
    return folder / "matrix.json"
