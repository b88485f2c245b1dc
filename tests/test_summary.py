"""The terminal summary and the outcome changes it lists."""

from streams_factory import environment, observation, write_stream
from test_aggregate import ERROR, two_releases

from exportmatrix.merge import aggregate
from exportmatrix.reports import outcome_changes
from exportmatrix.reports.terminal import render


def test_changes_name_the_outcomes_and_the_releases(tmp_path):
    two_releases(tmp_path)
    (change,) = outcome_changes(aggregate(tmp_path).matrix)
    assert str(change) == (
        "attr.tensor_reassign / dynamo_export: export-error (AssertionError: Mutating module "
        "attribute a during export.) up to 2.4 → holds from 2.10"
    )


def test_the_summary_has_one_symbol_per_cell_and_the_upstream_verdicts(tmp_path):
    two_releases(tmp_path)
    text = render(aggregate(tmp_path).matrix)
    assert "dynamo_export on cpu (build pypi)" in text
    row = [line for line in text.splitlines() if line.startswith("attr.tensor_reassign ")][0]
    assert row.split()[1:] == ["E", "✓"]
    upstream = [line for line in text.splitlines() if line.startswith("violation_positive_1")][0]
    assert upstream.split()[1:] == ["FAIL", "pass"]
    assert "→ holds from 2.10" in text


def test_an_unchanged_outcome_is_not_a_change(tmp_path):
    for release, version in (("2.4", "2.4.1"), ("2.5", "2.5.1")):
        write_stream(
            tmp_path,
            environment("torch-%s-py3.11" % version, release, version),
            [observation("attr.tensor_reassign", "export_strict", "export-error", ERROR)],
        )
    matrix = aggregate(tmp_path).matrix
    assert outcome_changes(matrix) == []
    assert "no outcome changes between releases" in render(matrix)
