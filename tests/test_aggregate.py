"""Streams → matrix: merged, ordered, schema-valid; bad files named."""

import json

from streams_factory import environment, line, observation, write_stream

from exportmatrix.base import encode, write_json_atomically
from exportmatrix.merge import aggregate
from exportmatrix.schemas import problems

ERROR = {
    "phase": "capture",
    "error": {"type": "AssertionError", "module": "builtins", "message": "Mutating module attribute a during export."},
}


def two_releases(folder):
    write_stream(
        folder,
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
        [{"test": "test_module_attribute_mutation_violation_positive_1", "passes": True, "detail": "passes"}],
    )
    write_stream(
        folder,
        environment("torch-2.4.1+cu121-py3.11", "2.4", "2.4.1+cu121"),
        [observation("attr.tensor_reassign", "dynamo_export", "export-error", ERROR)],
        [{"test": "test_module_attribute_mutation_violation_positive_1", "passes": False, "detail": "fails"}],
    )


def test_streams_merge_into_a_schema_valid_matrix_in_release_order(tmp_path):
    two_releases(tmp_path)
    merged = aggregate(tmp_path)
    assert merged.errors == []
    matrix = merged.matrix
    assert problems("matrix", encode(matrix)) == []
    assert matrix["schema"] == "exportmatrix/3"
    assert [e["id"] for e in matrix["environments"]] == ["torch-2.4.1+cu121-py3.11", "torch-2.10.0-py3.11"]
    assert matrix["behaviours"][0]["seed_test"] == "test_module_attribute_mutation_violation_positive_1"
    outcomes = {(o["environment"], o["outcome"]) for o in matrix["observations"]}
    assert outcomes == {("torch-2.4.1+cu121-py3.11", "export-error"), ("torch-2.10.0-py3.11", "holds")}
    assert [u["passes"] for u in matrix["upstream"]] == [False, True]


def test_a_stream_without_its_end_line_is_incomplete_but_kept(tmp_path):
    write_stream(
        tmp_path,
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
        complete=False,
    )
    matrix = aggregate(tmp_path).matrix
    assert matrix["environments"][0]["status"] == "incomplete"
    assert len(matrix["observations"]) == 1


def test_a_failed_environment_stays_in_the_matrix_with_its_reason(tmp_path):
    failed = {
        "id": "torch-2.99-py3.11",
        "session": "torch-2.99",
        "release": "2.99",
        "build": "pypi",
        "status": "install-failed",
        "reason": "No solution found when resolving: torch==2.99.*",
        "python_requested": "3.11",
    }
    (tmp_path / "torch-2.99-py3.11.jsonl").write_text(line("environment", failed) + "\n")
    two_releases(tmp_path)
    matrix = aggregate(tmp_path).matrix
    assert problems("matrix", encode(matrix)) == []
    entry = [e for e in matrix["environments"] if e["id"] == "torch-2.99-py3.11"][0]
    assert entry["status"] == "install-failed" and "No solution" in entry["reason"]
    assert entry["python"] == "3.11" and entry["torch"] is None


def test_unreadable_files_are_named_and_the_rest_merged(tmp_path):
    two_releases(tmp_path)
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "garbage.jsonl").write_text("{not json\n")
    (tmp_path / "foreign.jsonl").write_text(json.dumps({"format": "other/9", "kind": "x"}) + "\n")
    (tmp_path / "headless.jsonl").write_text(line("end", {"observations": 0}) + "\n")
    merged = aggregate(tmp_path)
    assert len(merged.matrix["environments"]) == 2
    text = "\n".join(merged.errors)
    assert "empty.jsonl: empty" in text
    assert "garbage.jsonl:1: not JSON" in text
    assert "foreign.jsonl:1: not an exportmatrix-line/2 line" in text
    assert "headless.jsonl:1: the first line must describe the environment" in text


def test_only_the_named_sessions_are_merged(tmp_path):
    two_releases(tmp_path)
    matrix = aggregate(tmp_path, sessions={"torch-2.4"}).matrix
    assert [e["session"] for e in matrix["environments"]] == ["torch-2.4"]


def test_the_matrix_is_written_atomically(tmp_path):
    target = tmp_path / "out" / "matrix.json"
    write_json_atomically(target, {"schema": "exportmatrix/1"})
    assert json.loads(target.read_text()) == {"schema": "exportmatrix/1"}
    assert [p.name for p in target.parent.iterdir()] == ["matrix.json"]


def test_a_build_that_is_not_what_was_asked_for_is_flagged(tmp_path):
    write_stream(tmp_path, environment("torch-2.4.1+cu121-py3.11-cpu", "2.4", "2.4.1+cu121", build="cpu"))
    write_stream(tmp_path, environment("torch-2.4.1+cu121-py3.11-cu121", "2.4", "2.4.1+cu121", build="cu121"))
    write_stream(tmp_path, environment("torch-2.4.1+cu121-py3.11", "2.4", "2.4.1+cu121", build="pypi"))
    environments = {e["id"]: e for e in aggregate(tmp_path).matrix["environments"]}
    assert environments["torch-2.4.1+cu121-py3.11-cpu"]["build_mismatch"] == (
        "asked for build cpu, got torch 2.4.1+cu121: local tag cu121 where the build declares cpu"
    )
    assert "build_mismatch" not in environments["torch-2.4.1+cu121-py3.11-cu121"]
    assert "build_mismatch" not in environments["torch-2.4.1+cu121-py3.11"]


def test_a_build_mismatch_says_what_differs_from_what_the_build_declares():
    from exportmatrix.merge import build_mismatch

    house = {"build": "house", "torch": "2.10.0+cu128", "expected_version": "2.10", "expected_local_tag": None}
    assert build_mismatch(house) is None  # a wheelhouse that declares no tag: only the version is checked
    assert build_mismatch(dict(house, expected_local_tag="cpu")) == (
        "asked for build house, got torch 2.10.0+cu128: local tag cu128 where the build declares cpu"
    )
    assert build_mismatch(dict(house, expected_version="2.4", expected_local_tag="")) == (
        "asked for build house, got torch 2.10.0+cu128: local tag cu128 where the build declares (none); "
        "version 2.10.0 where 2.4 was asked for"
    )
    assert build_mismatch(dict(house, torch="2.4.1", expected_version="2.4.1", expected_local_tag="")) is None
