"""Markdown report, diff and the baseline drift gate."""

import json
import re

from streams_factory import environment, observation, write_stream
from test_aggregate import ERROR, two_releases

from exportmatrix.base import read_matrix
from exportmatrix.cli import main
from exportmatrix.merge import aggregate
from exportmatrix.reports.markdown import render


def test_markdown_has_tables_upstream_and_what_changed(tmp_path):
    two_releases(tmp_path)
    text = render(aggregate(tmp_path).matrix)
    assert "## dynamo_export on cpu (build pypi)" in text
    assert "| `attr.tensor_reassign` | E | ✓ |" in text
    assert "| `test_module_attribute_mutation_violation_positive_1` | FAIL | pass |" in text
    notes = text.split("## Release notes\n", 1)[1].split("\n## ", 1)[0]
    assert "### 2.4 → 2.10 (build pypi)\n\n1 fixed\n" in notes
    assert (
        "- fixed: attr.tensor_reassign / dynamo_export: export-error (AssertionError: Mutating module attribute a "
        "during export.) up to 2.4 → holds from 2.10"
    ) in notes
    assert text.index("## Release notes") < text.index("## dynamo_export on cpu")  # the notes lead


def test_the_worst_changes_carry_both_evidences_and_their_reproducer_command(tmp_path):
    diverges = {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]}
    write_stream(
        tmp_path,
        environment("torch-2.9.1-py3.11", "2.9", "2.9.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "export-error", ERROR)],
    )
    write_stream(
        tmp_path,
        environment("torch-2.10.0-py3.11", "2.10", "2.10.0"),
        [observation("attr.tensor_reassign", "dynamo_export", "diverges", diverges)],
    )
    text = render(aggregate(tmp_path).matrix)
    assert (
        "- **became silent** `attr.tensor_reassign` / `dynamo_export`: export-error (AssertionError: Mutating module "
        "attribute a during export.) in torch-2.9.1-py3.11 → diverges (attribute a) in torch-2.10.0-py3.11. "
        "Reproducer: `exportmatrix repro matrix.json torch-2.10.0-py3.11 attr.tensor_reassign dynamo_export`"
    ) in text


def test_a_hostile_message_cannot_break_a_markdown_table(tmp_path):
    hostile = dict(ERROR, error=dict(ERROR["error"], message="a | b\n| c <script>x</script> `d`"))
    write_stream(
        tmp_path,
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "export-error", hostile)],
    )
    write_stream(
        tmp_path,
        environment("torch-2.5.1-py3.11", "2.5", "2.5.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
    )
    text = render(aggregate(tmp_path).matrix)
    (line,) = [line for line in text.splitlines() if line.startswith("- fixed: attr.tensor_reassign")]
    assert "a \\| b \\| c &lt;script&gt;x&lt;/script&gt; 'd'" in line
    tables = re.findall(r"(?m)(?:^\|.*\n?)+", text)  # each table's lines
    assert len(tables) == 2  # the grid, and the behaviours by where their state lives
    for table in tables:
        assert len({line.count("|") - line.count("\\|") for line in table.splitlines()}) == 1, table


def write_matrix(folder, name):
    matrix = aggregate(folder).matrix
    path = folder.parent / name
    path.write_text(json.dumps(matrix))
    return path


def test_diff_of_two_environments_and_of_two_files(tmp_path, capsys):
    two_releases(tmp_path / "a")
    path = write_matrix(tmp_path / "a", "a.json")
    assert main(["diff", "2.4", "2.10", "--matrix", str(path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["cells"]
    assert row["cell"] == ["attr.tensor_reassign", "dynamo_export", "cpu"]
    assert (row["a"], row["b"]) == ("export-error", "holds")

    write_stream(
        tmp_path / "b",
        environment("torch-2.4.1+cu121-py3.11", "2.4", "2.4.1+cu121"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
    )
    other = write_matrix(tmp_path / "b", "b.json")
    assert main(["diff", str(path), str(other)]) == 0
    table = capsys.readouterr().out
    assert "torch-2.4.1+cu121-py3.11 / attr.tensor_reassign / dynamo_export / cpu" in table
    assert "export-error (AssertionError: Mutating module attribute a" in table
    assert "torch-2.10.0-py3.11 / attr.tensor_reassign / dynamo_export / cpu" in table  # only in a
    assert "2 cells differ" in table


def test_diff_names_an_unknown_environment(tmp_path, capsys):
    two_releases(tmp_path / "a")
    path = write_matrix(tmp_path / "a", "a.json")
    assert main(["diff", "2.4", "9.9", "--matrix", str(path)]) == 2
    assert "no environment '9.9' in the matrix" in capsys.readouterr().err


def test_check_passes_on_its_own_baseline_and_fails_when_a_cell_moves(tmp_path, capsys):
    two_releases(tmp_path / "a")
    path = write_matrix(tmp_path / "a", "a.json")
    baseline = tmp_path / "baseline.json"
    assert main(["check", str(path), "--baseline", str(baseline), "--update"]) == 0
    assert main(["check", str(path), "--baseline", str(baseline)]) == 0
    assert "0 cells moved" in capsys.readouterr().out

    moved = read_matrix(path)
    moved["observations"][0]["outcome"] = "diverges"
    path.write_text(json.dumps(moved))
    assert main(["check", str(path), "--baseline", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "moved: torch-2.4 / attr.tensor_reassign / dynamo_export / cpu: export-error → diverges" in out


def test_check_refuses_a_file_that_is_not_a_baseline(tmp_path, capsys):
    two_releases(tmp_path / "a")
    path = write_matrix(tmp_path / "a", "a.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something-else/1", "cells": {}}))
    assert main(["check", str(path), "--baseline", str(other)]) == 2
    assert "not an exportmatrix-baseline/1 file (nor an exportmatrix/3 matrix)" in capsys.readouterr().err


def test_report_renders_both_files_from_an_existing_matrix(tmp_path):
    two_releases(tmp_path / "results" / "envs")
    (tmp_path / "results" / "matrix.json").write_text(json.dumps(aggregate(tmp_path / "results" / "envs").matrix))
    assert main(["report", "--results", str(tmp_path / "results")]) == 0
    assert (tmp_path / "results" / "matrix.md").read_text().startswith("# exportmatrix")
    assert "<!DOCTYPE html>" in (tmp_path / "results" / "matrix.html").read_text()


def test_the_report_groups_behaviours_by_where_their_state_lives(tmp_path):
    write_stream(
        tmp_path,
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [observation("attr.tensor_reassign", "dynamo_export", "holds")],
    )
    text = render(aggregate(tmp_path).matrix)
    section = text.split("## Behaviours by where the state lives\n", 1)[1]
    assert section.startswith(
        "\n### tensor-attribute\n\n| behaviour | change | reach | description |\n|---|---|---|---|\n"
        "| `attr.tensor_reassign` | rebind | direct | forward reassigns a tensor attribute |\n"
    )


def test_two_patch_releases_of_one_minor_are_labelled_exactly_in_release_order(tmp_path):
    diverges = {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]}
    for release, version, outcome, evidence in (
        ("2.9.0", "2.9.0", "export-error", ERROR),
        ("2.9", "2.9.1", "diverges", diverges),
        ("2.10", "2.10.0", "diverges", diverges),
    ):
        write_stream(
            tmp_path,
            environment("torch-%s-py3.11" % version, release, version),
            [observation("attr.tensor_reassign", "dynamo_export", outcome, evidence)],
        )
    text = render(aggregate(tmp_path).matrix)
    assert "| behaviour | 2.9.0 | 2.9.1 | 2.10 |" in text
    assert "### 2.9.0 → 2.9.1 (build pypi)\n\n1 became silent\n" in text
