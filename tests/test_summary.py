"""The terminal summary: short by default (at most 60 lines, whatever the
matrix), every grid with --full; and the outcome changes it lists."""

import re
from pathlib import Path

from streams_factory import environment, line, observation, write_stream
from test_aggregate import ERROR, two_releases

from exportmatrix.cli import main
from exportmatrix.cli.matrix import merge_and_report
from exportmatrix.merge import aggregate
from exportmatrix.reports import outcome_changes, terminal
from exportmatrix.reports.terminal import MAX_LINES, render

SEED = "attr.tensor_reassign"  # the behaviour every stream of streams_factory declares
WRITTEN = [Path("results/matrix.json"), Path("results/matrix.md"), Path("results/matrix.html")]


def cell(behaviour, exporter, outcome, shapes="static"):
    evidence = ERROR if outcome == "export-error" else None
    return dict(observation(behaviour, exporter, outcome, evidence), shapes=shapes)


def release(folder, minor, cells, complete=True, **extra):
    version = "2.%d.1" % minor
    torch = extra.pop("torch", version)
    described = environment("torch-%s-py3.11" % version, "2.%d" % minor, torch, **extra)
    write_stream(folder, described, cells, complete=complete)


def failed(folder, name, reason, status="install-failed"):
    described = {"id": "torch-%s-py3.11" % name, "session": "torch-" + name, "release": name, "build": "pypi"}
    described.update(status=status, reason=reason, python_requested="3.11")
    (folder / (described["id"] + ".jsonl")).write_text(line("environment", described) + "\n")


def section(text, heading):
    """The lines of the part of the summary that starts with `heading`, up to the next blank line."""
    lines = text.splitlines()
    (start,) = [i for i, found in enumerate(lines) if found.startswith(heading)]
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def counts(text):
    """The table of outcomes: {row name: {outcome: count}}."""
    table = section(text, "cells per outcome")[1:]
    header = table[0].split()
    names = header.index("holds")  # the columns before it name the row
    rows = {}
    for row in table[1:]:
        if not row.startswith("  ..."):
            cells = row.split()
            key = tuple(cells[: len(cells) - len(header) + names])
            rows[" ".join(key)] = dict(zip(header[names:], map(int, cells[len(key) :])))
    return rows


# -- the changes


def test_changes_name_the_outcomes_and_the_releases(tmp_path):
    two_releases(tmp_path)
    (change,) = outcome_changes(aggregate(tmp_path).matrix)
    assert str(change) == (
        "attr.tensor_reassign / dynamo_export: export-error (AssertionError: Mutating module "
        "attribute a during export.) up to 2.4 → holds from 2.10"
    )


def test_an_unchanged_outcome_is_not_a_change(tmp_path):
    for release_, version in (("2.4", "2.4.1"), ("2.5", "2.5.1")):
        write_stream(
            tmp_path,
            environment("torch-%s-py3.11" % version, release_, version),
            [observation("attr.tensor_reassign", "export_strict", "export-error", ERROR)],
        )
    matrix = aggregate(tmp_path).matrix
    assert outcome_changes(matrix) == []
    assert "no outcome changes between releases" in render(matrix)
    assert "no outcome changes between releases" in render(matrix, full=True)


# -- the full form


def test_the_full_form_has_one_symbol_per_cell_and_the_upstream_verdicts(tmp_path):
    two_releases(tmp_path)
    text = render(aggregate(tmp_path).matrix, full=True)
    assert "dynamo_export on cpu (build pypi)" in text
    row = [line for line in text.splitlines() if line.startswith("attr.tensor_reassign ")][0]
    assert row.split()[1:] == ["E", "✓"]
    upstream = [line for line in text.splitlines() if line.startswith("violation_positive_1")][0]
    assert upstream.split()[1:] == ["FAIL", "pass"]
    assert "→ holds from 2.10" in text


# -- the short form


def test_the_short_form_names_each_environment_that_is_not_ok_and_groups_the_rest(tmp_path):
    for minor in (4, 5, 10):
        release(tmp_path, minor, [cell(SEED, "export_strict", "holds")])
    release(tmp_path, 6, [cell(SEED, "export_strict", "holds")], complete=False)
    failed(tmp_path, "2.99", "No solution found when resolving: torch==2.99.*\nthe rest of uv's message")
    release(tmp_path, 7, [], build="cpu", torch="2.7.1+cu121")  # not the build asked for
    errors = [{"file": "/w/broken.py", "error": "/w/broken.py:3: SyntaxError: invalid syntax"}]
    release(tmp_path, 8, [cell(SEED, "export_strict", "holds")], case_files=["/w/broken.py"], case_file_errors=errors)
    release(tmp_path, 9, [cell(SEED, "export_strict", "holds")], case_files=["/w/broken.py"], case_file_errors=errors)
    text = render(aggregate(tmp_path).matrix)
    assert section(text, "environments:") == [
        "environments: 6 ok, 1 incomplete, 1 install-failed",
        "  ok (build pypi): 2.4 2.5 2.8 2.9 2.10",
        "  ok (build cpu): 2.7",
        "  incomplete: torch-2.6.1-py3.11 — the suite stopped before its end line; the cells it recorded are kept",
        "  install-failed: torch-2.99-py3.11 — No solution found when resolving: torch==2.99.*",
        "  not the build asked for: torch-2.7.1-py3.11 — asked for build cpu, got torch 2.7.1+cu121: local tag cu121 "
        "where the build declares cpu",
        "  case file not loaded, in 2 environments, e.g. torch-2.8.1-py3.11: "
        "/w/broken.py:3: SyntaxError: invalid syntax",
    ]
    assert text.splitlines()[0] == "exportmatrix: 8 environments, 6 cells (1 behaviours × 1 capture paths, on cpu)"


def test_the_counts_table_has_a_row_per_capture_path_and_shapes(tmp_path):
    release(
        tmp_path,
        4,
        [cell("a", "export_strict", "holds"), cell("b", "export_strict", "export-error")]
        + [cell("a", "aoti", "unsupported"), cell("a", "aoti", "diverges", "dynamic")],
    )
    release(
        tmp_path,
        5,
        [cell("a", "export_strict", "holds"), cell("b", "export_strict", "diverges")]
        + [cell("a", "aoti", "crash"), cell("a", "aoti", "diverges", "dynamic")]
        + [cell("b", "export_strict", "holds", "dynamic")],
    )
    text = render(aggregate(tmp_path).matrix)
    assert section(text, "cells per outcome")[1].split() == [
        "capture",
        "path",
        "shapes",
        "holds",
        "diverges",
        "export-error",
        "unsupported",
        "crash",
    ]  # only the outcomes observed, in the vocabulary's order
    assert counts(text) == {
        "export_strict static": {"holds": 2, "diverges": 1, "export-error": 1, "unsupported": 0, "crash": 0},
        "export_strict dynamic": {"holds": 1, "diverges": 0, "export-error": 0, "unsupported": 0, "crash": 0},
        "aoti static": {"holds": 0, "diverges": 0, "export-error": 0, "unsupported": 1, "crash": 1},
        "aoti dynamic": {"holds": 0, "diverges": 2, "export-error": 0, "unsupported": 0, "crash": 0},
        "all": {"holds": 3, "diverges": 3, "export-error": 1, "unsupported": 1, "crash": 1},
    }
    assert text.splitlines()[0].endswith(
        "(3 behaviours × 2 capture paths × static/dynamic shapes, on cpu)"
    )  # and the declared one


def test_a_static_only_matrix_on_one_device_counts_per_capture_path_alone(tmp_path):
    two_releases(tmp_path)
    text = render(aggregate(tmp_path).matrix)
    assert section(text, "cells per outcome")[1:] == [
        "  capture path   holds  export-error",
        "  dynamo_export      1             1",
    ]
    assert "shapes" not in text


def test_the_changes_that_matter_most_come_first(tmp_path):
    # a.fixed: export-error → holds; m.broke: holds → export-error; z.silent: export-error → diverges
    # (on two paths and both shapes: one line); z.silent2: holds → diverges
    before = [cell("a.fixed", "export_strict", "export-error"), cell("m.broke", "export_strict", "holds")]
    before += [
        cell("z.silent", path, "export-error", shapes) for path in ("p1", "p2") for shapes in ("static", "dynamic")
    ]
    before += [cell("z.silent2", "p1", "holds")]
    after = [cell("a.fixed", "export_strict", "holds"), cell("m.broke", "export_strict", "export-error")]
    after += [cell("z.silent", path, "diverges", shapes) for path in ("p1", "p2") for shapes in ("static", "dynamic")]
    after += [cell("z.silent2", "p1", "diverges")]
    release(tmp_path, 4, before)
    release(tmp_path, 5, after)
    text = render(aggregate(tmp_path).matrix)
    error = "export-error (AssertionError: Mutating module attribute … during export.)"
    assert section(text, "release notes") == [
        "release notes: 7 outcome changes in 4 stories between consecutive releases",
        "  2.4 → 2.5: 4 became silent, 2 broke, 1 fixed",
        "the worst stories first (each with its short reproducer: exportmatrix changes MATRIX):",
        "  became silent, 2.4 → 2.5: 4 cells, z.silent on p1, p2, e.g. z.silent / p1 — unexplained",
        "    %s → diverges" % error,
        # of two stories of one class, the one with more cells first; then the order of the catalogue
        "  broke, 2.4 → 2.5: 1 cell, m.broke on export_strict, e.g. m.broke / export_strict — unexplained",
        "    holds → %s" % error,
        "  broke, 2.4 → 2.5: 1 cell, z.silent2 on p1, e.g. z.silent2 / p1 — unexplained",
        "    holds → diverges",
        "  fixed, 2.4 → 2.5: 1 cell, a.fixed on export_strict, e.g. a.fixed / export_strict — unexplained",
        "    %s → holds" % error,
    ]


def test_a_change_of_the_error_alone_and_a_change_on_every_path_say_so(tmp_path):
    other = dict(ERROR, error=dict(ERROR["error"], message="another message"))
    release(tmp_path, 4, [cell("b", "p1", "export-error"), cell("b", "p2", "export-error"), cell("c", "p1", "holds")])
    changed = [observation("b", "p1", "export-error", other), observation("b", "p2", "export-error", other)]
    release(tmp_path, 5, changed + [cell("c", "p1", "holds")])
    notes = section(render(aggregate(tmp_path).matrix), "release notes")
    assert notes[1:] == [
        "  2.4 → 2.5: 2 error changed",
        "the worst stories first (each with its short reproducer: exportmatrix changes MATRIX):",
        "  error changed, 2.4 → 2.5: 2 cells, b on every capture path, e.g. b / p1 — unexplained",
        "    export-error (AssertionError: Mutating module attribute … during export.)"
        " → export-error (AssertionError: another message)",
    ]


def test_beyond_four_stories_the_rest_are_counted_and_pointed_to(tmp_path):
    behaviours = ["b%02d" % i for i in range(15)]
    release(tmp_path, 4, [cell(b, "p%d" % p, "holds") for b in behaviours for p in range(3)])
    # b00..b14 stop holding, each with an error of its own kind (one story each), on 3, 2 or 1 paths
    release(
        tmp_path,
        5,
        [
            observation(b, "p%d" % p, "export-error", dict(ERROR, error=dict(ERROR["error"], type="Error%d" % i)))
            if p < 3 - i % 3
            else cell(b, "p%d" % p, "holds")
            for i, b in enumerate(behaviours)
            for p in range(3)
        ],
    )
    text = render(aggregate(tmp_path).matrix, written=WRITTEN)
    shown = section(text, "release notes")[3:]
    assert len(shown) == 9  # four stories, two lines each, and the rest counted
    assert [line.split(" e.g. ")[1].split(" /")[0] for line in shown[:8:2]] == ["b00", "b03", "b06", "b09"]  # 3 paths
    left = 30 - 4 * 3
    assert shown[-1] == (
        "  ... and 11 more stories of %d changes (every cell: exportmatrix summary --full results/matrix.json)" % left
    )


def test_the_short_form_says_where_the_full_reports_are(tmp_path):
    two_releases(tmp_path)
    text = render(aggregate(tmp_path).matrix, written=WRITTEN)
    assert text.splitlines()[-2:] == [
        "full reports: results/matrix.json, results/matrix.md, results/matrix.html",
        "every grid, upstream verdict and change: exportmatrix summary --full results/matrix.json",
    ]
    alone = render(aggregate(tmp_path).matrix)  # the caller did not say where it wrote anything
    assert alone.splitlines()[-1] == "every grid, upstream verdict and change: exportmatrix summary --full"


def test_the_summary_command_is_short_and_names_the_reports_next_to_the_matrix(tmp_path, capsys):
    two_releases(tmp_path / "envs")
    assert merge_and_report(tmp_path) == 0
    merged = capsys.readouterr().out
    matrix = tmp_path / "matrix.json"
    assert "full reports: %s, %s, %s" % (matrix, tmp_path / "matrix.md", tmp_path / "matrix.html") in merged
    assert main(["summary", str(matrix)]) == 0
    short = capsys.readouterr().out
    assert short.startswith("exportmatrix: 2 environments, 2 cells")
    assert "exportmatrix summary --full %s" % matrix in short
    (tmp_path / "matrix.html").unlink()
    assert main(["summary", str(matrix)]) == 0
    assert "full reports: %s, %s\n" % (matrix, tmp_path / "matrix.md") in capsys.readouterr().out
    assert main(["summary", str(matrix), "--full"]) == 0
    full = capsys.readouterr().out
    assert "dynamo_export on cpu (build pypi)" in full and "legend: " in full


# -- at most 60 lines, whatever the matrix


OUTCOMES = ["holds", "diverges", "export-error", "run-error", "unsupported", "crash"]


def big(folder, behaviours=80, devices=("cpu",)):
    """16 releases × 80 behaviours × 10 paths × 2 shapes (× devices), outcomes
    that change often; 6 failed environments, 3 not the build asked for and 4
    case files that did not load."""
    errors = [{"file": "/w/c%d.py" % i, "error": "/w/c%d.py:1: SyntaxError: " % i + "x" * 300} for i in range(4)]
    for minor in range(16):
        cells = [
            dict(
                cell(
                    "behaviour.%02d" % b,
                    "path_%d" % p,
                    OUTCOMES[(b * 7 + p * 3 + s + minor // (1 + b % 4)) % 6],
                    shapes,
                ),
                device=device,
            )
            for b in range(behaviours)
            for p in range(10)
            for s, shapes in enumerate(("static", "dynamic"))
            for device in devices
        ]
        mismatch = {"build": "cpu", "torch": "2.%d.1+cu121" % minor} if minor < 3 else {}
        release(folder, minor, cells, complete=minor != 15, case_files=["/w/c.py"], case_file_errors=errors, **mismatch)
    for name in range(90, 96):
        failed(folder, "2.%d" % name, "No solution found when resolving: torch==2.%d.* " % name + "because " * 40)
    return aggregate(folder).matrix


def test_a_large_matrix_fits_in_sixty_lines(tmp_path):
    matrix = big(tmp_path)
    text = render(matrix, written=WRITTEN)
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES - 3  # and so do the 3 lines `nox -s matrix` prints after it
    assert "environments: 15 ok, 1 incomplete, 6 install-failed" in lines
    assert "  ... and 4 more environments not ok" in lines
    assert "  ... and 2 more environments not the build asked for" in lines
    assert "  ... and 3 more case files not loaded" in lines
    path_0 = [(o["exporter"], o["shapes"], o["outcome"]) for o in matrix["observations"]]
    expected = {outcome: path_0.count(("path_0", "static", outcome)) for outcome in OUTCOMES}
    assert len(counts(text)) == 21 and counts(text)["path_0 static"] == expected  # 10 paths × 2 shapes, and all
    (more,) = [line for line in lines if line.startswith("  ... and") and "more stories" in line]
    assert int(re.search(r"more stories of (\d+) changes", more).group(1)) > 1000
    assert lines[-2].startswith("full reports: ")
    assert max(len(line) for line in lines) < 200


def test_the_session_prints_at_most_sixty_lines_for_a_large_matrix(tmp_path, capsys):
    big(tmp_path / "envs", behaviours=10)  # every part of the summary cut short all the same
    merge_and_report(tmp_path)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) <= MAX_LINES
    assert sum(line.startswith("  ... and ") for line in printed) == 5  # not ok, build, case files, pairs, changes
    assert printed[-4] == "every grid, upstream verdict and change: exportmatrix summary --full %s" % (
        tmp_path / "matrix.json"
    )


def test_the_counts_of_too_many_paths_devices_and_shapes_are_summed_per_path(tmp_path):
    matrix = big(tmp_path, behaviours=8, devices=("cpu", "cuda"))
    text = render(matrix, written=WRITTEN)
    assert len(text.splitlines()) <= MAX_LINES - 3
    assert "cells per outcome, all environments together (devices and shapes summed; each apart in matrix.md):" in text
    assert sum(counts(text)["path_3"].values()) == 16 * 8 * 2 * 2


def test_the_release_notes_show_the_pairs_with_the_most_changes_of_the_worst_class(tmp_path, monkeypatch):
    # 2.4 → 2.5: one cell became silent and many appeared; 2.5 → 2.6: three became silent
    cells = {4: [], 5: [], 6: []}
    for n in range(3):
        cells[4].append(cell("s%d" % n, "p", "export-error"))
        cells[5].append(cell("s%d" % n, "p", "export-error" if n else "diverges"))
        cells[6].append(cell("s%d" % n, "p", "diverges"))
    for n in range(20):
        cells[4].append(cell("u%d" % n, "p", "unsupported"))
        cells[5].append(cell("u%d" % n, "p", "holds"))
        cells[6].append(cell("u%d" % n, "p", "holds"))
    for minor, found in cells.items():
        release(tmp_path, minor, found)
    monkeypatch.setattr(terminal, "PAIR_LINES", 1)
    notes = section(render(aggregate(tmp_path).matrix), "release notes")
    assert notes[1:3] == [
        "  2.5 → 2.6: 2 became silent",  # not the pair with more changes: the one with more of the worst class
        "  ... and 1 more release pairs (every pair: exportmatrix changes)",
    ]
