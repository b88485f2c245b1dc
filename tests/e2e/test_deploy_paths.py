"""The deploy capture paths and the shape axis for real: torch 2.4 (AOTInductor
through its older entry points, torch._export.aot_compile and aot_load) and 2.10
(torch.export → aoti_compile_and_package → aoti_load_package), both with
`--paths default,deploy,chained --shapes static,dynamic`, on a case file of
two behaviours with a batch dimension (the heaviest paths run on few cells)."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from short_sample import check, sample
from test_matrix_end_to_end import VENVS, nox, repro

from exportmatrix.base import evidence, read_matrix

pytestmark = pytest.mark.e2e

CASES = Path(__file__).with_name("deploy_cases.py")
ASK = ["2.4", "2.10", "--behaviours", str(CASES), "--only-cases", "--paths", "default,deploy,chained"]
ASK += ["--shapes", "static,dynamic"]
EXPORTERS = 11  # the default set's eight, the deploy set's two and export_then_compile


@pytest.fixture(scope="module")
def deploy(root, config):
    results = config.parent / "deploy-results"
    done = nox(root, config, results, "-s", "matrix", "--", *ASK)
    matrix = read_matrix(results / "matrix.json")
    return done, matrix, results


def cells(matrix, release):
    (environment,) = [e for e in matrix["environments"] if e["release"] == release]
    found = {}
    for o in matrix["observations"]:
        if o["environment"] == environment["id"]:
            found[(o["behaviour"], o["exporter"], o["shapes"])] = o
    return environment, found


def test_short_reproducers_of_deploy_and_dynamic_cells_print_the_recorded_outcome(deploy, root, tmp_path):
    _, matrix, results = deploy
    deployed = lambda cell: cell["exporter"] in ("compile_inductor", "aoti", "export_then_compile")  # noqa: E731
    dynamic = lambda cell: cell["shapes"] == "dynamic" and not deployed(cell)  # noqa: E731
    cells = sample(matrix, ("2.4", "2.10"), most=4, where=deployed) + sample(matrix, ("2.4", "2.10"), 3, dynamic)
    assert {c["exporter"] for c in cells} >= {"compile_inductor", "aoti", "export_then_compile"}
    assert {c["shapes"] for c in cells} == {"static", "dynamic"}
    releases = {e["id"]: e["release"] for e in matrix["environments"]}
    python = {env: root / ".nox" / VENVS[release] / "bin" / "python" for env, release in releases.items()}
    assert check(results, cells, lambda cell: python[cell["environment"]], tmp_path) == []


def test_every_cell_of_both_paths_and_both_shapes_is_observed(deploy):
    done, matrix, _ = deploy
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for release in ("2.4", "2.10"):
        environment, found = cells(matrix, release)
        assert environment["status"] == "ok"
        assert environment["capture_paths"] == ["default", "deploy", "chained"]
        assert environment["shapes"] == ["static", "dynamic"]
        assert len(found) == 2 * EXPORTERS * 2, sorted(found)
        assert {o["outcome"] for o in found.values()} <= {"holds", "diverges", "export-error", "run-error"}


def test_aoti_uses_the_entry_points_each_release_has_and_reads_its_state_back_where_it_can(deploy):
    """2.4's package keeps its buffer to itself (outputs only, the buffer listed
    as not observable); 2.10's model runner reads its constants back after each
    call (extract_constants_map), so the buffer is judged like any artifact's."""
    _, matrix, _ = deploy
    for release, entry in (("2.4", "torch._export.aot_compile("), ("2.10", "aoti_compile_and_package(")):
        _, found = cells(matrix, release)
        cell = found[("deploy.running_sum", "aoti", "static")]
        assert entry in evidence(matrix, cell)["exporter_detail"]
        assert cell["outcome"] in ("holds", "diverges"), cell
        if release == "2.4":
            assert cell["evidence"]["not_observable"] == ["buffer total"]
            # the buffer the package keeps to itself still shows in the second call's output
            assert cell["outcome"] == "holds" or "output of call 2" in json.dumps(cell["evidence"])
        else:
            assert "extract_constants_map" in evidence(matrix, cell)["exporter_detail"]
            assert cell["evidence"]["read_back"] == ["buffer total"] and not cell["evidence"].get("not_observable")


def test_inductor_holds_where_the_eager_backend_holds(deploy):
    """A buffer update and a Python counter under torch.compile: inductor agrees with eager's backend."""
    _, matrix, _ = deploy
    for release in ("2.4", "2.10"):
        _, found = cells(matrix, release)
        for behaviour in ("deploy.running_sum", "deploy.call_counter"):
            for shapes in ("static", "dynamic"):
                eager_backend = found[(behaviour, "compile_fullgraph", shapes)]["outcome"]
                assert found[(behaviour, "compile_inductor", shapes)]["outcome"] == eager_backend


def test_export_then_compile_compiles_the_exported_programs_module(deploy):
    """The chained path: torch.export (the release's default strictness),
    .module(), then torch.compile; a buffer update and a Python counter,
    each judged on both calls like any other artifact."""
    _, matrix, _ = deploy
    for release in ("2.4", "2.10"):
        _, found = cells(matrix, release)
        for behaviour in ("deploy.running_sum", "deploy.call_counter"):
            for shapes in ("static", "dynamic"):
                cell = found[(behaviour, "export_then_compile", shapes)]
                detail = evidence(matrix, cell)["exporter_detail"]
                assert "torch.export.export(mod, args" in detail and "torch.compile(program.module()" in detail
                assert cell["outcome"] in ("holds", "diverges", "export-error", "run-error"), cell
                if cell["outcome"] == "diverges":
                    assert cell["evidence"]["differences"], cell
        # the buffer update: a called artifact whose buffer is read like any module's
        running = found[("deploy.running_sum", "export_then_compile", "static")]
        assert running["outcome"] in ("holds", "diverges") and not running["evidence"].get("not_observable"), running


def test_dynamic_cells_were_called_at_other_sizes(deploy):
    _, matrix, _ = deploy
    for release in ("2.4", "2.10"):
        _, found = cells(matrix, release)
        dynamic = [o for (_, _, shapes), o in found.items() if shapes == "dynamic"]
        called = [o for o in dynamic if o["outcome"] in ("holds", "diverges")]
        assert called, "no dynamic cell ran in %s" % release
        for cell in called:
            assert cell["evidence"]["dynamic"]["sizes"] == {"capture": [3], "call 1": [4], "call 2": [5]}
        strict = found[("deploy.running_sum", "export_strict", "dynamic")]
        assert 'torch.export.Dim("batch")' in evidence(matrix, strict)["exporter_detail"]


def test_an_aoti_reproducer_runs_standalone_and_agrees(deploy, root, tmp_path):
    _, matrix, results = deploy
    _, found = cells(matrix, "2.10")
    cell = found[("deploy.running_sum", "aoti", "dynamic")]
    script = tmp_path / "repro.py"
    script.write_text(repro(results, "2.10", "deploy.running_sum", "aoti", shapes="dynamic"))
    python = root / ".nox" / VENVS["2.10"] / "bin" / "python"
    done = subprocess.run([str(python), str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.stdout.splitlines()[0] == "OUTCOME: %s" % cell["outcome"], done.stdout + done.stderr[-2000:]


def test_a_rerun_with_nothing_changed_runs_nothing(deploy, root, config):
    done, _, results = deploy
    streams = {path: path.stat().st_mtime_ns for path in (results / "envs").glob("*.jsonl")}
    again = nox(root, config, results, "-s", "matrix", "--", *ASK)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert {path: path.stat().st_mtime_ns for path in streams} == streams  # no environment started
    assert "unchanged" in again.stdout + again.stderr


def test_cuda_cells_are_parametrized_where_torch_sees_a_gpu(root, tmp_path):
    """No GPU here: collect the cells with devices() answering as on a GPU machine."""
    python = root / ".nox" / VENVS["2.10"] / "bin" / "python"
    code = (  # after the environment's probe has run: it asks the GPU its name
        "import sys, pytest, exportmatrix_suite.probe as probe\n"
        "class GPU:\n"
        "    @pytest.hookimpl(trylast=True)\n"
        "    def pytest_configure(self, config):\n"
        "        probe.devices = lambda: ['cpu', 'cuda']\n"
        "sys.exit(pytest.main(sys.argv[1:], plugins=[GPU()]))\n"
    )
    arguments = ["suite/test_cells.py", "--rootdir", "suite", "--collect-only", "-q", "-p", "no:cacheprovider"]
    arguments += ["--exportmatrix-out", str(tmp_path / "s.jsonl"), "--exportmatrix-paths", "deploy"]
    arguments += ["--exportmatrix-shapes", "static,dynamic", "-k", "buffer.add_"]
    environment = dict(os.environ, PYTHONPATH=str(root / "suite"))
    done = subprocess.run(
        [str(python), "-c", code, *arguments], capture_output=True, text=True, cwd=root, env=environment, timeout=600
    )
    ids = [line.split("[", 1)[1].rstrip("]") for line in done.stdout.splitlines() if "test_cell[" in line]
    assert ids == [
        "buffer.add_-%s-%s-%s" % (path, device, shapes)
        for path in ("compile_inductor", "aoti")
        for device in ("cpu", "cuda")
        for shapes in ("static", "dynamic")
    ], done.stdout[-2000:] + done.stderr[-2000:]


def test_aoti_loads_on_the_device_the_module_lives_on(root):
    """The cuda form of the aoti capture code, without a GPU: the device comes
    from the module (a meta module stands in), and 2.4's loader is told it."""
    python = root / ".nox" / VENVS["2.4"] / "bin" / "python"
    code = (
        "import torch\n"
        "from exportmatrix_suite.exporters import AOTInductor, _device_of\n"
        "print(_device_of(torch.nn.Linear(2, 2, device='meta'), ()))\n"
        "print(AOTInductor().snippet((torch.randn(3, 4),), (0,)).splitlines()[-1])\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(root / "suite"))
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=environment, timeout=600)
    assert done.stdout.splitlines() == ["meta", "artifact = torch._export.aot_load(so_path, DEVICE)"], done.stderr
