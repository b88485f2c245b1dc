"""A run of one environment (`nox -s torch-2.10` on its own, `exportmatrix
matrix 2.10`) merges into what results/matrix.json already holds and ends
with that environment's summary against its neighbouring releases."""

from streams_factory import environment, observation, write_stream

from exportmatrix.base import read_matrix
from exportmatrix.cli import merge_and_report, merge_session
from exportmatrix.run import IN_BATCH

ERROR = {"phase": "capture", "error": {"type": "AssertionError", "module": "builtins", "message": "no"}}
DIVERGES = {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]}


def results_with_2_4(tmp_path):
    results = tmp_path / "results"
    envs = results / "envs"
    write_stream(
        envs,
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [
            observation("b.silent", "export_strict", "export-error", ERROR),
            observation("b.same", "export_strict", "holds"),
        ],
    )
    assert merge_and_report(results, {"torch-2.4"}) == 0
    write_stream(
        envs,
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [
            observation("b.silent", "export_strict", "diverges", DIVERGES),
            observation("b.same", "export_strict", "holds"),
        ],
    )
    return results


def test_a_session_run_alone_merges_into_the_matrix_and_summarises_against_its_neighbours(tmp_path, capsys):
    results = results_with_2_4(tmp_path)
    capsys.readouterr()
    assert merge_session(results, "torch-2.10") == 0
    matrix = read_matrix(results / "matrix.json")
    assert [e["session"] for e in matrix["environments"]] == ["torch-2.4", "torch-2.10"]  # 2.4 kept, 2.10 added
    out = capsys.readouterr().out
    summary = out[out.index("torch-2.10.0-py3.11 (build pypi): ok") :].splitlines()
    assert summary[2:5] == [
        "cells per outcome, in torch-2.10.0-py3.11:",
        "  capture path   holds  diverges",
        "  export_strict      1         1",
    ]
    assert summary[-4:] == [
        "what differs from its neighbouring releases in the results (2.4 on the 2 cells both have):",
        "  2.4 → 2.10: 1 became silent",
        "  became silent, 2.4 → 2.10: 1 cell, b.silent on export_strict, e.g. b.silent / export_strict — unexplained",
        "    export-error (AssertionError: no) → diverges (attribute after call 1)",
    ]
    assert "release notes:" not in out  # the whole matrix's summary is for runs of several environments


def test_a_session_of_a_batch_leaves_the_merge_to_the_batch(tmp_path, monkeypatch):
    results = results_with_2_4(tmp_path)
    monkeypatch.setenv(IN_BATCH, "1")
    assert merge_session(results, "torch-2.10") == 0
    assert [e["session"] for e in read_matrix(results / "matrix.json")["environments"]] == ["torch-2.4"]


def test_a_run_of_other_cells_than_its_neighbours_says_it_has_none_in_common(tmp_path, capsys):
    results = results_with_2_4(tmp_path)
    # 2.10 run again on a case file's behaviours only: no cell of 2.4's
    write_stream(
        results / "envs",
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [observation("my.case", "export_strict", "diverges", DIVERGES)],
    )
    capsys.readouterr()
    assert merge_session(results, "torch-2.10") == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("no cell in common with 2.4")
    assert "the same outcomes" not in out and "what differs" not in out
