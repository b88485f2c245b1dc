"""The exportmatrix command."""

import json
import subprocess
import sys

from streams_factory import environment, observation, write_stream

from exportmatrix.base import read_matrix
from exportmatrix.cli import main


def test_help_explains_each_command(capsys):
    try:
        main(["--help"])
    except SystemExit as stop:
        assert stop.code == 0
    text = capsys.readouterr().out
    for command in ("environments", "aggregate", "summary"):
        assert command in text


def test_environments_lists_sessions_with_their_install(capsys, root):
    assert main(["environments", "--config", str(root / "matrix.toml"), "--release", "2.2", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    names = [e["session"] for e in listed]
    assert "torch-2.2" in names and "torch-2.2-cpu" in names
    assert "numpy<2" in listed[0]["install"][0]


def test_a_bad_config_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "matrix.toml"
    bad.write_text('releases = ["2.4"]\nflavour = 1\n[builds.pypi]\nindex = "https://pypi.org/simple"\n')
    assert main(["environments", "--config", str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.strip() == "exportmatrix: %s: flavour = 1: unknown key (expected one of %s)" % (
        bad,
        "builds, capture-paths, case-files, case-requirements, cell-timeout, default-build, default-builds, python, "
        "releases, requirements, rule, shapes",
    )


def test_aggregate_writes_the_matrix_and_prints_the_summary(tmp_path):
    write_stream(
        tmp_path / "results" / "envs",
        environment("torch-2.4.1-py3.11", "2.4", "2.4.1"),
        [observation("attr.tensor_reassign", "compile_fullgraph", "holds")],
    )
    done = subprocess.run(
        [sys.executable, "-m", "exportmatrix", "aggregate", "--results", str(tmp_path / "results")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert ["compile_fullgraph", "1"] in [line.split() for line in done.stdout.splitlines()]  # its row of outcomes
    assert read_matrix(tmp_path / "results" / "matrix.json")["observations"][0]["outcome"] == "holds"
