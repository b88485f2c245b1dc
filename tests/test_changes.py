"""The class of each change between consecutive releases (DESIGN.md, "Changes
between releases") and `exportmatrix changes`, on synthetic matrices."""

import json

import pytest
from streams_factory import environment, observation, write_stream
from test_aggregate import ERROR

from exportmatrix.cli import main
from exportmatrix.merge import aggregate
from exportmatrix.reports.changes import CHANGE_CLASSES, change_class, outcome_changes, release_pairs

OTHER_ERROR = dict(ERROR, error=dict(ERROR["error"], message="another message"))


@pytest.mark.parametrize(
    "before, after, expected",
    [
        ("export-error", "holds", "fixed"),
        ("diverges", "holds", "fixed"),
        ("holds", "export-error", "broke"),
        ("holds", "diverges", "broke"),
        ("export-error", "diverges", "became silent"),
        ("run-error", "diverges", "became silent"),
        ("diverges", "run-error", "became loud"),
        ("export-error", "export-error", "error changed"),
        ("export-error", "run-error", "error changed"),
        ("diverges", "diverges", "diverges differently"),
        ("holds", "crash", "crash"),
        ("timeout", "holds", "crash"),
        ("unsupported", "diverges", "support changed"),
        ("crash", "unsupported", "crash"),
    ],
)
def test_each_class(before, after, expected):
    assert change_class(before, after) == expected
    assert expected in CHANGE_CLASSES


def write_releases(folder, outcomes, **more):
    """One environment per release 2.<minor>, holding cell b / p with its outcome
    and one cell per behaviour of `more` ({behaviour: outcomes in the same releases})."""
    for n, (minor, outcome) in enumerate(outcomes):
        version = "2.%d.0" % minor
        cells = [_cell("b", outcome)] + [_cell(name, others[n][1]) for name, others in more.items()]
        write_stream(folder, environment("torch-%s-py3.11" % version, "2.%d" % minor, version), cells)


def _cell(behaviour, outcome):
    evidence = {"export-error": ERROR, "other-error": OTHER_ERROR}.get(outcome)
    if outcome == "diverges":
        evidence = {"differences": [{"what": "attribute a", "after_call": 1, "eager": "1", "exported": "0"}]}
    return observation(behaviour, "p", "export-error" if outcome == "other-error" else outcome, evidence)


def test_a_cell_that_changes_twice_has_two_changes_each_in_its_release_pair(tmp_path):
    write_releases(tmp_path, [(8, "export-error"), (9, "export-error"), (10, "diverges"), (11, "holds")])
    changes = outcome_changes(aggregate(tmp_path).matrix)
    assert [(c.last_before, c.first_after, c.kind) for c in changes] == [
        ("2.9", "2.10", "became silent"),
        ("2.10", "2.11", "fixed"),
    ]
    assert changes[0].environments == ("torch-2.9.0-py3.11", "torch-2.10.0-py3.11")
    assert list(release_pairs(changes)) == [("pypi", "2.9", "2.10"), ("pypi", "2.10", "2.11")]


def test_same_outcome_another_error_is_error_changed(tmp_path):
    write_releases(tmp_path, [(4, "export-error"), (5, "other-error")])
    (change,) = outcome_changes(aggregate(tmp_path).matrix)
    assert change.kind == "error changed"


def test_the_changes_command_filters_by_pair_and_class_and_prints_json(tmp_path, capsys):
    write_releases(
        tmp_path / "envs",
        [(8, "holds"), (9, "export-error"), (10, "diverges")],
        c=[(8, "holds"), (9, "holds"), (10, "diverges")],
    )
    assert main(["aggregate", "--results", str(tmp_path)]) == 0
    capsys.readouterr()
    matrix = str(tmp_path / "matrix.json")

    assert main(["changes", matrix, "--from", "2.9", "--to", "2.10", "--class", "became-silent", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    (record,) = printed["changes"]
    (story,) = printed["stories"]
    assert story["class"] == "became silent" and story["changes"] == [0] and story["representative"] == 0
    assert story["before"] == "export-error (AssertionError: Mutating module attribute … during export.)"
    assert story["after"] == "diverges (attribute after call 1)" and story["unexplained"] is True
    assert record["class"] == "became silent" and (record["from"], record["to"]) == ("2.9", "2.10")
    assert record["behaviour"] == "b" and record["before"]["outcome"] == "export-error"
    assert record["before"]["evidence"]["error"]["message"] == "Mutating module attribute a during export."
    assert record["after"]["evidence"]["differences"][0]["what"] == "attribute a"
    assert record["reproducer"] == "exportmatrix repro %s torch-2.10.0-py3.11 b p" % matrix

    assert main(["changes", matrix]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "2.8 → 2.9 (build pypi): 1 broke"
    assert text[1] == "  broke, 2.8 → 2.9: 1 cell, b on p, e.g. b / p — unexplained"
    assert text[4] == "2.9 → 2.10 (build pypi): 1 became silent, 1 broke"
    assert text[5].startswith("  became silent, 2.9 → 2.10: 1 cell, b on p")
    assert text[6] == (
        "    export-error (AssertionError: Mutating module attribute … during export.)"
        " → diverges (attribute after call 1)"
    )
    assert text[7] == "    exportmatrix repro %s torch-2.10.0-py3.11 b p --short" % matrix

    assert main(["changes", matrix, "--cells"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[4].startswith("  became silent: b / p: export-error (AssertionError: Mutating")

    assert main(["changes", matrix, "--from", "2.5"]) == 2
    assert "--from 2.5: no such release in %s (it has 2.8, 2.9, 2.10)" % matrix in capsys.readouterr().err
    assert main(["changes", matrix, "--class", "worse"]) == 2
    assert "--class worse: no such class (the classes: became-silent, broke," in capsys.readouterr().err
