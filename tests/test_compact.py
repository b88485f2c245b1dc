"""The compact matrix (exportmatrix/2): each block of reproducer text once,
each reproducer's sequence once, the header rebuilt from the cell's fields;
exportmatrix/1 files are still read; `exportmatrix repro` prints a cell's
reproducer byte for byte."""

import json

from streams_factory import environment, observation, write_stream

from exportmatrix.base import SCHEMA_1, SEPARATOR, compact, encode, evidence, reproducer, upgrade
from exportmatrix.cli import main
from exportmatrix.merge import aggregate
from exportmatrix.schemas import problems

HEADER = '"""exportmatrix reproducer: {id} under {exporter} on {device}, {shapes} shapes.\nObserved with torch {torch} on Python {python}: {outcome}\n\n{description}\n"""'  # noqa: E501
CLASSIFY = "CLASSIFY = r'''\n" + "def observe(): ...\n" * 200 + "'''"
RELEASES = {"2.4": "2.4.1", "2.10": "2.10.0"}
EXPORTERS = ("export_strict", "dynamo_export")
DESCRIPTION = "forward reassigns a tensor attribute"


def text_of(release, exporter, outcome, header=HEADER):
    first = header.format(
        id="attr.tensor_reassign",
        exporter=exporter,
        device="cpu",
        shapes="static",
        torch=RELEASES[release],
        python="3.11.7",
        outcome=outcome,
        description=DESCRIPTION,
    )
    capture = "def capture(mod, args):\n    return torch.export.export(mod, args)  # %s" % exporter
    return SEPARATOR.join([first, "import torch", capture, CLASSIFY, "main()\n"])


def outcome_of(release, exporter):
    return "holds" if (release, exporter) == ("2.10", "export_strict") else "export-error"


def streams(folder, header=HEADER, written_with=None):
    """`written_with`: release → the header its cells' texts were written with (default: the stream's)."""
    for release, torch in RELEASES.items():
        used = (written_with or {}).get(release, header)
        cells = [
            observation(
                "attr.tensor_reassign",
                exporter,
                outcome_of(release, exporter),
                {
                    "reproducer": text_of(release, exporter, outcome_of(release, exporter), used),
                    "phase": "capture",
                    "exporter_detail": "program = torch.export.export(mod, args)",
                    "warnings": ["UserWarning: something is deprecated"],
                },
            )
            for exporter in EXPORTERS
        ]
        env = environment("torch-%s-py3.11" % torch, release, torch, reproducer_header=header)
        write_stream(folder, env, cells)
    return folder


def test_each_text_is_stored_once_and_every_cell_gets_its_reproducer_back(tmp_path):
    matrix = aggregate(streams(tmp_path)).matrix
    assert matrix["schema"] == "exportmatrix/3" and problems("matrix", encode(matrix)) == []
    # the capture code and the warning; the header template, "import torch", two captures, the classifier, main()
    assert len(matrix["texts"]) == 8 and matrix["texts"].count(CLASSIFY) == 1
    assert len(matrix["reproducers"]) == 2  # one per capture code: the headers are the template's
    assert all(entry["header"] == matrix["texts"].index(HEADER) for entry in matrix["reproducers"])
    for o in matrix["observations"]:
        release = "2.4" if "2.4" in o["environment"] else "2.10"
        assert isinstance(o["evidence"]["reproducer"], int)
        assert reproducer(matrix, o) == text_of(release, o["exporter"], o["outcome"])
        assert evidence(matrix, o) == {
            "reproducer": text_of(release, o["exporter"], o["outcome"]),
            "phase": "capture",
            "exporter_detail": "program = torch.export.export(mod, args)",
            "warnings": ["UserWarning: something is deprecated"],
        }
        assert o["evidence"]["exporter_detail"] == 0 and o["evidence"]["warnings"] == [1]
    whole = sum(len(text_of(r, e, outcome_of(r, e))) for r in RELEASES for e in EXPORTERS)
    assert len(json.dumps(matrix)) < whole / 2


def test_a_first_block_that_is_not_the_template_is_kept_as_it_is(tmp_path):
    other = HEADER.replace("Observed", "Seen")  # cells reused from a stream of an older suite
    folder = streams(tmp_path, written_with={"2.4": other})
    matrix = aggregate(folder).matrix
    for o in matrix["observations"]:
        release = "2.4" if "2.4" in o["environment"] else "2.10"
        expected = text_of(release, o["exporter"], o["outcome"], header=other if release == "2.4" else HEADER)
        assert reproducer(matrix, o) == expected
    literal = [e for e in matrix["reproducers"] if e["header"] is None]
    assert len(literal) == 2  # the 2.4 cells: their first blocks stored as they are


def as_version_1(matrix):
    """The same matrix as exportmatrix/1 wrote it: each reproducer in full."""
    old = {key: value for key, value in matrix.items() if key not in ("texts", "reproducers")}
    old["schema"] = SCHEMA_1
    old["observations"] = [{**o, "evidence": evidence(matrix, o)} for o in matrix["observations"]]
    return old


def test_an_exportmatrix_1_file_is_read_and_gives_the_same_reproducers(tmp_path, capsys):
    matrix = aggregate(streams(tmp_path / "envs")).matrix
    path = tmp_path / "old.json"
    path.write_text(json.dumps(as_version_1(matrix)))
    upgraded = upgrade(json.loads(path.read_text()))
    assert upgraded["schema"] == "exportmatrix/3" and problems("matrix", encode(upgraded)) == []
    assert [evidence(upgraded, o) for o in upgraded["observations"]] == [
        evidence(matrix, o) for o in matrix["observations"]
    ]
    assert main(["repro", str(path), "2.4", "attr.tensor_reassign", "dynamo_export"]) == 0
    assert capsys.readouterr().out == text_of("2.4", "dynamo_export", "export-error")
    results = tmp_path / "results"
    results.mkdir()
    (results / "matrix.json").write_text(path.read_text())
    assert main(["report", "--results", str(results)]) == 0
    assert main(["summary", str(path)]) == 0
    assert compact(as_version_1(matrix), {})["schema"] == "exportmatrix/3"


def test_repro_prints_a_cell_and_names_what_it_cannot_find(tmp_path, capsys):
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(aggregate(streams(tmp_path / "envs")).matrix))
    assert main(["repro", str(path), "torch-2.10", "attr.tensor_reassign", "export_strict"]) == 0
    assert capsys.readouterr().out == text_of("2.10", "export_strict", "holds")
    assert main(["repro", str(path), "2.10", "attr.tensor_reassign", "aoti"]) == 2
    assert "no cell torch-2.10.0-py3.11 / attr.tensor_reassign / aoti / cpu / static" in capsys.readouterr().err
    assert main(["repro", str(path), "9.9", "attr.tensor_reassign", "aoti"]) == 2
    assert "no environment '9.9'" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text('{"schema": "exportmatrix/9"}')
    assert main(["repro", str(tmp_path / "bad.json"), "2.4", "a", "b"]) == 2
    assert "schema = 'exportmatrix/9': not a matrix file" in capsys.readouterr().err


def varied(folder):
    """Two releases whose cells share a difference, lack a reproducer or a
    duration, and carry a key or none: what the file's table must keep."""
    shared = {"what": "buffer buf", "after_call": 1, "eager": "tensor([1.])", "exported": "tensor([2.])"}
    for release, torch in RELEASES.items():
        holds = {"reproducer": text_of(release, "export_strict", "holds")}
        cells = [
            observation("b.diverges", "export_strict", "diverges", {"differences": [shared], "duration_s": 0.25}),
            observation("b.holds", "export_strict", "holds", holds),
            observation("b.error", "dynamo_export", "export-error", {"phase": "capture", "error": {"type": "E"}}),
        ]
        cells[0]["key"] = "5df3b1e6c595d0f9"  # what the cell was run from; the others have none
        write_stream(folder, environment("torch-%s-py3.11" % torch, release, torch, reproducer_header=HEADER), cells)
    return aggregate(folder).matrix


def test_the_file_is_a_table_that_gives_back_every_cell(tmp_path):
    from exportmatrix.base import decode, read_matrix, write_matrix

    matrix = varied(tmp_path / "envs")
    path = tmp_path / "matrix.json"
    write_matrix(path, matrix)
    stored = json.loads(path.read_text())
    assert stored["schema"] == "exportmatrix/3" and problems("matrix", stored) == []
    table = stored["observations"]
    assert table["values"]["environment"] == ["torch-2.4.1-py3.11", "torch-2.10.0-py3.11"]
    assert len(table["rows"]) == 6 and len(stored["differences"]) == 1  # the shared difference, once
    assert len(stored["evidence"]) == 3  # each distinct evidence once: reproducers and durations are columns
    assert read_matrix(path) == matrix == decode(stored)
    back = read_matrix(path)["observations"]
    assert back[0]["key"] == "5df3b1e6c595d0f9" and "key" not in back[1]  # a cell without a key stays without one


def test_a_reproducers_consecutive_blocks_are_stored_as_first_and_last(tmp_path):
    from exportmatrix.base import read_matrix, write_matrix

    matrix = aggregate(streams(tmp_path / "envs")).matrix
    write_matrix(tmp_path / "matrix.json", matrix)
    stored = json.loads((tmp_path / "matrix.json").read_text())
    assert all(any(isinstance(run, list) for run in entry["blocks"]) for entry in stored["reproducers"])
    back = read_matrix(tmp_path / "matrix.json")
    assert back["reproducers"] == matrix["reproducers"]
    assert [reproducer(back, o) for o in back["observations"]] == [
        reproducer(matrix, o) for o in matrix["observations"]
    ]


def test_an_exportmatrix_2_file_is_read_as_it_is(tmp_path, capsys):
    matrix = varied(tmp_path / "envs")
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**matrix, "schema": "exportmatrix/2"}))  # each cell an object, as /2 wrote it
    assert upgrade(json.loads(path.read_text())) == matrix
    assert main(["repro", str(path), "2.4", "b.holds", "export_strict"]) == 0
    assert capsys.readouterr().out == text_of("2.4", "export_strict", "holds")


def test_a_damaged_table_is_named(tmp_path, capsys):
    from exportmatrix.base import encode

    stored = encode(varied(tmp_path / "envs"))
    stored["observations"]["rows"][0][7] = 99  # an evidence the file does not have
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(stored))
    assert main(["summary", str(path)]) == 2
    assert "damaged.json: an exportmatrix/3 file whose cells cannot be read (IndexError" in capsys.readouterr().err


def test_convert_migrates_an_old_file_and_writes_cells_one_object_each(tmp_path, capsys):
    from exportmatrix.base import read_matrix

    matrix = varied(tmp_path / "envs")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(as_version_1(matrix)))
    assert main(["convert", str(old), str(tmp_path / "new.json")]) == 0
    assert json.loads((tmp_path / "new.json").read_text())["schema"] == "exportmatrix/3"
    assert read_matrix(tmp_path / "new.json")["observations"] == matrix["observations"]
    assert main(["convert", str(tmp_path / "new.json"), str(tmp_path / "flat.json"), "--schema", "exportmatrix/2"]) == 0
    flat = json.loads((tmp_path / "flat.json").read_text())
    assert flat["schema"] == "exportmatrix/2" and flat["observations"][0]["behaviour"] == "b.diverges"
    assert read_matrix(tmp_path / "flat.json")["observations"] == matrix["observations"]
    assert "wrote %s (exportmatrix/2, 6 cells)" % (tmp_path / "flat.json") in capsys.readouterr().out
