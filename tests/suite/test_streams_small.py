"""The line format writes what repeats once (exportmatrix-line/2): each
block of a reproducer is a `block` line written before the first cell that
names it, every reproducer reads back byte for byte, a cell whose process
died gets the reproducer its `started` line named, and /1 streams are still
read."""

import json

import pytest
import streams_factory as factory
from exportmatrix_suite.recorder import OUTCOME_SLOT, Recorder, previous_lines
from exportmatrix_suite.reproducer import HEADER

from exportmatrix.base import reproducer
from exportmatrix.merge.aggregate import merge
from exportmatrix.run.suite_runner import record_death
from exportmatrix.streams import LINE_FORMAT, StreamError, read_stream
from exportmatrix.streams.format import EARLIER_FORMATS

CLASSIFY = "def observe():\n    pass\n\n\ndef same():\n    pass\n"  # blocks every reproducer shares
ENVIRONMENT = factory.environment("torch-2.4.1-py3.11", "2.4", "2.4.1", reproducer_header=HEADER)
FIELDS = {"device": "cpu", "shapes": "static", "torch": "2.4.1", "python": "3.11.7"}


def text(behaviour, exporter, outcome, description="a description"):
    """A reproducer as reproducer.render makes one: its header, then blocks."""
    header = HEADER.format(id=behaviour, exporter=exporter, outcome=outcome, description=description, **FIELDS)
    blocks = [header, "import torch", "class M_%s:\n    pass" % behaviour.replace(".", "_"), exporter, CLASSIFY]
    return "\n\n\n".join(blocks)


def cell(behaviour, exporter, outcome, **evidence):
    found = {"behaviour": behaviour, "exporter": exporter, "device": "cpu", "shapes": "static", "key": behaviour}
    return {**found, "outcome": outcome, "evidence": evidence}


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_reproducer_reads_back_byte_for_byte_and_each_block_is_written_once(tmp_path):
    path = tmp_path / "env.jsonl"
    recorder = Recorder(str(path))
    recorder.write("environment", ENVIRONMENT)
    written = []
    for behaviour in ("attr.a", "attr.b", "buffer.c"):
        for exporter in ("export_strict", "compile_fullgraph"):
            observation = cell(behaviour, exporter, "holds", reproducer=text(behaviour, exporter, "holds"))
            recorder.write("observation", observation)
            written.append(observation)
    recorder.write("end", {"observations": len(written)})
    recorder.close()

    stream = read_stream(path)
    assert [o["evidence"]["reproducer"] for o in stream.observations] == [o["evidence"]["reproducer"] for o in written]
    assert stream.complete
    found = lines(path)
    assert {line["format"] for line in found} == {LINE_FORMAT} == {"exportmatrix-line/2"}
    texts = [line["block"]["text"] for line in found if line["kind"] == "block"]
    assert len(texts) == len(set(map(json.dumps, texts)))  # no block twice
    assert texts.count(CLASSIFY.split("\n\n\n")[0]) == 1
    # a block's line comes before the first cell that names it
    seen = set()
    for line in found:
        if line["kind"] == "block":
            seen.add(line["block"]["id"])
        elif line["kind"] == "observation":
            assert set(line["observation"]["evidence"]["reproducer"]) <= seen
    distinct = {block for o in written for block in o["evidence"]["reproducer"].split("\n\n\n")}
    assert len(texts) == len(distinct) < sum(len(o["evidence"]["reproducer"].split("\n\n\n")) for o in written)


def test_a_cell_whose_process_died_gets_the_reproducer_its_started_line_named(tmp_path):
    path = tmp_path / "env.jsonl.partial"
    recorder = Recorder(str(path))
    recorder.write("environment", ENVIRONMENT)
    # a cell that finished: its observation names the header its started line wrote
    started = cell("attr.a", "export_strict", None)
    del started["outcome"], started["evidence"]
    recorder.write(
        "started",
        {"test": "t1", "time": 0.0, "cell": {**started, "reproducer": text("attr.a", "export_strict", OUTCOME_SLOT)}},
    )
    recorder.write(
        "observation",
        cell("attr.a", "export_strict", "diverges", reproducer=text("attr.a", "export_strict", "diverges")),
    )
    recorder.write("finished", {"test": "t1"})
    crashing = {**started, "behaviour": "fault.segfault", "key": "k2"}
    recorder.write(
        "started",
        {
            "test": "t2",
            "time": 0.0,
            "cell": {**crashing, "reproducer": text("fault.segfault", "export_strict", OUTCOME_SLOT)},
        },
    )
    for behaviour in ("attr.a", "fault.segfault"):  # (test_declarations would come first)
        recorder.write("behaviour", {**factory.BEHAVIOUR, "id": behaviour, "description": "a description"})
    recorder.close()  # the process dies here: the host records the cell
    running = [line for line in lines(path) if line["kind"] == "started"][-1]["started"]
    assert record_death(path, running, -11, 0, 1.0) == "crash"

    stream = read_stream(path)
    diverges, crash = stream.observations
    assert diverges["evidence"]["reproducer"] == text("attr.a", "export_strict", "diverges")
    assert crash["outcome"] == "crash" and crash["evidence"]["exit"] == "killed by signal 11 (SIGSEGV)"
    assert crash["evidence"]["reproducer"] == text("fault.segfault", "export_strict", "crash")
    assert "reproducer" not in crash  # moved into its evidence
    slot_blocks = [
        line["block"] for line in lines(path) if line["kind"] == "block" and isinstance(line["block"]["text"], list)
    ]
    assert len(slot_blocks) == 2  # the headers, written once each: the finished cell named its started line's
    # merged, the crash cell prints its reproducer, its header rebuilt from the environment's template
    matrix = merge([stream])
    (crashed,) = [o for o in matrix["observations"] if o["outcome"] == "crash"]
    assert reproducer(matrix, crashed) == text("fault.segfault", "export_strict", "crash")
    assert matrix["reproducers"][crashed["evidence"]["reproducer"]]["header"] is not None


def test_a_stream_of_the_earlier_format_is_still_read(tmp_path):
    assert factory.FORMAT in EARLIER_FORMATS
    full = text("attr.a", "export_strict", "holds")
    path = factory.write_stream(tmp_path, ENVIRONMENT, [cell("attr.a", "export_strict", "holds", reproducer=full)])
    (observation,) = read_stream(path).observations
    assert observation["evidence"]["reproducer"] == full


def test_a_cell_naming_a_block_not_written_before_it_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "env.jsonl"
    rows = [
        {"format": LINE_FORMAT, "kind": "environment", "environment": ENVIRONMENT},
        {"format": LINE_FORMAT, "kind": "block", "block": {"id": 0, "text": "import torch"}},
        {
            "format": LINE_FORMAT,
            "kind": "observation",
            "observation": cell("attr.a", "export_strict", "holds", reproducer=[0, 1]),
        },
        {"format": LINE_FORMAT, "kind": "block", "block": {"id": 1, "text": "late"}},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(
        StreamError, match=r"env\.jsonl:3: the cell's reproducer names block 1, which no line before it writes"
    ):
        read_stream(path)


def test_a_block_written_twice_with_another_text_is_an_error(tmp_path):
    path = tmp_path / "env.jsonl"
    rows = [("environment", ENVIRONMENT), ("block", {"id": 0, "text": "a"}), ("block", {"id": 0, "text": "b"})]
    path.write_text("".join(json.dumps({"format": LINE_FORMAT, "kind": k, k: p}) + "\n" for k, p in rows))
    with pytest.raises(StreamError, match=r"env\.jsonl:3: block 0 written again"):
        read_stream(path)


def test_a_resumed_stream_goes_on_with_the_blocks_already_written(tmp_path):
    path = tmp_path / "env.jsonl"
    first = Recorder(str(path))
    first.write("environment", ENVIRONMENT)
    first.write(
        "observation", cell("attr.a", "export_strict", "holds", reproducer=text("attr.a", "export_strict", "holds"))
    )
    first.close()
    blocks_before = sum(line["kind"] == "block" for line in lines(path))
    again = Recorder(str(path), resume=True)
    again.write(
        "observation", cell("attr.b", "export_strict", "holds", reproducer=text("attr.b", "export_strict", "holds"))
    )
    again.close()
    added = [line["block"] for line in lines(path) if line["kind"] == "block"][blocks_before:]
    assert [block["id"] for block in added] == [blocks_before, blocks_before + 1]  # header and class, nothing else
    assert [o["evidence"]["reproducer"] for o in read_stream(path).observations] == [
        text("attr.a", "export_strict", "holds"),
        text("attr.b", "export_strict", "holds"),
    ]


def test_cells_copied_from_an_earlier_stream_keep_their_reproducers(tmp_path):
    earlier = tmp_path / "earlier.jsonl"
    recorder = Recorder(str(earlier))
    recorder.write("environment", ENVIRONMENT)
    recorder.write(
        "observation", cell("attr.a", "export_strict", "holds", reproducer=text("attr.a", "export_strict", "holds"))
    )
    started = {
        "behaviour": "fault.segfault",
        "exporter": "export_strict",
        "device": "cpu",
        "shapes": "static",
        "key": "k",
    }
    recorder.write(
        "started",
        {
            "test": "t",
            "time": 0.0,
            "cell": {**started, "reproducer": text("fault.segfault", "export_strict", OUTCOME_SLOT)},
        },
    )
    recorder.close()
    record_death(earlier, lines(earlier)[-1]["started"], -11, 0, 1.0)

    later = tmp_path / "later.jsonl"
    copying = Recorder(str(later))
    copying.write("environment", ENVIRONMENT)
    previous = previous_lines(str(earlier))
    for key in ("attr.a", "k"):
        copying.copy("observation", previous[key])
    copying.close()
    assert [o["evidence"]["reproducer"] for o in read_stream(later).observations] == [
        text("attr.a", "export_strict", "holds"),
        text("fault.segfault", "export_strict", "crash"),
    ]
