"""Package sets: recorded per environment with the index each package came
from, shown and diffed, and replayed exactly with --locked."""

import json
import subprocess
import sys

import pytest
from streams_factory import environment, observation, write_stream

from exportmatrix.cli import main
from exportmatrix.cli.matrix import chosen_environments, matrix_parser
from exportmatrix.config import ConfigError, LockedPackage, load, plan, read_locks
from exportmatrix.merge import aggregate, package_differences
from exportmatrix.reports import html
from exportmatrix.run import SessionOptions, session_options
from exportmatrix.run import session as session_module
from exportmatrix.run.install import find_uv
from exportmatrix.run.packages import attribute, installed_packages, step_index

PYPI = "https://pypi.org/simple"
CPU = "https://download.pytorch.org/whl/cpu"


def recorded(folder, **packages_of):
    """A matrix of torch-2.4 (ok, its package set recorded), torch-2.10
    (ok, none recorded) and torch-2.99 (install-failed)."""
    packages = {"torch": "2.4.1+cpu", "numpy": "1.26.4", "filelock": "3.13.1"}
    index = {"torch": CPU, "filelock": CPU, "numpy": PYPI}
    env = environment("torch-2.4.1+cpu-py3.11", "2.4", "2.4.1+cpu", packages=packages, package_index=index)
    env.update(packages_of)
    write_stream(folder, env, [observation("attr.tensor_reassign", "dynamo_export", "export-error")])
    write_stream(folder, environment("torch-2.10.0-py3.11", "2.10", "2.10.0"), [])
    write_stream(folder, environment("torch-2.99-py3.11", "2.99", None, status="install-failed", reason="no torch"))
    path = folder / "matrix.json"
    path.write_text(json.dumps(aggregate(folder).matrix))
    return path


def test_a_recorded_matrix_gives_each_ok_environment_its_set_and_the_others_a_reason(tmp_path):
    locks = read_locks(recorded(tmp_path))
    assert locks.sets["torch-2.4"] == (
        LockedPackage("filelock", "3.13.1", CPU),
        LockedPackage("numpy", "1.26.4", PYPI),
        LockedPackage("torch", "2.4.1+cpu", CPU),
    )
    assert locks.problem("torch-2.4") is None
    assert "package set was not recorded" in locks.problem("torch-2.10")
    assert "its status there is install-failed (no torch)" in locks.problem("torch-2.99")
    assert "no environment of this session" in locks.problem("torch-2.5")


def test_a_file_that_is_not_a_matrix_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        read_locks(tmp_path / "missing.json")
    (tmp_path / "baseline.json").write_text('{"schema": "exportmatrix-baseline/1", "cells": {}}')
    with pytest.raises(ConfigError, match=r"baseline.json: schema = 'exportmatrix-baseline/1': not a matrix file"):
        read_locks(tmp_path / "baseline.json")


def test_locked_steps_pin_every_package_from_its_index_without_resolving(root, tmp_path):
    config = load(root / "matrix.toml")
    (environment_,) = plan(config, ["2.4"], ["cpu"])
    locked = SessionOptions(locks=read_locks(recorded(tmp_path))).environment(environment_)
    # the cpu build's session is torch-2.4-cpu, which the file does not hold
    assert locked.locked is None
    (pypi,) = plan(config, ["2.4"], ["pypi"])
    locked = SessionOptions(locks=read_locks(recorded(tmp_path))).environment(pypi)
    assert locked.install_steps() == [
        ["--no-deps", "--index-url", CPU, "torch==2.4.1+cpu", "filelock==3.13.1"],
        ["--no-deps", "--index-url", PYPI, "numpy==1.26.4"],
    ]
    unrecorded = tuple(LockedPackage(p.name, p.version, None) for p in locked.locked)
    # no index recorded: torch from the build's own index, the rest from PyPI
    assert type(locked)(**{**locked.__dict__, "locked": unrecorded}).install_steps() == [
        ["--no-deps", "--index-url", PYPI, "torch==2.4.1+cpu", "filelock==3.13.1", "numpy==1.26.4"]
    ]


def test_the_index_of_a_step_and_what_it_installed(monkeypatch):
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    assert step_index(["torch==2.4.*", "--index-url", CPU], uses_uv=True) == CPU
    assert step_index(["torch==2.4.*"], uses_uv=True) == PYPI
    monkeypatch.setenv("UV_INDEX_URL", "https://mirror.example/simple")
    assert step_index(["torch==2.4.*"], uses_uv=True) == "https://mirror.example/simple"
    assert step_index(["torch==2.4.*"], uses_uv=False) == PYPI
    # step 1 (cpu index) installs torch and filelock; step 2 (PyPI) adds numpy and upgrades filelock
    first = attribute({}, {}, {"torch": "2.4.1+cpu", "filelock": "3.13.1"}, CPU)
    second = attribute(
        first,
        {"torch": "2.4.1+cpu", "filelock": "3.13.1"},
        {"torch": "2.4.1+cpu", "filelock": "3.16.0", "numpy": "2.1.0"},
        PYPI,
    )
    assert second == {"torch": CPU, "filelock": PYPI, "numpy": PYPI}
    # a package there before any recorded step keeps no index; one removed is gone
    assert attribute({}, {"pip": "24.0"}, {"pip": "24.0"}, PYPI) == {}
    three = {"torch": "2.4.1+cpu", "filelock": "3.16.0", "numpy": "2.1.0"}
    assert attribute(second, three, {"torch": "2.4.1+cpu"}, PYPI) == {"torch": CPU}


def test_a_locked_matrix_runs_the_recorded_sessions_only(root, tmp_path):
    config = load(root / "matrix.toml")
    locks = read_locks(recorded(tmp_path))
    arguments = matrix_parser().parse_args(["--locked", str(tmp_path / "matrix.json")])
    with pytest.raises(ConfigError, match=r"torch-2.99: no such session in .*matrix.toml"):
        chosen_environments(config, arguments, locks)
    text = (root / "matrix.toml").read_text().replace('"2.15"]', '"2.15", "2.99"]')
    (tmp_path / "matrix.toml").write_text(text)
    chosen = chosen_environments(load(tmp_path / "matrix.toml"), arguments, locks)
    assert [e.session_name for e in chosen] == ["torch-2.4", "torch-2.10", "torch-2.99"]
    only = matrix_parser().parse_args(["2.4", "--locked", str(tmp_path / "matrix.json")])
    assert [e.session_name for e in chosen_environments(config, only, locks)] == ["torch-2.4"]


def test_a_bare_locked_replays_the_results_folders_matrix_and_sessions_get_its_path(tmp_path):
    results = tmp_path / "results"
    recorded(results)
    options = session_options(["--locked"], (), tmp_path / "elsewhere", results=results)
    assert options.locks.source == results / "matrix.json"
    assert options.arguments()[-6:-4] == ["--locked", str(results / "matrix.json")]
    assert options.describe()["locked_from"] == str(results / "matrix.json")
    with pytest.raises(ConfigError, match="no such file"):
        session_options(["--locked", "nope.json"], (), tmp_path)


class Stopped(Exception):
    pass


class VenvSession:
    """A stand-in nox session over a real virtual environment."""

    def __init__(self, venv):
        self.bin = str(venv / "bin")

    def run(self, *command, silent=False):
        return "2.4.1+cpu 3.11.7\n"

    def log(self, message):
        pass

    def error(self, message):
        raise Stopped(message)


def venv_with(tmp_path, *packages):
    venv = tmp_path / "venv"
    subprocess.run([find_uv(), "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    if packages:
        subprocess.run(
            [find_uv(), "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *packages], check=True
        )
    return venv


def locked_matrix(tmp_path, packages):
    env = environment("torch-2.4.1-py3.11", "2.4", "2.4.1", packages=packages, package_index={})
    write_stream(tmp_path / "recorded", env, [])
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(aggregate(tmp_path / "recorded").matrix))
    return path


def test_a_locked_install_makes_the_environment_hold_exactly_the_recorded_set(root, tmp_path):
    venv = venv_with(tmp_path, "iniconfig==2.0.0", "six==1.16.0")  # six: not in the recorded set
    options = SessionOptions(locks=read_locks(locked_matrix(tmp_path, {"iniconfig": "1.1.1"})))
    (environment_,) = plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])
    session_module.run_environment(
        VenvSession(venv), environment_, tmp_path / "results", options=options, install_only=True
    )
    assert installed_packages(venv / "bin" / "python") == {"iniconfig": "1.1.1"}
    record = json.loads((venv / session_module.INSTALL_RECORD).read_text())
    assert record["steps"] == [["--no-deps", "--index-url", PYPI, "iniconfig==1.1.1"]]
    assert record["sources"] == {"iniconfig": PYPI}
    assert session_module.installed_as_requested(venv, options.environment(environment_))
    assert not session_module.installed_as_requested(venv, environment_)


def test_a_package_that_can_no_longer_be_had_is_named_and_the_environment_install_failed(root, tmp_path):
    venv = venv_with(tmp_path)
    gone = {"iniconfig": "1.1.1", "exportmatrix-no-such-package": "0.0.1"}
    options = SessionOptions(locks=read_locks(locked_matrix(tmp_path, gone)))
    (environment_,) = plan(load(root / "matrix.toml"), ["2.4"], ["pypi"])
    with pytest.raises(Stopped, match="install failed"):
        session_module.run_environment(VenvSession(venv), environment_, tmp_path / "results", options=options)
    (stream,) = (tmp_path / "results" / "envs").iterdir()
    failed = json.loads(stream.read_text().splitlines()[0])["environment"]
    assert failed["status"] == "install-failed" and failed["locked_from"] == str(tmp_path / "matrix.json")
    assert failed["reason"].startswith("the recorded package set of %s: " % (tmp_path / "matrix.json"))
    assert "exportmatrix-no-such-package" in failed["reason"]


def test_package_sets_are_diffed_beside_the_cells_and_shown_on_the_page(tmp_path, capsys):
    before = recorded(tmp_path / "a")
    after = recorded(tmp_path / "b", packages={"torch": "2.4.1+cpu", "numpy": "2.0.0", "sympy": "1.13.1"})
    assert main(["diff", str(before), str(after)]) == 0
    out = capsys.readouterr().out
    assert "no cell differs" in out
    assert "packages of torch-2.4.1+cpu-py3.11 → torch-2.4.1+cpu-py3.11: 3 differ" in out
    assert "filelock                     3.13.1 (%s) → absent" % CPU in out
    assert "numpy                        1.26.4 (%s) → 2.0.0 (%s)" % (PYPI, PYPI) in out
    assert "sympy                        absent → 1.13.1" in out
    assert main(["diff", str(before), str(after), "--json"]) == 0
    pairs = {pair["a"]: pair["differences"] for pair in json.loads(capsys.readouterr().out)["packages"]}
    assert [d["package"] for d in pairs["torch-2.4.1+cpu-py3.11"]] == ["filelock", "numpy", "sympy"]
    assert pairs["torch-2.10.0-py3.11"] is None and "packages: not recorded in torch-2.10.0-py3.11" in out
    same = json.loads(before.read_text())["environments"][0]
    assert package_differences(same, same) == []
    older = {key: value for key, value in same.items() if key != "package_index"}  # recorded before indexes were
    assert package_differences(older, same) == []
    moved = dict(same, package_index=dict(same["package_index"], numpy="https://mirror.example/simple"))
    assert package_differences(same, moved) == [
        {"package": "numpy", "a": "1.26.4 (%s)" % PYPI, "b": "1.26.4 (https://mirror.example/simple)"}
    ]
    page = html.render(json.loads(before.read_text()))
    # each package with its version, and its index where it is not torch's (here: the cpu wheel index)
    assert "numpy==1.26.4 (%s)" % PYPI in page and "all from %s but where one says otherwise" % CPU in page
    assert "<summary>3 packages</summary>" in page
