"""bench/gpu_matrix.py on this machine's CPU: with a torch that sees no GPU it
runs the cpu half, writes the matrix and the machine's description, and says
plainly that cuda is absent (on a GPU machine the same script adds cuda)."""

import json
import subprocess
import sys

import pytest

from exportmatrix.base import read_matrix

pytestmark = pytest.mark.e2e


def test_without_a_gpu_the_script_runs_the_cpu_half_and_says_cuda_is_absent(root, torch_python, tmp_path):
    out = tmp_path / "gpu"
    command = [sys.executable, str(root / "bench" / "gpu_matrix.py"), str(out), "--python", str(torch_python)]
    done = subprocess.run(
        command + ["--only-behaviour", "buffer.add_,attr.tensor_reassign"], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    machine = json.loads((out / "machine.json").read_text())
    assert machine["torch"].startswith("2.4") and machine["cuda_available"] is False
    matrix = read_matrix(out / "matrix.json")
    assert {o["device"] for o in matrix["observations"]} == {"cpu"}
    assert {o["behaviour"] for o in matrix["observations"]} == {"buffer.add_", "attr.tensor_reassign"}
    assert "gpu_matrix: cuda is ABSENT: torch 2.4" in done.stdout and not (out / "cuda-vs-cpu.md").exists()
