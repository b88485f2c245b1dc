"""What the living matrix needs of exportmatrix: the newest torch release on
PyPI (read from a stand-in JSON API here) and whether the committed matrix
lacks it; and a new release's stream merged onto a committed matrix."""

import json

from streams_factory import environment, observation, write_stream

from exportmatrix.base import read_matrix, reproducer
from exportmatrix.cli import main


def stand_in_index(folder, releases):
    """A JSON API answering <index>/torch/json, as a folder read through file://."""
    (folder / "torch").mkdir(parents=True)
    (folder / "torch" / "json").write_text(json.dumps({"info": {"name": "torch"}, "releases": releases}))
    return folder.as_uri()


RELEASES = {
    "2.4.1": [{"filename": "torch-2.4.1-cp311.whl", "yanked": False}],
    "2.10.0": [{"filename": "torch-2.10.0-cp311.whl"}],
    "2.11.0rc1": [{"filename": "torch-2.11.0rc1-cp311.whl"}],  # a pre-release: not the newest
    "2.11.0": [],  # no files (yet): not installable
    "2.10.1": [{"filename": "torch-2.10.1-cp311.whl", "yanked": True}],  # yanked
}


def test_the_newest_release_is_the_newest_final_one_with_files(tmp_path, capsys):
    index = stand_in_index(tmp_path / "index", RELEASES)
    assert main(["releases", "--index", index]) == 0
    assert capsys.readouterr().out.split() == ["2.4.1", "2.10.0"]
    assert main(["releases", "--newest", "--index", index]) == 0
    assert capsys.readouterr().out == "release=2.10.0\n"


def test_the_newest_release_says_whether_a_matrix_lacks_it_into_githubs_output_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EXPORTMATRIX_PYPI_JSON", stand_in_index(tmp_path / "index", RELEASES))
    write_stream(tmp_path / "envs", environment("torch-2.4.1-py3.11", "2.4", "2.4.1+cu121"))
    assert main(["aggregate", "--results", str(tmp_path)]) == 0
    output = tmp_path / "github-output"
    output.write_text("before=1\n")
    matrix = str(tmp_path / "matrix.json")
    capsys.readouterr()
    assert main(["releases", "--newest", "--missing-from", matrix, "--github-output", str(output)]) == 0
    assert output.read_text() == "before=1\nrelease=2.10.0\nmissing=true\n"
    write_stream(tmp_path / "envs", environment("torch-2.10.0-py3.11", "2.10", "2.10.0+cu128"))
    assert main(["aggregate", "--results", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["releases", "--newest", "--missing-from", matrix]) == 0
    assert capsys.readouterr().out == "release=2.10.0\nmissing=false\n"


def test_an_index_that_does_not_answer_is_a_clear_error(tmp_path, capsys):
    assert main(["releases", "--newest", "--index", "http://127.0.0.1:9"]) == 2
    error = capsys.readouterr().err
    assert "could not read http://127.0.0.1:9/torch/json (offline, or the index does not answer?)" in error
    assert main(["releases", "--index", (tmp_path / "nowhere").as_uri()]) == 2


def reproducing(behaviour, text):
    """A cell with a reproducer of its own text (the stream carries it whole)."""
    return observation(behaviour, "export_strict", "holds", {"reproducer": text})


def test_a_new_release_merged_onto_a_committed_matrix_keeps_the_others_and_their_reproducers(tmp_path, capsys):
    committed = tmp_path / "committed"
    for minor, torch in ((4, "2.4.1"), (5, "2.5.1")):
        env = environment("torch-%s-py3.11" % torch, "2.%d" % minor, torch)
        write_stream(committed / "envs", env, [reproducing("attr.tensor_reassign", "old %d\n\n\nshared\n" % minor)])
    assert main(["aggregate", "--results", str(committed)]) == 0
    before = read_matrix(committed / "matrix.json")
    # the new run: 2.6, and 2.5 again (it replaces the committed 2.5)
    new = tmp_path / "new"
    write_stream(new / "envs", environment("torch-2.6.0-py3.11", "2.6", "2.6.0"), [reproducing("b", "new 6\n")])
    five = environment("torch-2.5.1-py3.11", "2.5", "2.5.1")
    write_stream(new / "envs", five, [observation("attr.tensor_reassign", "export_strict", "diverges")])
    capsys.readouterr()
    assert main(["aggregate", "--results", str(new), "--onto", str(committed / "matrix.json")]) == 0
    merged = read_matrix(new / "matrix.json")
    assert [e["id"] for e in merged["environments"]] == [
        "torch-2.4.1-py3.11",
        "torch-2.5.1-py3.11",
        "torch-2.6.0-py3.11",
    ]
    cells = {(o["environment"], o["behaviour"]): o for o in merged["observations"]}
    assert cells[("torch-2.5.1-py3.11", "attr.tensor_reassign")]["outcome"] == "diverges"  # the new run's
    kept = [o for o in before["observations"] if o["environment"] == "torch-2.4.1-py3.11"]
    assert [reproducer(merged, cells[("torch-2.4.1-py3.11", o["behaviour"])]) for o in kept] == [
        reproducer(before, o) for o in kept
    ]
    assert reproducer(merged, cells[("torch-2.6.0-py3.11", "b")]).startswith("new 6")
    assert len(merged["texts"]) == len(set(merged["texts"]))  # each text once
    assert main(["aggregate", "--results", str(new), "--onto", str(tmp_path / "absent.json")]) == 2
    assert "--onto %s: no such matrix file" % (tmp_path / "absent.json") in capsys.readouterr().err


def test_a_second_run_of_other_paths_in_one_environment_joins_its_cells(tmp_path):
    from exportmatrix.merge import aggregate, onto

    env = environment("torch-2.11.0-py3.12", "2.11", "2.11.0")
    write_stream(tmp_path / "a", env, [reproducing("b", "first\n")])
    write_stream(tmp_path / "b", env, [observation("b", "aoti", "diverges"), observation("c", "aoti", "holds")])
    first, second = aggregate(tmp_path / "a").matrix, aggregate(tmp_path / "b").matrix
    joined = onto(first, second, cells=True)
    assert [e["id"] for e in joined["environments"]] == ["torch-2.11.0-py3.12"]
    cells = {(o["behaviour"], o["exporter"]): o for o in joined["observations"]}
    assert sorted(cells) == [("b", "aoti"), ("b", "export_strict"), ("c", "aoti")]
    assert reproducer(joined, cells[("b", "export_strict")]) == "first\n"
    assert [o["exporter"] for o in onto(first, second)["observations"]] == ["aoti", "aoti"]  # whole: replaced
