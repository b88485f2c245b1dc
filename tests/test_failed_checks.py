"""An environment whose suite failed a check (a case file's declaration: its
eager run does not change what `mutates` names) is not reported as ok: its
status is checks-failed, the summary names the environment, the behaviour
and the first line of why, the exit code is non-zero, and the cells of the
other behaviours are kept (and still compared between releases)."""

from streams_factory import BEHAVIOUR, environment, line, observation
from test_aggregate import ERROR

from exportmatrix.base import Status, encode, incomplete
from exportmatrix.cli.matrix import merge_and_report
from exportmatrix.merge import aggregate
from exportmatrix.reports import outcome_changes
from exportmatrix.reports.terminal import one_environment, render
from exportmatrix.schemas import problems

OLD, NEW = "torch-2.4.1-py3.11", "torch-2.10.0-py3.11"
NODE = "test_behaviours.py::test_the_eager_run_performs_the_mutation_it_names[mine.resnet]"
WHY = (
    "mutates does not match the eager run: 20 of the 60 names it changed match no entry\n"
    "  behaviour 'mine.resnet', declared in /w/tv_cases.py (class ResNet); mutates=('buffer **.running_mean', "
    "'buffer **.running_var')\n"
    "  it changed 60 names: 'buffer **.running_mean' matched 20, 'buffer **.running_var' matched 20\n"
    "  matching no entry (20):\n"
    "    20 like 'buffer **.num_batches_tracked': 'buffer bn1.num_batches_tracked', …"
)
FAILURE = {"test": NODE, "phase": "call", "behaviour": "mine.resnet", "case_file": "/w/tv_cases.py", "why": WHY}
MODEL = {"id": "mine.resnet", "description": "resnet18 in training mode", "tags": ["user"], "seed_test": None}


def stream(folder, env_id, release, torch, cells, failures=()):
    lines = [line("environment", environment(env_id, release, torch)), line("behaviour", BEHAVIOUR)]
    lines += [line("behaviour", MODEL)] + [line("observation", cell) for cell in cells]
    lines += [line("failure", failure) for failure in failures]
    lines.append(line("end", {"observations": len(cells), "exitstatus": 1 if failures else 0}))
    (folder / (env_id + ".jsonl")).write_text("\n".join(lines) + "\n")


def two_releases(folder, failures=(FAILURE,)):
    """2.4: the seed behaviour's cell and the model's, whose declaration check failed; 2.10: both, all checks passed."""
    folder.mkdir(parents=True, exist_ok=True)
    old = [
        observation("attr.tensor_reassign", "export_strict", "export-error", ERROR),
        observation("mine.resnet", "export_strict", "holds"),
    ]
    stream(folder, OLD, "2.4", "2.4.1", old, failures)
    new = [observation("attr.tensor_reassign", "export_strict", "holds"), observation("mine.resnet", "aoti", "holds")]
    stream(folder, NEW, "2.10", "2.10.0", new)


def test_a_failed_declaration_makes_the_environment_checks_failed_and_keeps_its_cells(tmp_path):
    two_releases(tmp_path)
    matrix = aggregate(tmp_path).matrix
    assert problems("matrix", encode(matrix)) == []
    old, new = matrix["environments"]
    assert (old["id"], old["status"], new["status"]) == (OLD, Status.CHECKS_FAILED, Status.OK)
    assert old["reason"] == (
        "behaviour mine.resnet: mutates does not match the eager run: 20 of the 60 names it changed match no entry"
    )
    assert old["failures"] == [{"test": NODE, "behaviour": "mine.resnet", "case_file": "/w/tv_cases.py", "why": WHY}]
    assert old["failed_tests"] == 1
    assert incomplete(matrix) == [old]
    # every cell is kept, the failed behaviour's own included, and compared with the next release
    assert sorted((o["environment"], o["behaviour"]) for o in matrix["observations"]) == [
        (NEW, "attr.tensor_reassign"),
        (NEW, "mine.resnet"),
        (OLD, "attr.tensor_reassign"),
        (OLD, "mine.resnet"),
    ]
    assert [str(change).split(":")[0] for change in outcome_changes(matrix)] == ["attr.tensor_reassign / export_strict"]


def test_the_summary_names_the_environment_the_behaviour_and_the_first_line_of_why(tmp_path):
    two_releases(tmp_path)
    matrix = aggregate(tmp_path).matrix
    lines = render(matrix).splitlines()
    assert "environments: 1 ok, 1 checks-failed" in lines
    assert (
        "  checks-failed: torch-2.4.1-py3.11 — behaviour mine.resnet: mutates does not match the eager run: "
        "20 of the 60 names it changed match no entry"
    ) in lines
    assert not any("environments: 2 ok" in found for found in lines)
    full = render(matrix, full=True).splitlines()
    assert (
        "    failed: mine.resnet — mutates does not match the eager run: 20 of the 60 names it changed match no entry"
        in full
    )
    assert one_environment(matrix, OLD).splitlines()[0] == (
        "torch-2.4.1-py3.11 (build pypi): checks-failed — behaviour mine.resnet: mutates does not match the eager "
        "run: 20 of the 60 names it changed match no entry"
    )


def test_several_failures_are_counted_in_the_reason(tmp_path):
    other = dict(FAILURE, behaviour="mine.mobilenet", test=NODE.replace("resnet", "mobilenet"))
    two_releases(tmp_path, failures=(FAILURE, other))
    (old, _) = aggregate(tmp_path).matrix["environments"]
    assert old["reason"].startswith("behaviour mine.resnet (1 of 2 failed tests): mutates does not match")
    assert [f["behaviour"] for f in old["failures"]] == ["mine.resnet", "mine.mobilenet"]


def test_the_exit_code_is_non_zero_and_the_matrix_is_written_all_the_same(tmp_path, capsys):
    two_releases(tmp_path / "envs")
    assert merge_and_report(tmp_path) == 1
    out = capsys.readouterr().out
    assert "checks-failed: torch-2.4.1-py3.11 — behaviour mine.resnet: mutates does not match" in out
    assert (tmp_path / "matrix.json").is_file()
    # the same streams without the failure: ok, exit 0
    two_releases(tmp_path / "envs", failures=())
    assert merge_and_report(tmp_path) == 0
