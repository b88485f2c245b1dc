"""`nox -s matrix` for real: installs torch 2.4 and 2.10 from the index,
runs the suite in each, and checks the matrix says what those releases do.

A third release that does not exist (2.99) must appear as install-failed
without stopping the others, and make the session exit non-zero after the
matrix is written. The upstream verdicts are cross-checked by running the
seed test file with plain unittest in each environment.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from exportmatrix.schemas import problems

pytestmark = pytest.mark.e2e

SEED_TESTS = [
    "test_module_attribute_mutation_violation_%s" % n
    for n in ("positive_1", "negative_1", "negative_2", "negative_3", "negative_4")
]


@pytest.fixture(scope="module")
def run(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    config = (root / "matrix.toml").read_text()
    config = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.4", "2.10", "2.99"]', config, count=1)
    (folder / "matrix.toml").write_text(config)
    environment = dict(
        os.environ, EXPORTMATRIX_CONFIG=str(folder / "matrix.toml"), EXPORTMATRIX_RESULTS=str(folder / "results")
    )
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(root / "noxfile.py"), "-s", "matrix"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=1800,
    )
    matrix = json.loads((folder / "results" / "matrix.json").read_text())
    return done, matrix, folder


def environment(matrix, release):
    (found,) = [e for e in matrix["environments"] if e["release"] == release]
    return found


def cell(matrix, release, behaviour, exporter):
    env_id = environment(matrix, release)["id"]
    (found,) = [
        o
        for o in matrix["observations"]
        if (o["environment"], o["behaviour"], o["exporter"], o["device"]) == (env_id, behaviour, exporter, "cpu")
    ]
    return found


def test_the_session_fails_after_writing_a_valid_matrix(run):
    done, matrix, _ = run
    assert done.returncode != 0, done.stdout[-3000:]
    assert problems("matrix", matrix) == []
    assert "torch-2.4: done" in done.stdout and "torch-2.10: done" in done.stdout
    assert "torch-2.99: FAILED" in done.stdout


def test_what_was_installed_is_recorded(run):
    _, matrix, _ = run
    for release in ("2.4", "2.10"):
        entry = environment(matrix, release)
        assert entry["status"] == "ok"
        assert entry["torch"].startswith(release + ".")
        assert entry["id"] == "torch-%s-py3.11" % entry["torch"]
        assert entry["python"].startswith("3.11.")
        assert entry["devices"][0] == "cpu"
        assert entry["cuda"] is None or re.match(r"\d+\.\d+", entry["cuda"])
        assert len({o["environment"] for o in matrix["observations"]} & {entry["id"]}) == 1
    assert sum(1 for o in matrix["observations"] if o["environment"] == environment(matrix, "2.4")["id"]) == 20


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
    assert new["evidence"]["signature_mutations"] is not None
    for release in ("2.4", "2.10"):
        assert cell(matrix, release, "local.rebind", "dynamo_export")["outcome"] == "holds"
        assert cell(matrix, release, "attr.tensor_reassign", "compile_fullgraph")["outcome"] == "holds"


def test_the_summary_names_where_the_outcome_changes(run):
    done, _, _ = run
    assert (
        "attr.tensor_reassign / export_strict: export-error (AssertionError: Mutating module attribute a "
        "during export.) up to 2.4 → diverges (attribute a) from 2.10"
    ) in done.stdout


def test_upstream_verdicts_agree_with_running_the_seed_file_as_written(run, root):
    _, matrix, _ = run
    verdicts = {(u["environment"], u["test"]): u["passes"] for u in matrix["upstream"]}
    for release, session_dir in (("2.4", "torch-2-4"), ("2.10", "torch-2-10")):
        env_id = environment(matrix, release)["id"]
        python = root / ".nox" / session_dir / "bin" / "python"
        for test in SEED_TESTS:
            done = subprocess.run(
                [str(python), "-m", "unittest", "-q", "seed_export_mutations.MutationExportTests." + test],
                cwd=root / "suite" / "upstream",
                capture_output=True,
                text=True,
            )
            assert verdicts[(env_id, test)] == (done.returncode == 0), (release, test, done.stderr[-500:])
    assert verdicts[(environment(matrix, "2.4")["id"], SEED_TESTS[0])] is False
    assert verdicts[(environment(matrix, "2.10")["id"], SEED_TESTS[0])] is True
