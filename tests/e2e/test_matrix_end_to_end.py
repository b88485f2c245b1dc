"""`nox -s matrix` for real: installs torch 2.4 and 2.10 from the index, runs
the suite in each, and checks the matrix says what those releases do.

A third release that does not exist (2.99) must appear as install-failed
without stopping the others, and make the session exit non-zero after the
matrix is written. Independent cross-checks: the upstream verdicts against
the seed file run with plain unittest, sampled reproducers run on their own,
the CI fan-out (separate jobs, artifact layout, merge) against one machine,
and `exportmatrix run` on an environment's own torch.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

import pytest
from short_sample import check, sample

from exportmatrix.base import encode, read_matrix
from exportmatrix.run.packages import installed_packages
from exportmatrix.schemas import problems

pytestmark = pytest.mark.e2e

SEED_TESTS = [
    "test_module_attribute_mutation_violation_%s" % n
    for n in ("positive_1", "negative_1", "negative_2", "negative_3", "negative_4")
]
VENVS = {"2.4": "torch-2-4-3-11", "2.10": "torch-2-10-3-11"}  # nox: <session>-<python>, dots as dashes


def nox(root, config, results, *arguments):
    environment = dict(os.environ, EXPORTMATRIX_CONFIG=str(config), EXPORTMATRIX_RESULTS=str(results))
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(root / "noxfile.py"), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=1800,
    )


@pytest.fixture(scope="module")
def run(root, config):
    results = config.parent / "results"
    done = nox(root, config, results, "-s", "matrix", "--", "--fresh")
    matrix = read_matrix(results / "matrix.json")
    return done, matrix, results


def repro(results, environment, behaviour, exporter, shapes="static"):
    """A cell's reproducer as `exportmatrix repro` prints it from results/matrix.json."""
    command = [sys.executable, "-m", "exportmatrix", "repro", str(results / "matrix.json"), environment, behaviour]
    done = subprocess.run(command + [exporter, "--shapes", shapes], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def environment(matrix, release):
    (found,) = [e for e in matrix["environments"] if e["release"] == release]
    return found


def cells_of(matrix, env_id):
    return {
        (o["behaviour"], o["exporter"], o["device"]): o for o in matrix["observations"] if o["environment"] == env_id
    }


def cell(matrix, release, behaviour, exporter):
    return cells_of(matrix, environment(matrix, release)["id"])[(behaviour, exporter, "cpu")]


def venv_python(root, release):
    return root / ".nox" / VENVS[release] / "bin" / "python"


def test_the_session_fails_after_writing_a_valid_matrix_and_its_reports(run):
    done, matrix, results = run
    assert done.returncode != 0, done.stdout[-3000:]
    assert problems("matrix", encode(matrix)) == []
    assert re.search(r"torch-2\.4: done in \d+ s", done.stdout)
    assert re.search(r"torch-2\.10: done in \d+ s \(its suite used \d+ CPU-seconds\)", done.stdout)
    assert "torch-2.99: FAILED" in done.stdout
    assert (results / "matrix.md").read_text().startswith("# exportmatrix")
    assert "<!DOCTYPE html>" in (results / "matrix.html").read_text()


def test_what_was_installed_is_recorded_and_every_cell_is_there(run):
    _, matrix, _ = run
    exporters = {o["exporter"] for o in matrix["observations"]}
    assert len(exporters) == 8 and len(matrix["behaviours"]) >= 30
    for release in ("2.4", "2.10"):
        entry = environment(matrix, release)
        assert entry["status"] == "ok"
        assert entry["torch"].startswith(release + ".")
        assert entry["id"] == "torch-%s-py3.11" % entry["torch"]
        assert entry["python"].startswith("3.11.")
        assert entry["cuda"] is None or re.match(r"\d+\.\d+$", entry["cuda"])
        cells = cells_of(matrix, entry["id"])
        assert len(cells) == len(matrix["behaviours"]) * len(exporters) * len(entry["devices"])


def test_each_stream_records_the_collector_policy_its_suite_ran_with(run):
    _, matrix, results = run
    policy = {}
    for release in ("2.4", "2.10"):
        stream = results / "envs" / (environment(matrix, release)["id"] + ".jsonl")
        first = json.loads(stream.read_text().splitlines()[0])["environment"]
        policy[release] = (first["gc_thresholds"], first["dynamo_gc_after_compile"], first["cia_materialized_once"])
    # 2.10's dynamo collects after each compile unless told not to; 2.4's has no such setting,
    # nor the operator collection that cia_collection.py changes
    assert policy == {"2.4": ([100000, 20, 100], None, None), "2.10": ([100000, 20, 100], False, True)}


# run in 2.10's environment: the suite's collection, then an operator library
# registered since (a CompositeImplicitAutograd kernel), which only a collection
# that materialises finds; torch's own collection must find the same set
SAME_COLLECTION = """
import torch, torch.export
import torch.export.exported_program as exported_program
from torch._export import utils
from exportmatrix_suite.cia_collection import materialize_once_per_collection
original = utils._collect_all_valid_cia_ops
assert materialize_once_per_collection() is True
assert exported_program._collect_all_valid_cia_ops is utils._collect_all_valid_cia_ops is not original
utils._collect_all_valid_cia_ops()
library = torch.library.Library("emcheck", "DEF")
library.define("twice(Tensor x) -> Tensor")
library.impl("twice", lambda x: x * 2, "CompositeImplicitAutograd")
collected = utils._collect_all_valid_cia_ops()
steps = []
materialize = utils._materialize_cpp_cia_ops
utils._materialize_cpp_cia_ops = lambda: (steps.append(1), materialize())
same = collected == original()
utils._materialize_cpp_cia_ops = materialize
print(len(steps), same)
print(sorted(str(op) for op in collected if "emcheck" in str(op)))
"""


def test_the_suites_operator_collection_is_torchs_on_a_real_release(run, root):
    done = subprocess.run(
        [str(venv_python(root, "2.10")), "-c", SAME_COLLECTION],
        cwd=root / "suite",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    steps, same = done.stdout.splitlines()[0].split()
    assert int(steps) > 10  # torch's own collection materialises once per operator namespace
    assert same == "True"
    assert done.stdout.splitlines()[1] == "['emcheck.twice.default']"


def test_a_release_that_does_not_exist_is_install_failed_with_the_reason(run):
    _, matrix, _ = run
    failed = environment(matrix, "2.99")
    assert failed["status"] == "install-failed"
    assert "torch==2.99" in failed["reason"]


def test_the_seed_behaviours_are_what_the_releases_do(run):
    _, matrix, _ = run
    # 2.4: strict export refuses the attribute reassignment outright
    old = cell(matrix, "2.4", "attr.tensor_reassign", "export_strict")
    assert old["outcome"] == "export-error"
    assert old["evidence"]["error"] == {
        "type": "AssertionError",
        "module": "builtins",
        "message": "Mutating module attribute a during export.",
    }
    # 2.10: it exports, but the user's module no longer gets the new attribute
    new = cell(matrix, "2.10", "attr.tensor_reassign", "export_strict")
    assert new["outcome"] == "diverges"
    assert "attribute a" in [d["what"] for d in new["evidence"]["differences"]]
    # when it arose: strict export's calls never set it; 2.10's dynamo export left a FakeTensor there at capture
    assert {d["arose"] for d in new["evidence"]["differences"] if d["what"] == "attribute a"} == {"call 1"}
    dynamo = cell(matrix, "2.10", "attr.tensor_reassign", "dynamo_export")
    assert dynamo["evidence"]["changed_by_capture"] == ["attribute a"]
    assert {d["arose"] for d in dynamo["evidence"]["differences"] if d["what"] == "attribute a"} == {"capture"}
    assert new["evidence"]["signature_mutations"] is not None
    for release in ("2.4", "2.10"):
        assert cell(matrix, release, "local.rebind", "dynamo_export")["outcome"] == "holds"
        assert cell(matrix, release, "attr.tensor_reassign", "compile_fullgraph")["outcome"] == "holds"


def test_every_behaviour_really_changes_what_it_names_on_every_release(run):
    _, matrix, results = run
    ids = {b["id"] for b in matrix["behaviours"]}
    assert len(ids) >= 80
    for entry in matrix["environments"]:
        if entry["status"] != "ok":
            continue
        passed = {}
        for text in (results / "envs" / (entry["id"] + ".jsonl")).read_text().splitlines():
            line = json.loads(text)
            test = line.get("finished", {}).get("test", "") if line["kind"] == "finished" else ""
            if "test_the_eager_run_performs_the_mutation_it_names[" in test:
                passed[test.split("[", 1)[1].rstrip("]")] = line["finished"]["passed"]
        assert passed == dict.fromkeys(ids, True), entry["id"]


def test_the_catalogue_coverage_table_is_generated_from_the_declarations(run, root):
    # the table needs the declarations, so torch: any environment of the run generates it
    done = subprocess.run(
        [str(venv_python(root, "2.10")), "-m", "exportmatrix_suite.coverage"],
        cwd=root / "suite",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    readme = (root / "docs" / "catalogue.md").read_text()
    table = readme.split("<!-- coverage: start -->\n", 1)[1].split("<!-- coverage: end -->", 1)[0]
    assert table == done.stdout, "docs/catalogue.md's table is stale: regenerate it with scripts/coverage-table"


def test_the_summary_names_where_the_outcome_changes(run):
    done, _, results = run
    # the short summary leads with stories, the worst first: cells that became silent in 2.10
    stories = done.stdout.split("the worst stories first", 1)[1]
    assert stories.splitlines()[1].startswith("  became silent, 2.4 → 2.10: "), stories[:2000]
    assert "every grid, upstream verdict and change: exportmatrix summary --full " in done.stdout
    full = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "summary", "--full", str(results / "matrix.json")],
        capture_output=True,
        text=True,
    )
    assert (
        "attr.tensor_reassign / export_strict: export-error (AssertionError: Mutating module attribute a "
        "during export.) up to 2.4 → diverges (attribute a) from 2.10"
    ) in full.stdout


def test_upstream_verdicts_agree_with_running_the_seed_file_as_written(run, root):
    _, matrix, _ = run
    verdicts = {(u["environment"], u["test"]): u["passes"] for u in matrix["upstream"]}
    for release in ("2.4", "2.10"):
        env_id = environment(matrix, release)["id"]
        for test in SEED_TESTS:
            done = subprocess.run(
                [
                    str(venv_python(root, release)),
                    "-m",
                    "unittest",
                    "-q",
                    "seed_export_mutations.MutationExportTests." + test,
                ],
                cwd=root / "suite" / "exportmatrix_suite" / "upstream",
                capture_output=True,
                text=True,
            )
            assert verdicts[(env_id, test)] == (done.returncode == 0), (release, test, done.stderr[-500:])
    assert verdicts[(environment(matrix, "2.4")["id"], SEED_TESTS[0])] is False
    assert verdicts[(environment(matrix, "2.10")["id"], SEED_TESTS[0])] is True


def test_sampled_reproducers_of_every_capture_path_reproduce_the_recorded_outcome(run, root, tmp_path):
    """`exportmatrix repro` assembles a cell's reproducer from the compact
    matrix; one cell of each capture path (in turn from each release, the
    outcomes varied) runs standalone and prints the recorded outcome."""
    _, matrix, results = run
    exporters = sorted({o["exporter"] for o in matrix["observations"]})
    assert len(exporters) == 8 and isinstance(matrix["observations"][0]["evidence"].get("reproducer"), int)
    seen = set()
    for number, exporter in enumerate(exporters):
        release = ("2.4", "2.10")[number % 2]
        by_outcome = defaultdict(list)
        for (_, path, _), observation in sorted(cells_of(matrix, environment(matrix, release)["id"]).items()):
            # a crash cell's reproducer dies as the cell did (test_short_reproducers_... runs them)
            if path == exporter and "reproducer" in observation["evidence"] and observation["outcome"] != "crash":
                by_outcome[observation["outcome"]].append(observation)
        outcome = sorted(by_outcome, key=lambda o: (o in seen, o))[0]  # an outcome not yet tried, where there is one
        seen.add(outcome)
        observation = by_outcome[outcome][0]
        script = tmp_path / ("repro_%s_%s.py" % (observation["behaviour"], exporter))
        script.write_text(repro(results, release, observation["behaviour"], exporter))
        done = subprocess.run(
            [str(venv_python(root, release)), str(script)], capture_output=True, text=True, timeout=300
        )
        printed = [line for line in done.stdout.splitlines() if line.startswith("OUTCOME: ")]
        assert printed == ["OUTCOME: " + outcome], (release, script.name, done.stdout[-800:], done.stderr[-800:])
    assert {"holds", "diverges", "export-error"} <= seen


def comparable(matrix, env_ids):
    """Cells by (environment, behaviour, exporter, device) → (outcome, evidence without timings)."""
    found = {}
    for o in matrix["observations"]:
        if o["environment"] in env_ids:
            evidence = {k: v for k, v in o["evidence"].items() if k != "duration_s"}
            found[(o["environment"], o["behaviour"], o["exporter"], o["device"])] = (o["outcome"], evidence)
    return found


def test_short_reproducers_of_a_sample_print_the_recorded_outcome(run, root, tmp_path):
    """Every outcome and capture path of 2.4 and 2.10 (2.4's segfaults among them), each
    short reproducer run in its release's environment."""
    _, matrix, results = run
    cells = sample(matrix, ("2.4", "2.10"), most=14)
    assert {c["outcome"] for c in cells} >= {"holds", "diverges", "export-error", "run-error", "crash"}
    assert len({c["exporter"] for c in cells}) == 8
    releases = {e["id"]: e["release"] for e in matrix["environments"]}
    undecided = check(results, cells, lambda c: venv_python(root, releases[c["environment"]]), tmp_path)
    # only the crash cells: they die as recorded, which no OUTCOME line can say
    assert undecided == [
        "%s / %s / %s / static" % (c["environment"], c["behaviour"], c["exporter"])
        for c in cells
        if c["outcome"] == "crash"
    ]


def test_the_ci_fan_out_gives_the_same_matrix_as_one_machine(run, root, config, tmp_path):
    _, matrix, _ = run
    listed = nox(root, config, tmp_path / "unused", "--list", "--json", "--tags", "build-pypi")
    sessions = [s["name"] for s in json.loads(listed.stdout)]  # "session" is nox's <name>-<python>
    assert sessions == ["torch-2.4", "torch-2.10", "torch-2.99"]
    downloaded = tmp_path / "downloaded"
    for session in ("torch-2.4", "torch-2.10"):  # two jobs, each with its own results folder
        job = tmp_path / ("job-" + session)
        done = nox(root, config, job, "-s", session)
        assert done.returncode == 0, done.stdout[-2000:]
        shutil.copytree(job / "envs", downloaded / ("env-" + session))  # as download-artifact lays them out
    merged = tmp_path / "merged"
    done = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(merged), "--streams", str(downloaded)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    fanned = read_matrix(merged / "matrix.json")
    ids = {environment(matrix, r)["id"] for r in ("2.4", "2.10")}
    assert {e["id"] for e in fanned["environments"]} == ids
    assert comparable(fanned, ids) == comparable(matrix, ids)
    assert fanned["upstream"] == [u for u in matrix["upstream"] if u["environment"] in ids]


def test_exportmatrix_run_observes_an_installed_torch_and_merges(run, root, tmp_path):
    _, matrix, results = run
    target = tmp_path / "installed"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "exportmatrix",
            "run",
            "--python",
            str(venv_python(root, "2.4")),
            "--results",
            str(target),
            "--fresh",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (stream,) = (target / "envs").glob("*.jsonl")
    shutil.copy(stream, results / "envs")
    merged = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(results)], capture_output=True, text=True
    )
    together = read_matrix(results / "matrix.json")
    assert problems("matrix", encode(together)) == [] and "torch-2.99" in merged.stdout + merged.stderr
    installed = [e for e in together["environments"] if e["build"] == "installed"]
    assert [e["id"] for e in installed] == [environment(matrix, "2.4")["id"] + "-installed"]
    mine = {k: v["outcome"] for k, v in cells_of(together, installed[0]["id"]).items()}
    nox_made = {k: v["outcome"] for k, v in cells_of(matrix, environment(matrix, "2.4")["id"]).items()}
    assert mine == nox_made


def test_cuda_cells_exist_exactly_where_a_gpu_does(run, root):
    _, matrix, _ = run
    for release in ("2.4", "2.10"):
        entry = environment(matrix, release)
        has_gpu = (
            subprocess.run(
                [str(venv_python(root, release)), "-c", "import torch; print(torch.cuda.is_available())"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            == "True"
        )
        assert ("cuda" in entry["devices"]) == has_gpu
        devices = {o["device"] for o in matrix["observations"] if o["environment"] == entry["id"]}
        assert devices == ({"cpu", "cuda"} if has_gpu else {"cpu"})


def test_each_environment_records_its_full_package_set_and_a_replay_rebuilds_it_exactly(run, root, config, tmp_path):
    """Last in this file: the replay changes the 2.4 environment's numpy."""
    _, matrix, _ = run
    for release in ("2.4", "2.10"):
        entry = environment(matrix, release)
        assert entry["torch"].split("+")[0] == entry["packages"]["torch"].split("+")[0]  # PyPI: no local tag
        assert installed_packages(venv_python(root, release)) == entry["packages"]
        assert entry["package_index"] == {name: "https://pypi.org/simple" for name in entry["packages"]}
    recorded = json.loads(json.dumps(matrix))
    older = "2.0.2" if environment(matrix, "2.4")["packages"]["numpy"] != "2.0.2" else "2.1.3"
    environment(recorded, "2.4")["packages"]["numpy"] = older  # last month's set had another numpy
    environment(recorded, "2.10")["packages"]["exportmatrix-no-such-package"] = "0.0.1"  # gone from the index
    path = tmp_path / "recorded.json"
    path.write_text(json.dumps(recorded))
    replay = tmp_path / "replay"
    done = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "replay", str(path), "--results", str(replay), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    replayed = read_matrix(replay / "matrix.json")
    rebuilt = environment(replayed, "2.4")
    assert rebuilt["status"] == "ok" and rebuilt["locked_from"] == str(path)
    assert rebuilt["packages"] == environment(recorded, "2.4")["packages"]
    assert installed_packages(venv_python(root, "2.4"))["numpy"] == older
    failed = environment(replayed, "2.10")
    assert failed["status"] == "install-failed" and "exportmatrix-no-such-package" in failed["reason"]
    assert "nothing to replay" in environment(replayed, "2.99")["reason"]
    check = [sys.executable, "-m", "exportmatrix", "check", str(replay / "matrix.json"), "--baseline", str(path)]
    gate = subprocess.run(check, capture_output=True, text=True)
    assert gate.returncode == 3 and "torch-2.10" in gate.stdout, gate.stdout
    accepted = subprocess.run(check + ["--allow-missing"], capture_output=True, text=True)
    assert accepted.returncode == 0 and "0 cells moved" in accepted.stdout, accepted.stdout
