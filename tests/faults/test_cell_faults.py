"""A cell that kills the interpreter or hangs is recorded as crash or
timeout; the cells before it are kept and the cells after it still run."""

import json
import signal
import subprocess
import time
from pathlib import Path

from exportmatrix.base import reproducer
from exportmatrix.merge.aggregate import merge
from exportmatrix.run import bytecode_cache_variables, run_suite
from exportmatrix.run.forkserver import ForkServer
from exportmatrix.streams import read_stream

SUITE = Path(__file__).resolve().parents[2] / "suite"
FAULTY = Path(__file__).resolve().parent / "faulty_behaviours.py"
DEFAULT_THRESHOLDS = (700, 10, 10)  # Python's own
ENVIRONMENT = {"id": "faults", "session": "faults", "release": "2.4", "build": "pypi"}


def run_selected(torch_python, tmp_path, selection, cell_timeout=60):
    """The suite's runs as a real run makes them: children of one fork
    server that imported torch once (a crash resumes in a new child)."""
    variables = bytecode_cache_variables(torch_python.parent.parent)
    with ForkServer(torch_python, SUITE, variables) as server:

        def call(command, env=None):
            return server.call(command + ["--exportmatrix-behaviours", str(FAULTY), "-k", selection], env=env)

        final = tmp_path / "faults.jsonl"
        started = time.monotonic()
        run_suite(torch_python, SUITE, final, ENVIRONMENT, cell_timeout, reuse=False, call=call, variables=variables)
        assert server.process is not None  # every run was its child; none fell back to a process of its own
    return read_stream(final), time.monotonic() - started, final


def test_a_crashing_cell_is_recorded_and_the_suite_resumes_after_it(torch_python, tmp_path):
    selection = "test_cell and (fault.segfault or buffer.add_) and (export_strict or compile_fullgraph-)"
    stream, _, final = run_selected(torch_python, tmp_path, selection)
    assert stream.complete
    outcomes = {(o["behaviour"], o["exporter"]): o for o in stream.observations}
    assert set(outcomes) == {
        (b, e) for b in ("buffer.add_", "fault.segfault") for e in ("export_strict", "compile_fullgraph")
    }
    for exporter in ("export_strict", "compile_fullgraph"):
        crashed = outcomes[("fault.segfault", exporter)]
        assert crashed["outcome"] == "crash"
        assert crashed["evidence"]["exit"] == "killed by signal 11 (SIGSEGV)"
        assert outcomes[("buffer.add_", exporter)]["outcome"] in ("holds", "diverges", "export-error", "run-error")
    # the suite's process collects garbage less often than Python's default, and says so
    assert stream.environment["gc_thresholds"] == [100000, 20, 100] != list(DEFAULT_THRESHOLDS)
    assert stream.environment["dynamo_gc_after_compile"] is None  # 2.4's dynamo has no such setting
    # what was observed before each crash is still there, in order
    kinds = [json.loads(line)["kind"] for line in final.read_text().splitlines()]
    assert kinds[0] == "environment" and kinds[-1] == "end"


def test_a_hanging_cell_is_a_timeout_after_the_limit(torch_python, tmp_path):
    selection = "test_cell and (fault.hang or local.rebind) and export_strict"
    stream, seconds, _ = run_selected(torch_python, tmp_path, selection, cell_timeout=4)
    outcomes = {o["behaviour"]: o for o in stream.observations}
    assert outcomes["fault.hang"]["outcome"] == "timeout"
    assert outcomes["fault.hang"]["evidence"]["limit_s"] == 4
    assert outcomes["fault.hang"]["evidence"]["duration_s"] >= 4
    assert outcomes["fault.hang"]["evidence"]["reproducer"].splitlines()[1].endswith(": timeout")
    assert outcomes["local.rebind"]["outcome"] == "holds"
    assert stream.complete and seconds < 60


def test_a_crashing_cell_gets_the_reproducer_its_started_line_named_and_it_crashes_again(torch_python, tmp_path):
    selection = "test_cell and fault.segfault and export_strict"
    stream, _, final = run_selected(torch_python, tmp_path, selection)
    (crashed,) = stream.observations
    assert crashed["outcome"] == "crash"
    text = crashed["evidence"]["reproducer"]
    assert text.startswith('"""exportmatrix reproducer: fault.segfault under export_strict on cpu, static shapes.')
    assert "Observed with torch %s on Python " % stream.environment["torch"] in text
    assert text.splitlines()[1].endswith(": crash")
    # the stream wrote it once, as blocks its started line named before the cell ran
    lines = [json.loads(line) for line in final.read_text().splitlines()]
    (started,) = [line["started"] for line in lines if line["kind"] == "started" and line["started"]["cell"]]
    assert isinstance(started["cell"]["reproducer"], list)
    # merged, `repro` prints it, and it dies as the cell did
    matrix = merge([stream])
    (cell,) = matrix["observations"]
    assert reproducer(matrix, cell) == text
    script = tmp_path / "repro.py"
    script.write_text(text)
    done = subprocess.run([str(torch_python), str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGSEGV, done.stderr[-2000:]


LEAKY_CAPTURE = """
import torch
from torch.nn.modules import module
from exportmatrix_suite.exporters import Exporter, global_hooks


class Leaky(Exporter):
    # what 2.4 and 2.5's non-strict export does when it raises mid-trace: a
    # process-wide buffer-registration hook registered, never removed
    name = "leaky"

    def snippet(self, args, dims):
        hook = "torch.nn.modules.module.register_module_buffer_registration_hook(lambda m, n, b: b)"
        return hook + "\\nraise RuntimeError('the capture failed')"


before = global_hooks()
try:
    Leaky().capture(torch.nn.Linear(2, 2), (torch.ones(2),), None)
except RuntimeError as error:
    print(error.left_by_capture)
print(before == global_hooks(), len(module._global_buffer_registration_hooks))
"""


def test_a_failed_capture_leaves_no_process_wide_module_hook_for_the_next_cell(torch_python, tmp_path):
    """2.4 and 2.5's non-strict export leaves a buffer-registration hook behind
    when it raises (buffer.data, buffer.to_same_dtype_then_in_place); torch.compile
    of a later cell in the same process then refused to trace it, so the outcome of
    buffer.augmented_assign / compile_fullgraph in 2.5 depended on what ran before."""
    script = tmp_path / "leaky.py"
    script.write_text(LEAKY_CAPTURE)
    done = subprocess.run(
        [str(torch_python), str(script)], capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(SUITE)}
    )
    assert done.stdout.splitlines() == ["['global_buffer_registration_hooks <lambda>']", "True 0"], (
        done.stdout + done.stderr[-2000:]
    )
