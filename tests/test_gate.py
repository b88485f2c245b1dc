"""The drift gate (`exportmatrix check`): it fails on lost data as well as on
moved cells, each with its own exit code, and says what it accepted."""

import json

import pytest
from streams_factory import environment, line, observation, write_stream

from exportmatrix.cli import main
from exportmatrix.merge import aggregate, make_baseline, verdict

RELEASES = {"2.4": "2.4.1", "2.5": "2.5.1", "2.10": "2.10.0"}
EXPORTERS = ("export_strict", "export_nonstrict", "dynamo_export")


def streams(folder, releases=RELEASES, extra=(), moved=None, complete=True):
    """One stream per release with a cell per exporter (all hold), `extra`
    cells added to each, `moved` = (release, exporter, outcome) changed."""
    for release, torch in releases.items():
        cells = [observation("attr.tensor_reassign", e, "holds") for e in EXPORTERS] + list(extra)
        if moved and moved[0] == release:
            cells = [dict(c, outcome=moved[2]) if c["exporter"] == moved[1] else c for c in cells]
        write_stream(folder, environment("torch-%s-py3.11" % torch, release, torch), cells, complete=complete)
    return folder


def matrix_file(tmp_path, name, folder):
    path = tmp_path / (name + ".json")
    path.write_text(json.dumps(aggregate(folder).matrix))
    return path


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "baseline.json"
    original = matrix_file(tmp_path, "original", streams(tmp_path / "original"))
    assert main(["check", str(original), "--baseline", str(path), "--update"]) == 0
    return path


def check(capsys, matrix, baseline, *options):
    capsys.readouterr()
    code = main(["check", str(matrix), "--baseline", str(baseline), *options])
    return code, capsys.readouterr().out


def test_an_identical_matrix_passes(tmp_path, baseline, capsys):
    same = matrix_file(tmp_path, "same", streams(tmp_path / "same"))
    code, out = check(capsys, same, baseline)
    assert code == 0, out
    assert out.splitlines()[-2:] == [
        "exportmatrix: 0 cells moved, 0 missing cells, 0 missing environments, 0 environments not ok, 0 new cells",
        "exportmatrix: passed",
    ]


def test_one_moved_cell_exits_1(tmp_path, baseline, capsys):
    moved = matrix_file(tmp_path, "moved", streams(tmp_path / "moved", moved=("2.5", "dynamo_export", "diverges")))
    code, out = check(capsys, moved, baseline)
    assert code == 1, out
    assert "moved: torch-2.5 / attr.tensor_reassign / dynamo_export / cpu: holds → diverges" in out
    assert "exportmatrix: 1 cells moved, 0 missing cells," in out
    assert "FAILED (exit 1): cells moved from the baseline" in out


def test_a_missing_environment_exits_3_and_is_named(tmp_path, baseline, capsys):
    two = {r: t for r, t in RELEASES.items() if r != "2.10"}
    fewer = matrix_file(tmp_path, "fewer", streams(tmp_path / "fewer", two))
    code, out = check(capsys, fewer, baseline)
    assert code == 3, out
    assert "missing environment: torch-2.10 (3 cells in the baseline)" in out
    assert "3 missing cells, 1 missing environments, 0 environments not ok" in out
    assert "FAILED (exit 3): baseline data was not observed" in out
    assert "missing: torch-2.10" not in out  # its cells are not listed one by one

    code, out = check(capsys, fewer, baseline, "--allow-missing")
    assert code == 0, out
    assert "missing environment: torch-2.10" in out
    assert "--allow-missing: accepted missing data that was NOT compared" in out


def test_missing_data_wins_over_a_moved_cell_and_allow_missing_still_fails_on_it(tmp_path, baseline, capsys):
    two = {r: t for r, t in RELEASES.items() if r != "2.10"}
    folder = streams(tmp_path / "both", two, moved=("2.4", "export_strict", "export-error"))
    both = matrix_file(tmp_path, "both", folder)
    assert check(capsys, both, baseline)[0] == 3
    assert check(capsys, both, baseline, "--allow-missing")[0] == 1


def test_missing_cells_are_listed_a_few_at_a_time(tmp_path, capsys):
    many = [observation("attr.tensor_reassign", "export_strict", "holds", device="cuda:%d" % i) for i in range(25)]
    baseline = tmp_path / "baseline.json"
    wide = matrix_file(tmp_path, "m", streams(tmp_path / "m", extra=many))
    assert main(["check", str(wide), "--baseline", str(baseline), "--update"]) == 0
    code, out = check(capsys, matrix_file(tmp_path, "few", streams(tmp_path / "few")), baseline)
    assert code == 3
    assert "75 missing cells, 0 missing environments" in out
    listed = [line for line in out.splitlines() if line.startswith("missing: ")]
    assert len(listed) == 11 and listed[-1] == "missing: ... and 65 more cells"


def test_a_new_behaviour_is_reported_and_fails_only_with_strict_new(tmp_path, baseline, capsys):
    new = [observation("attr.brand_new", "export_strict", "diverges")]
    more = matrix_file(tmp_path, "more", streams(tmp_path / "more", extra=new))
    code, out = check(capsys, more, baseline)
    assert code == 0, out
    assert "new: torch-2.4 / attr.brand_new / export_strict / cpu" in out
    assert "0 environments not ok, 3 new cells" in out
    code, out = check(capsys, more, baseline, "--strict-new")
    assert code == 4, out
    assert "FAILED (exit 4): cells not in the baseline (--strict-new)" in out


def test_an_environment_there_but_not_ok_fails(tmp_path, baseline, capsys):
    folder = streams(tmp_path / "failed", {r: t for r, t in RELEASES.items() if r != "2.5"})
    failed = {
        "id": "torch-2.5-py3.11",
        "session": "torch-2.5",
        "release": "2.5",
        "build": "pypi",
        "status": "install-failed",
        "reason": "No solution found when resolving: torch==2.5.*",
        "python_requested": "3.11",
    }
    (folder / "torch-2.5-py3.11.jsonl").write_text(line("environment", failed) + "\n")
    code, out = check(capsys, matrix_file(tmp_path, "failed", folder), baseline)
    assert code == 3, out
    assert "environment not ok: torch-2.5: install-failed (ok in the baseline)" in out
    assert "3 missing cells, 0 missing environments, 1 environments not ok" in out


def test_an_incomplete_environment_fails_even_with_all_its_cells(tmp_path, baseline, capsys):
    folder = streams(tmp_path / "cut", {"2.4": "2.4.1", "2.5": "2.5.1"})
    streams(folder, {"2.10": "2.10.0"}, complete=False)
    code, out = check(capsys, matrix_file(tmp_path, "cut", folder), baseline)
    assert code == 3, out
    assert "environment not ok: torch-2.10: incomplete (ok in the baseline)" in out
    assert "0 missing cells, 0 missing environments, 1 environments not ok" in out


def test_a_baseline_names_an_environment_without_cells(tmp_path, capsys):
    """`environments` in the baseline names a session that had no cells; an
    old baseline without the key still loads."""
    folder = streams(tmp_path / "m", {"2.4": "2.4.1"})
    failed = {"id": "torch-2.99-py3.11", "session": "torch-2.99", "release": "2.99", "build": "pypi"}
    (folder / "torch-2.99.jsonl").write_text(line("environment", dict(failed, status="install-failed")) + "\n")
    matrix = matrix_file(tmp_path, "m", folder)
    baseline = tmp_path / "baseline.json"
    assert main(["check", str(matrix), "--baseline", str(baseline), "--update"]) == 0
    written = json.loads(baseline.read_text())
    assert written["environments"] == {"torch-2.4": "ok", "torch-2.99": "install-failed"}
    code, out = check(capsys, matrix, baseline)  # still install-failed, as recorded: nothing lost
    assert code == 0, out
    assert "environment not ok, as in the baseline: torch-2.99: install-failed" in out

    without = matrix_file(tmp_path, "without", streams(tmp_path / "without", {"2.4": "2.4.1"}))
    code, out = check(capsys, without, baseline)
    assert code == 3 and "missing environment: torch-2.99 (0 cells in the baseline)" in out

    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema": written["schema"], "cells": written["cells"]}))
    assert check(capsys, without, old)[0] == 0


def test_a_matrix_as_the_baseline(tmp_path, capsys):
    original = matrix_file(tmp_path, "original", streams(tmp_path / "original"))
    replay = matrix_file(tmp_path, "replay", streams(tmp_path / "replay", {"2.4": "2.4.1", "2.10": "2.10.0"}))
    code, out = check(capsys, original, original)
    assert code == 0, out
    code, out = check(capsys, replay, original)
    assert code == 3, out
    assert "missing environment: torch-2.5 (3 cells in the baseline)" in out


def test_the_verdict_counts_each_kind():
    folder_matrix = {
        "schema": "exportmatrix/1",
        "environments": [{"id": "e", "session": "torch-2.4", "status": "ok"}],
        "observations": [{"environment": "e", "behaviour": "b", "exporter": "x", "device": "cpu", "outcome": "holds"}],
    }
    baseline = make_baseline(folder_matrix)
    assert verdict(baseline["cells"], folder_matrix).exit_code == 0
    gone = dict(folder_matrix, environments=[], observations=[])
    gate = verdict(baseline["cells"], gone)
    assert (gate.exit_code, gate.drift.missing_environments) == (3, ["torch-2.4"])
    assert verdict(baseline["cells"], gone, allow_missing=True).exit_code == 0
