"""`exportmatrix bisect`: the index lookup, the releases between two ends,
the first release of the later outcome, and the command with the index and
the installs faked."""

import argparse
import json
import platform
import re
import sys

import pytest
from packaging.version import Version

from exportmatrix.base import SCHEMA
from exportmatrix.cli import bisect as command
from exportmatrix.cli import parser
from exportmatrix.config import Selection
from exportmatrix.run import IndexUnreachable, offered_releases, releases_in
from exportmatrix.run.bisect import Bisect, Cell, Step, UsageError, first_change, releases_between
from exportmatrix.run.index import file_names

V = Version

LINUX = "-cp311-cp311-manylinux_2_28_x86_64.whl"


def anchor(name, text=None, extra=""):
    """An anchor of a PEP 503 page as PyTorch's indexes write it: the href quoted, the text plain."""
    href = "/whl/cpu/" + name.replace("+", "%2B") + "#sha256=aa"
    return '<a href="%s"%s>%s</a><br/>' % (href, extra, name if text is None else text)


PYTORCH_PAGE = "\n".join(
    [
        "<!DOCTYPE html><html><body><h1>Links for torch</h1>",
        anchor("torch-2.9.0+cpu" + LINUX),
        anchor("torch-2.9.1+cpu" + LINUX),
        anchor("torch-2.9.2+cpu" + LINUX, extra=' data-yanked=""'),
        anchor("torch-2.10.0+cpu-cp310-cp310-manylinux_2_28_x86_64.whl"),
        anchor("torch-2.10.0+cpu" + LINUX, text=""),
        anchor("torch-2.11.0.dev20260101+cpu" + LINUX, text="x"),
        "</body></html>",
    ]
)

PYPI_JSON = {
    "meta": {"api-version": "1.1"},
    "name": "torch",
    "files": [
        {"filename": "torch-2.9.0-cp311-cp311-manylinux_2_28_x86_64.whl", "yanked": False},
        {"filename": "torch-2.9.1-cp311-cp311-win_amd64.whl", "yanked": False},
        {"filename": "torch-2.10.0-3-cp311-cp311-manylinux_2_28_x86_64.whl", "yanked": False},
        {"filename": "torch-2.10.1-cp311-cp311-manylinux_2_28_x86_64.whl", "yanked": "broken"},
        {"filename": "torch-2.11.0rc1-cp311-cp311-manylinux_2_28_x86_64.whl", "yanked": False},
        {"filename": "torch-2.0.0.tar.gz", "yanked": False},
    ],
}


def test_the_html_form_of_an_index_lists_its_files_without_the_yanked():
    files = file_names(PYTORCH_PAGE, "text/html")
    assert "torch-2.9.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl" in files
    assert "torch-2.10.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl" in files  # an anchor without text: its href
    assert not any(name.startswith("torch-2.9.2") for name in files)


def test_only_releases_count_not_pre_or_development_releases():
    found = releases_in(file_names(PYTORCH_PAGE, "text/html"))
    assert found == [V("2.9.0"), V("2.9.1"), V("2.10.0")]  # local tags (+cpu) dropped, 2.11.0.dev left out
    assert releases_in(file_names(json.dumps(PYPI_JSON), "application/vnd.pypi.simple.v1+json")) == [
        V("2.9.0"),
        V("2.9.1"),
        V("2.10.0"),
    ]


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() != "x86_64", reason="the wheels named are Linux x86_64"
)
def test_only_releases_with_a_wheel_for_the_python_and_this_platform():
    files = file_names(json.dumps(PYPI_JSON), "application/vnd.pypi.simple.v1+json")
    assert releases_in(files, "3.11") == [V("2.9.0"), V("2.10.0")]  # 2.9.1 only for Windows
    assert releases_in(files, "3.12") == []


def test_a_local_index_folder_is_read_as_an_installer_would(tmp_path):
    (tmp_path / "torch").mkdir()
    for name in ("torch-2.9.0-py3-none-any.whl", "torch-2.9.1-py3-none-any.whl", "torch-2.10.0-py3-none-any.whl"):
        (tmp_path / "torch" / name).write_bytes(b"")
    assert offered_releases(tmp_path.as_uri(), "3.11") == [V("2.9.0"), V("2.9.1"), V("2.10.0")]


def test_an_index_that_cannot_be_read_is_named():
    with pytest.raises(IndexUnreachable, match=r"cannot read the index http://127\.0\.0\.1:9/simple"):
        offered_releases("http://127.0.0.1:9/simple", "3.11", timeout=5)


OFFERED = [V(v) for v in ("2.8.0", "2.9.0", "2.9.1", "2.10.0", "2.10.1", "2.11.0")]


def test_the_releases_between_two_minors_are_all_their_patch_releases():
    assert releases_between(OFFERED, "2.9", "2.10") == [V("2.9.0"), V("2.9.1"), V("2.10.0"), V("2.10.1")]
    assert releases_between(OFFERED, "2.8", "2.10") == OFFERED[:5]
    assert releases_between(OFFERED, "2.9.1", "2.10.0") == [V("2.9.1"), V("2.10.0")]


@pytest.mark.parametrize(
    "low, high, message",
    [
        ("2.9", "2.12", "the index offers no release 2.12 .*none of 2.12.x"),
        ("2.9.5", "2.10", r"no release 2.9.5 \(of that minor it offers: 2.9.0, 2.9.1\)"),
        ("2.10", "2.9", "must be later than the first"),
        ("two", "2.10", "not a release"),
        ("2", "2.10", "expected a minor"),
    ],
)
def test_ends_the_index_does_not_offer_are_usage_errors(low, high, message):
    with pytest.raises(UsageError, match=message):
        releases_between(OFFERED, low, high)


def step(version, outcome):
    observation = None if outcome is None else {"outcome": outcome, "evidence": {}}
    return Step(V(version), observation=observation, problem=None if outcome else "install-failed")


def test_the_first_release_of_the_later_outcome():
    steps = [step("2.9.0", "export-error"), step("2.9.1", "export-error"), step("2.10.0", "diverges")]
    before, after = first_change(steps)
    assert (str(before.version), str(after.version)) == ("2.9.1", "2.10.0")


def test_a_cell_that_changes_twice_names_the_last_move_into_the_later_outcome():
    steps = [step("2.9.0", "diverges"), step("2.9.1", "export-error"), step("2.10.0", "diverges")]
    before, after = first_change(steps)
    assert (str(before.version), str(after.version)) == ("2.9.1", "2.10.0")
    steps = [step("2.9.0", "export-error"), step("2.9.1", "diverges"), step("2.10.0", "diverges")]
    assert str(first_change(steps)[1].version) == "2.9.1"


def test_releases_not_observed_are_stepped_over_and_no_change_is_none():
    steps = [step("2.9.0", "export-error"), step("2.9.1", None), step("2.10.0", "diverges")]
    before, after = first_change(steps)
    assert (str(before.version), str(after.version)) == ("2.9.0", "2.10.0")
    assert first_change([step("2.9.0", "holds"), step("2.10.0", "holds")]) is None


def test_a_selection_of_behaviours_reaches_the_suite_and_the_fingerprint():
    every = Selection(("dynamo_export",), ("static",))
    one = Selection(("dynamo_export",), ("static",), ("attr.tensor_reassign",))
    assert one.suite_arguments()[-2:] == ["--exportmatrix-only-behaviour", "attr.tensor_reassign"]
    assert one.options()[-2:] == ["--only-behaviour", "attr.tensor_reassign"]
    assert "--exportmatrix-only-behaviour" not in every.suite_arguments()
    assert one.fingerprint() != every.fingerprint()
    assert "behaviours" not in every.fingerprint()  # every earlier run keeps its fingerprint
    assert Selection.parse(None, None, every, "attr.tensor_reassign") == one


# the command, with the index and the installs faked

CONFIG = """
releases = ["2.9", "2.10"]
default-build = "pypi"
python = "3.11"
requirements = ["pytest"]

[builds.pypi]
index = "https://pypi.org/simple"
releases = ">=2.0"

[builds.cpu]
index = "https://download.pytorch.org/whl/cpu"
releases = ">=2.0"
"""

CELL = ("attr.tensor_reassign", "dynamo_export", "cpu", "static")
ERROR = {"outcome": "export-error", "evidence": {"error": {"type": "AssertionError", "message": "Mutating a"}}}
DIVERGES = {"outcome": "diverges", "evidence": {"differences": [{"what": "attribute a"}]}}


def matrix(*environments):
    """A matrix holding CELL in each (id, torch, observation)."""
    return {
        "schema": SCHEMA,
        "environments": [
            {"id": id, "release": torch[:4], "torch": torch, "build": "pypi", "python": "3.11.7", "status": "ok"}
            for id, torch, _ in environments
        ],
        "behaviours": [],
        "observations": [
            {"environment": id, **dict(zip(("behaviour", "exporter", "device", "shapes"), CELL)), **observation}
            for id, _, observation in environments
        ],
        "upstream": [],
        "texts": [],
        "reproducers": [],
    }


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "matrix.toml").write_text(CONFIG)
    results = tmp_path / "results"
    results.mkdir()
    return tmp_path, results


def arguments(*argv):
    parsed = parser().parse_args(["bisect", *argv])
    assert parsed.run is command.bisect
    return parsed


def fake_index(offered=("2.8.0", "2.9.0", "2.9.1", "2.10.0", "2.11.0")):
    asked = []

    def lookup(index, python):
        asked.append((index, python))
        return [V(v) for v in offered]

    return lookup, asked


def fake_runs(outcomes):
    """observe(environment, version): the outcome given for the version; records the sessions."""
    sessions = []

    def observe(environment, version):
        sessions.append((str(version), environment.session_name, environment.torch_requirement))
        observation = outcomes[str(version)]
        if observation is None:
            return Step(version, source="ran", problem="install-failed: no such version")
        return Step(
            version, observation={"behaviour": CELL[0], **observation}, source="ran in " + environment.session_name
        )

    return observe, sessions


def run(parsed, lookup, observe):
    return command.bisect(parsed, lookup=lookup, observe=observe)


def test_it_names_the_first_release_with_both_evidences_and_reuses_the_matrix(setup, capsys):
    _, results = setup
    (results / "matrix.json").write_text(json.dumps(matrix(("torch-2.10.0-py3.11", "2.10.0+cu128", DIVERGES))))
    lookup, asked = fake_index()
    observe, sessions = fake_runs({"2.9.0": ERROR, "2.9.1": ERROR})
    code = run(arguments(*CELL[:2], "--between", "2.9", "2.10"), lookup, observe)
    out = capsys.readouterr().out
    assert code == 0, out
    assert asked == [("https://pypi.org/simple", "3.11")]
    # 2.9.0 in a session of its own; 2.9.1, the newest 2.9.x, in the matrix's "2.9"; 2.10.0 not run at all
    assert sessions == [("2.9.0", "torch-2.9.0", "torch==2.9.0"), ("2.9.1", "torch-2.9", "torch==2.9.*")]
    assert "offers 2.9.0, 2.9.1, 2.10.0" in out
    assert "2.10.0   diverges (attribute a)  [from the matrix, torch-2.10.0-py3.11" in out
    assert "became diverges in 2.10.0 (first release with it; before it, 2.9.1)" in out
    assert "  2.9.1    export-error (AssertionError: Mutating a)\n  2.10.0   diverges (attribute a)\n" in out
    assert "3 releases in" in out and "2.9.0 0 s; 2.9.1 0 s; 2.10.0 0 s" in out


def test_a_matrix_cell_of_another_torch_version_is_not_reused(setup, capsys):
    _, results = setup
    (results / "matrix.json").write_text(json.dumps(matrix(("torch-2.9.1-py3.11", "2.9.1+cu128", ERROR))))
    observe, sessions = fake_runs({"2.9.0": DIVERGES, "2.10.0": DIVERGES})
    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10"), fake_index()[0], observe) == 0
    assert [s[0] for s in sessions] == ["2.9.0", "2.10.0"]
    out = capsys.readouterr().out
    assert "became diverges in 2.10.0 (first release with it; before it, 2.9.1)" in out


def test_an_outcome_that_does_not_change_exits_1(setup, capsys):
    observe, _ = fake_runs({"2.9.0": ERROR, "2.9.1": ERROR, "2.10.0": ERROR})
    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10"), fake_index()[0], observe) == 1
    assert "it does not change" in capsys.readouterr().out


def test_a_later_end_that_cannot_be_observed_exits_3(setup, capsys):
    observe, _ = fake_runs({"2.9.0": ERROR, "2.9.1": ERROR, "2.10.0": None})
    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10"), fake_index()[0], observe) == 3
    assert "the later end, 2.10.0, could not be observed: install-failed" in capsys.readouterr().out


def test_another_build_uses_its_own_index(setup, capsys):
    lookup, asked = fake_index()
    observe, sessions = fake_runs({"2.9.0": ERROR, "2.9.1": DIVERGES, "2.10.0": DIVERGES})
    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10", "--build", "cpu"), lookup, observe) == 0
    assert asked == [("https://download.pytorch.org/whl/cpu", "3.11")]
    assert sessions[0][1] == "torch-2.9.0-cpu"
    assert "became diverges in 2.9.1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["attr.nope", "dynamo_export"], r"unknown behaviour 'attr.nope' \(choices: .*attr.tensor_reassign"),
        (["attr.tensor_reassign", "nope"], r"unknown exporter 'nope' \(choices: .*dynamo_export"),
        (["attr.tensor_reassign", "dynamo_export", "--shapes", "round"], "--shapes round: unknown"),
        (["attr.tensor_reassign", "dynamo_export", "--build", "cu999"], "--build cu999: unknown"),
    ],
)
def test_unknown_names_are_usage_errors_with_the_choices(setup, capsys, argv, message):
    lookup, asked = fake_index()
    assert run(arguments(*argv, "--between", "2.9", "2.10"), lookup, fake_runs({})[0]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert asked == []  # stopped before the index was asked


def test_a_minor_the_index_has_no_release_of_is_a_usage_error(setup, capsys):
    lookup, _ = fake_index(("2.9.0", "2.9.1"))
    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10"), lookup, fake_runs({})[0]) == 2
    assert "the index offers no release 2.10" in capsys.readouterr().err


def test_an_index_that_cannot_be_read_exits_3_naming_it(setup, capsys):
    def lookup(index, python):
        raise IndexUnreachable("cannot read the index %s (looked up %s/torch/): timed out" % (index, index))

    assert run(arguments(*CELL[:2], "--between", "2.9", "2.10"), lookup, fake_runs({})[0]) == 3
    assert "cannot read the index https://pypi.org/simple" in capsys.readouterr().err


def test_the_options_of_a_run_ask_the_suite_for_the_one_cell(setup):
    tmp_path, results = setup
    from exportmatrix.config import load

    runner = Bisect(load(tmp_path / "matrix.toml"), "pypi", Cell(*CELL), results)
    options = runner.options()
    assert options.selection == Selection(("dynamo_export",), ("static",), ("attr.tensor_reassign",))
    assert runner.folder == results / "bisect"
    chosen = runner.environments([V("2.9.0"), V("2.9.1"), V("2.10.0")])
    assert {str(v): e.session_name for v, e in chosen.items()} == {
        "2.9.0": "torch-2.9.0",
        "2.9.1": "torch-2.9",
        "2.10.0": "torch-2.10",
    }


def test_the_parser_takes_the_brief_s_command_line():
    parsed = arguments("attr.tensor_reassign", "dynamo_export", "--device", "cpu", "--between", "2.9", "2.10")
    assert isinstance(parsed, argparse.Namespace)
    assert (parsed.between, parsed.device, parsed.shapes, parsed.results) == (
        ["2.9", "2.10"],
        "cpu",
        "static",
        "results",
    )
