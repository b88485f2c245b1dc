"""`exportmatrix advise` (DESIGN.md, "What to do about it"): per capture
path, the releases where a user's cases hold and the floor to pin, read from
stand-in matrices built here as dicts, and from a committed matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportmatrix.base import SCHEMA
from exportmatrix.cli import main
from exportmatrix.config import path_sets
from exportmatrix.reports.advise import advise, as_json, choose_cases, default_cases, floor_line, render

ROOT = Path(__file__).resolve().parents[1]
CASE_FILE = "/w/mine.py"
RELEASES = ["2.%d" % minor for minor in range(4, 16)]  # 2.4 … 2.15: twelve releases
OUTCOMES = {"h": "holds", "d": "diverges", "e": "export-error", "u": "unsupported", "c": "crash"}
EVIDENCE = {
    "diverges": {"differences": [{"what": "attribute step", "after_call": 1, "eager": "2", "exported": "1"}]},
    "export-error": {"error": {"type": "AssertionError", "message": "Mutating module attribute step during export."}},
}


def environment(release, status="ok", build="pypi", torch=None, device="cpu", **extra):
    version = torch or release + ".0"
    suffix = "" if build == "pypi" else "-" + build
    return {
        "id": "torch-%s-py3.11%s" % (version, suffix),
        "session": "torch-%s%s" % (release, suffix),
        "release": release,
        "torch": version,
        "build": build,
        "python": "3.11.7",
        "status": status,
        "cuda": None,
        "devices": [device],
        "case_files": [CASE_FILE],
        **extra,
    }


def declared(identifier, case_file=True):
    source = CASE_FILE if case_file else "exportmatrix_suite/behaviours/buffers.py"
    return {
        "id": identifier,
        "description": identifier,
        "tags": ["user"] if case_file else ["state=buffer"],
        "seed_test": None,
        "source": {"file": source, "sha256": "0" * 16},
    }


def cell(env, behaviour, exporter, symbol, device="cpu", shapes="static"):
    outcome = OUTCOMES[symbol]
    return {
        "environment": env["id"],
        "behaviour": behaviour,
        "exporter": exporter,
        "device": device,
        "shapes": shapes,
        "outcome": outcome,
        "evidence": dict(EVIDENCE.get(outcome, {})),
    }


def stand_in(rows, releases=RELEASES, statuses=None, catalogue=(), environments=None):
    """A matrix whose cells `rows` gives as {(behaviour, exporter): one
    letter per release (h holds, d diverges, e export-error, u unsupported,
    c crash, . no cell)}; `catalogue`: behaviours not of the case file."""
    statuses = statuses or {}
    envs = environments or [environment(r, statuses.get(r, "ok")) for r in releases]
    observations = [
        cell(env, behaviour, exporter, letters[n])
        for (behaviour, exporter), letters in rows.items()
        for n, env in enumerate(envs)
        if letters[n] != "." and env["status"] != "install-failed"
    ]
    names = list(dict.fromkeys(behaviour for behaviour, _ in rows))
    behaviours = [declared(b, b not in catalogue) for b in names]
    return {"schema": SCHEMA, "environments": envs, "behaviours": behaviours, "observations": observations}


def only_path(matrix, cases, exporter="p"):
    (series,) = advise(matrix, cases).series
    return next(path for path in series.paths if path.exporter == exporter)


def test_ranges_show_their_gaps_and_the_floor_is_where_the_last_run_of_holds_begins():
    path = only_path(stand_in({("mine.a", "p"): "hhddhhhhhhhh"}), ["mine.a"])
    (case,) = path.cases
    assert case.ranges == "2.4–2.5, 2.8–2.15"
    assert case.since == "2.8" and path.floor == "2.8" and path.pin() == "torch>=2.8"
    assert floor_line(path) == "p: torch>=2.8 (2.7: mine.a diverges)"


def test_a_single_release_range_is_named_once():
    path = only_path(stand_in({("mine.a", "p"): "ddddhddddddh"}), ["mine.a"])
    assert path.cases[0].ranges == "2.8, 2.15"
    assert path.floor == "2.15"


def test_the_floor_is_the_latest_of_the_cases_own_and_names_who_holds_it_up():
    matrix = stand_in({("mine.a", "p"): "eehhhhhhhhhh", ("mine.b", "p"): "hhhhhdddhhhh"})
    path = only_path(matrix, ["mine.a", "mine.b"])
    assert [c.since for c in path.cases] == ["2.6", "2.12"]
    assert floor_line(path) == "p: torch>=2.12 (2.11: mine.b diverges)"


def test_holding_in_every_release_gives_the_oldest_as_floor():
    path = only_path(stand_in({("mine.a", "p"): "h" * 12}), ["mine.a"])
    assert floor_line(path) == "p: torch>=2.4 (every release observed, 2.4–2.15)"


def test_a_case_that_never_holds_gives_no_floor_and_says_what_it_does():
    matrix = stand_in({("mine.step", "p"): "dddddddddddd", ("mine.a", "p"): "hhhhhhhhhhhh"})
    path = only_path(matrix, ["mine.step", "mine.a"])
    assert path.floor is None and path.pin() is None
    assert floor_line(path) == "p: no release — mine.step diverges in every release"
    mixed = only_path(stand_in({("mine.step", "p"): "eeeedddddddd"}), ["mine.step"])
    assert floor_line(mixed) == "p: no release — mine.step holds in no release (2.15: diverges)"
    text = render(advise(matrix, ["mine.step", "mine.a"]))
    assert "  mine.step  holds nowhere (2.15: diverges (attribute step))" in text
    assert "  mine.a     2.4–2.15" in text


def test_a_single_late_failure_takes_the_floor_away():
    held = only_path(stand_in({("mine.a", "p"): "hhhhhhhhhhhh"}), ["mine.a"])
    assert held.floor == "2.4"
    late = only_path(stand_in({("mine.a", "p"): "hhhhhhhhhhhe"}), ["mine.a"])
    assert late.floor is None
    assert floor_line(late) == "p: no release — mine.a holds 2.4–2.14, not 2.15 (export-error)"
    assert "  mine.a  2.4–2.14; 2.15: export-error (AssertionError: Mutating module attribute step during export.)" in (
        render(advise(stand_in({("mine.a", "p"): "hhhhhhhhhhhe"}), ["mine.a"]))
    )


def test_a_missing_cell_is_not_observed_and_breaks_a_range():
    path = only_path(stand_in({("mine.a", "p"): "hhhhh.hhhhhh", ("mine.b", "p"): "hhhhhhhhhhhh"}), ["mine.a", "mine.b"])
    assert path.cases[0].ranges == "2.4–2.8, 2.10–2.15"
    assert path.cases[0].row[5] == "not observed"
    assert floor_line(path) == "p: torch>=2.10 (2.9: mine.a not observed)"


def test_a_path_counts_only_the_releases_it_was_observed_in():
    matrix = stand_in({("mine.a", "p"): "hhhhhhhhhhhh", ("mine.a", "aoti"): "....hhhhhhhh"})
    (series,) = advise(matrix, ["mine.a"]).series
    assert [(p.exporter, p.releases[0], p.floor) for p in series.paths] == [("p", "2.4", "2.4"), ("aoti", "2.8", "2.8")]


def test_several_cases_that_do_not_hold_are_counted_and_named():
    rows = {("mine.%s" % n, "p"): "hhhhhhhhhhhd" for n in "abcde"}
    path = only_path(stand_in(rows), ["mine.%s" % n for n in "abcde"])
    assert floor_line(path) == "p: no release — 5 cases do not hold in 2.15: mine.a, mine.b, mine.c and 2 more"


def test_environments_not_ok_are_skipped_and_said_so():
    statuses = {"2.14": "checks-failed", "2.10": "install-failed"}
    matrix = stand_in({("mine.a", "p"): "hhhhhhhhhhdh"}, statuses=statuses)
    matrix["environments"][6]["reason"] = "no matching distribution for torch==2.10.0"
    advice = advise(matrix, ["mine.a"])
    path = advice.series[0].paths[0]
    assert "2.10" not in path.releases and "2.14" not in path.releases
    # as if not in the matrix: the range spans them, the diverging cell of 2.14 does not count
    assert path.cases[0].ranges == "2.4–2.15" and path.floor == "2.4"
    assert [(s["release"], s["status"]) for s in advice.skipped] == [
        ("2.10", "install-failed"),
        ("2.14", "checks-failed"),
    ]
    text = render(advice)
    assert (
        "skipped, not ok: 2.10 (torch-2.10.0-py3.11) install-failed: no matching distribution for torch==2.10.0" in text
    )
    assert "skipped, not ok: 2.14 (torch-2.14.0-py3.11) checks-failed\n" in text


def test_patch_releases_of_one_minor_are_named_as_the_reports_name_them():
    envs = [environment("2.8"), environment("2.9.0", torch="2.9.0"), environment("2.9", torch="2.9.1")]
    matrix = stand_in({("mine.a", "p"): "dhh"}, environments=envs)
    path = only_path(matrix, ["mine.a"])
    assert path.releases == ("2.8", "2.9.0", "2.9.1")
    envs = [environment("2.8"), environment("2.9.0", torch="2.9.0"), environment("2.9", torch="2.9.1")]
    path = only_path(stand_in({("mine.a", "p"): "ddh"}, environments=envs), ["mine.a"])
    assert path.pin() == "torch>=2.9.1"


def test_each_build_device_and_shapes_has_its_own_paths():
    envs = [environment(r) for r in ("2.14", "2.15")] + [environment(r, build="cpu") for r in ("2.14", "2.15")]
    matrix = stand_in({("mine.a", "p"): "hhdh"}, environments=envs)
    matrix["observations"] += [dict(o, shapes="dynamic", outcome="export-error") for o in matrix["observations"]]
    advice = advise(matrix, ["mine.a"])
    assert [(s.build, s.shapes, s.paths[0].floor) for s in advice.series] == [  # the reports' order
        ("cpu", "static", "2.15"),
        ("cpu", "dynamic", None),
        ("pypi", "static", "2.14"),
        ("pypi", "dynamic", None),
    ]
    text = render(advice)
    assert "== build pypi, cpu" in text and "== build cpu, cpu, dynamic shapes" in text


def test_the_default_cases_are_the_behaviours_of_the_case_files_the_matrix_ran():
    matrix = stand_in({("mine.a", "p"): "h" * 12, ("buffer.add_", "p"): "h" * 12}, catalogue=("buffer.add_",))
    assert default_cases(matrix) == ["mine.a"]
    for env in matrix["environments"]:
        env.pop("case_files")
    with pytest.raises(ValueError, match="ran no case file: name the cases with --behaviours"):
        default_cases(matrix)


def test_behaviours_are_chosen_by_id_or_pattern_in_the_matrixs_order():
    matrix = stand_in({(b, "p"): "h" * 12 for b in ("kv_cache.a", "mine.b", "kv_cache.c", "other.d")})
    assert choose_cases(matrix, ["other.d", "kv_cache.*"]) == ["kv_cache.a", "kv_cache.c", "other.d"]
    assert choose_cases(matrix, ["mine.[ab]", "mine.b"]) == ["mine.b"]
    with pytest.raises(ValueError, match=r"--behaviours kv_cache\.x: is no behaviour's id in the matrix; did you mean"):
        choose_cases(matrix, ["kv_cache.x"])
    with pytest.raises(ValueError, match=r"--behaviours 'nothing\.\*'|--behaviours nothing\.\*: matches no behaviour"):
        choose_cases(matrix, ["nothing.*"])


def test_declared_rewrites_that_hold_where_the_case_does_not_are_listed_under_it():
    """The hook for the catalogue's rewrites (none declared yet): a rewrite is
    listed where the case does not hold on a path and the rewrite holds there
    through the newest release."""
    matrix = stand_in({("mine.a", "p"): "dddddddddddd", ("mine.b", "p"): "eeeehhhhhhhh", ("mine.c", "p"): "d" * 12})
    advice = advise(matrix, ["mine.a"], rewrites={"mine.a": ["mine.b", "mine.c"]})
    (case,) = advice.series[0].paths[0].cases
    assert [(r.behaviour, r.since) for r in case.rewrites] == [("mine.b", "2.8")]
    assert "    rewrite mine.b holds from 2.8" in render(advice)
    assert as_json(advise(matrix, ["mine.a"]))["series"][0]["paths"][0]["cases"][0]["rewrites"] == []


def write(tmp_path, matrix):
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(matrix))
    return str(path)


def test_the_command_prints_a_floor_per_path_and_json_for_scripts(tmp_path, capsys):
    matrix = stand_in(
        {
            ("mine.a", "export_strict"): "eehhhhhhhhhh",
            ("mine.a", "aoti"): "hhhhhhhhhhhd",
            ("other.b", "aoti"): "h" * 12,
            ("other.b", "export_strict"): "h" * 12,
        },
        catalogue=("other.b",),
    )
    path = write(tmp_path, matrix)
    assert main(["advise", path]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "exportmatrix advise: 1 case (the behaviours of mine.py)"
    assert "export_strict: torch>=2.6 (2.5: mine.a export-error)" in text
    assert "aoti: no release — mine.a holds 2.4–2.14, not 2.15 (diverges)" in text
    assert "other.b" not in text

    assert main(["advise", path, "--json", "--behaviours", "mine.*", "other.b"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["cases"] == ["mine.a", "other.b"] and found["skipped"] == []
    (series,) = found["series"]
    assert (series["build"], series["device"], series["shapes"]) == ("pypi", "cpu", "static")
    strict, aoti = series["paths"]
    assert strict["path"] == "export_strict"
    assert strict["floor"] == {"release": "2.6", "torch": "2.6.0", "requirement": "torch>=2.6"}
    assert strict["releases"] == RELEASES and strict["blocking"] == []
    assert strict["summary"] == "export_strict: torch>=2.6 (2.5: mine.a export-error)"
    case, other = strict["cases"]
    assert (other["behaviour"], other["since"]) == ("other.b", "2.4")
    assert case["holds"] == [["2.6", "2.15"]] and case["ranges"] == "2.6–2.15" and case["since"] == "2.6"
    assert case["newest"] == {"release": "2.15", "outcome": "holds", "label": "holds"}
    assert case["outcomes"]["2.4"] == "export-error" and case["rewrites"] == []
    assert aoti["floor"] is None and aoti["blocking"] == ["mine.a"]
    assert [c["behaviour"] for c in aoti["cases"]] == ["mine.a", "other.b"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--behaviours", "mine.x"], "--behaviours mine.x: is no behaviour's id in the matrix; did you mean mine.a?"),
        (["--behaviours", "zzz*"], "--behaviours zzz*: matches no behaviour in the matrix (it has 1 behaviours)"),
    ],
)
def test_an_unknown_behaviour_is_a_usage_error_naming_it(tmp_path, capsys, arguments, message):
    assert main(["advise", write(tmp_path, stand_in({("mine.a", "p"): "h" * 12})), *arguments]) == 2
    assert capsys.readouterr().err == "exportmatrix: %s\n" % message


def test_a_missing_or_unreadable_matrix_is_a_usage_error_naming_the_file(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "matrix.json"
    assert main(["advise", str(missing)]) == 2
    assert "%s: no such matrix file" % missing in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["advise", str(broken)]) == 2
    assert "%s: not JSON" % broken in capsys.readouterr().err
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"schema": "something/9"}')
    assert main(["advise", str(foreign)]) == 2
    assert "not a matrix file" in capsys.readouterr().err
    no_cases = stand_in({("mine.a", "p"): "h" * 12})
    for env in no_cases["environments"]:
        env["case_files"] = []
    assert main(["advise", write(tmp_path, no_cases)]) == 2
    assert "ran no case file" in capsys.readouterr().err


def test_help_says_what_advise_reads_and_prints(capsys):
    with pytest.raises(SystemExit) as done:
        main(["advise", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--behaviours ID|PATTERN [ID|PATTERN ...]" in text and "--json" in text
    assert "nothing runs" in text and "the floor: the oldest release from which every case holds" in text


def floor_lines(text):
    return {
        line.split(":", 1)[0]: line
        for line in text.splitlines()
        if line and not line.startswith((" ", "exportmatrix", "skipped"))
    }


def test_a_committed_matrix_gets_a_floor_line_for_each_default_path(capsys):
    """The default matrix holds no case file: its own behaviours, named by pattern."""
    matrix = ROOT / "examples" / "cpu-default-matrix" / "matrix.json"
    assert main(["advise", str(matrix), "--behaviours", "kv_cache.index_*", "buffer.copy_"]) == 0
    text = capsys.readouterr().out
    lines = floor_lines(text)
    assert set(path_sets().sets["default"]) <= set(lines), text
    assert lines["compile_fullgraph"] == "compile_fullgraph: torch>=2.0 (every release observed, 2.0–2.15)"
    assert lines["export_strict"] == (
        "export_strict: torch>=2.1 (2.0: buffer.copy_ unsupported, kv_cache.index_copy unsupported, "
        "kv_cache.index_put unsupported)"
    )
    assert len(text.splitlines()) < 50


MODEL_AUTHOR = ROOT / "examples" / "model-author" / "matrix.json"


def test_the_model_authors_example_gets_a_floor_for_each_default_path(capsys):
    assert main(["advise", str(MODEL_AUTHOR)]) == 0
    text = capsys.readouterr().out
    assert set(path_sets().sets["default"]) <= set(floor_lines(text)), text
