"""The whole catalogue on cpu and cuda, on a machine whose own Python holds
torch (a GPU machine that reaches no network: nothing is installed, only
the working tree travels). Runs `exportmatrix run --python` with the
default capture paths (every behaviour, on every device the torch there
sees), then, while time is left, the deploy paths for the behaviours with
tensor state; merges them and writes OUT/matrix.json, OUT/machine.json (GPU,
driver, CUDA, torch, Python) and OUT/cuda-vs-cpu.md (every cell pair whose
outcome differs between the devices, `exportmatrix diff --devices cpu cuda`).

    PYTHONPATH=src python3 bench/gpu_matrix.py OUT [--python PYTHON] [--budget-s 480]

Where torch sees no GPU it runs the cpu half and says plainly that cuda is
absent. The host side needs exportmatrix's own dependencies importable
(jsonschema, jinja2, packaging): where one is missing it says which.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TENSOR_STATE = ("state=buffer", "state=parameter", "state=tensor-attribute")  # what the deploy pass covers
PROBE = (
    "import json, sys, torch\n"
    "cuda = torch.cuda.is_available()\n"
    "print(json.dumps({'torch': torch.__version__, 'cuda': torch.version.cuda, 'cuda_available': cuda,\n"
    "  'gpu': torch.cuda.get_device_name(0) if cuda else None, 'python': sys.version.split()[0]}))\n"
)


def describe(python: str) -> dict:
    """The machine: what torch says of itself and its GPU, and nvidia-smi's GPU and driver."""
    found = json.loads(subprocess.run([python, "-c", PROBE], capture_output=True, text=True, check=True).stdout)
    if shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
        done = subprocess.run(query, capture_output=True, text=True)
        found["nvidia_smi"] = done.stdout.strip() or done.stderr.strip()
    return found


def run(python: str, out: Path, options: list[str], budget: float) -> int:
    """One `exportmatrix run` into its own results folder, never past
    `budget` seconds (the cells observed by then are kept), then merged there."""
    command = [sys.executable, "-m", "exportmatrix", "run", "--python", python, "--results", str(out), *options]
    print("gpu_matrix: %s" % " ".join(command), flush=True)
    try:
        returncode = subprocess.run(command, timeout=max(budget, 1)).returncode
    except subprocess.TimeoutExpired:
        print("gpu_matrix: stopped at the time budget; the cells observed so far are kept", flush=True)
        returncode = 124
    merge = [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(out)]
    subprocess.run(merge, stdout=subprocess.DEVNULL)  # an incomplete stream merges all the same
    return returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="the results folder to write")
    parser.add_argument("--python", default="python3", help="the interpreter whose torch to observe (default python3)")
    parser.add_argument("--budget-s", type=float, default=480, help="seconds for both passes together (default 480)")
    parser.add_argument("--cell-timeout", default="90", help="seconds one cell may run (default 90)")
    parser.add_argument("--only-behaviour", default=None, metavar="IDS", help="only these behaviours (a quick check)")
    arguments = parser.parse_args()
    try:
        from exportmatrix.base import read_matrix, write_matrix
        from exportmatrix.cli import main as exportmatrix
        from exportmatrix.merge import onto
    except ImportError as error:
        print("gpu_matrix: the host package cannot be imported here: %s (carry its wheel)" % error, file=sys.stderr)
        return 2
    start = time.monotonic()
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    machine = describe(arguments.python)
    (out / "machine.json").write_text(json.dumps(machine, indent=1) + "\n")
    print("gpu_matrix: %s" % json.dumps(machine), flush=True)
    common = ["--cell-timeout", arguments.cell_timeout, "--fresh"]
    chosen = ["--only-behaviour", arguments.only_behaviour] if arguments.only_behaviour else []
    run(arguments.python, out / "default", ["--paths", "default", *common, *chosen], arguments.budget_s)
    matrix = read_matrix(out / "default" / "matrix.json")
    tensor_state = [b["id"] for b in matrix["behaviours"] if set(b["tags"]) & set(TENSOR_STATE)]
    if arguments.only_behaviour:
        tensor_state = [name for name in tensor_state if name in arguments.only_behaviour.split(",")]
    left = arguments.budget_s - (time.monotonic() - start)
    if machine["cuda_available"] and tensor_state and left > 60:
        deploy = ["--paths", "deploy", "--only-behaviour", ",".join(tensor_state), *common]
        run(arguments.python, out / "deploy", deploy, left)
        # the same environment, other capture paths: its cells join the first pass's
        matrix = onto(matrix, read_matrix(out / "deploy" / "matrix.json"), cells=True)
    elif machine["cuda_available"]:
        print("gpu_matrix: no time left for the deploy paths (%.0f s)" % left)
    write_matrix(out / "matrix.json", matrix)
    devices = sorted({o["device"] for o in matrix["observations"]})
    counts = {d: sum(o["device"] == d for o in matrix["observations"]) for d in devices}
    print(
        "gpu_matrix: %s in %.0f s"
        % (", ".join("%d %s cells" % (n, d) for d, n in counts.items()), time.monotonic() - start)
    )
    if "cuda" not in devices:
        print(
            "gpu_matrix: cuda is ABSENT: torch %s here sees no GPU (cuda available: %s); only the cpu half ran"
            % (machine["torch"], machine["cuda_available"])
        )
        return 0
    with open(out / "cuda-vs-cpu.md", "w", encoding="utf-8") as table:
        sys.stdout, saved = table, sys.stdout
        try:
            exportmatrix(["diff", "--devices", "cpu", "cuda", "--matrix", str(out / "matrix.json")])
        finally:
            sys.stdout = saved
    print((out / "cuda-vs-cpu.md").read_text().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
