"""`nox -s default-matrix`: a full run's matrix becomes the committed default
matrix, with its date and machine; a partial one is refused."""

import datetime
import re

import pytest
from streams_factory import environment, observation, write_stream

from exportmatrix.base import read_matrix, write_matrix
from exportmatrix.cli.publish import BEGIN, END, publish
from exportmatrix.config import load
from exportmatrix.merge import aggregate


def run_of(folder, minors):
    for minor in minors:
        torch = "2.%d.0" % minor
        write_stream(
            folder / "envs",
            environment("torch-%s-py3.11" % torch, "2.%d" % minor, torch),
            [observation("attr.tensor_reassign", "export_strict", "holds")],
        )
    write_matrix(folder / "matrix.json", aggregate(folder / "envs").matrix)
    return folder / "matrix.json"


@pytest.fixture
def config(root, tmp_path):
    declared = (root / "matrix.toml").read_text()
    text = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.4", "2.10"]', declared, count=1)
    (tmp_path / "matrix.toml").write_text(text)
    return load(tmp_path / "matrix.toml")


def test_a_full_run_becomes_the_committed_matrix_with_its_date_and_machine(tmp_path, config):
    folder = tmp_path / "examples"
    folder.mkdir()
    (folder / "README.md").write_text("# Default\n\nintro\n\n%s\nold line\n%s\n\nafter\n" % (BEGIN, END))
    written = publish(run_of(tmp_path / "run", (4, 10)), folder, config, datetime.date(2026, 12, 5))
    assert [e["torch"] for e in read_matrix(written)["environments"]] == ["2.4.0", "2.10.0"]
    text = (folder / "README.md").read_text()
    assert text.startswith("# Default\n\nintro\n\n" + BEGIN + "\nMade on 2026-12-05 on a ") and text.endswith(
        END + "\n\nafter\n"
    )
    assert "2 environments, 1 behaviours, 1 capture paths, 2 cells." in text and "old line" not in text
    assert (folder / "matrix.md").read_text().startswith("# exportmatrix")


def test_a_partial_run_is_refused_naming_what_it_lacks(tmp_path, config):
    folder = tmp_path / "examples"
    with pytest.raises(ValueError, match=r"is not the whole default matrix: it lacks torch-2.10 \(not run\)"):
        publish(run_of(tmp_path / "run", (4,)), folder, config)
    assert not (folder / "matrix.json").exists()
