"""A `.partial` stream a killed run left behind: resumed when the same
request is repeated (cut back to its last finished test), removed otherwise;
either way the run says so."""

import json

from streams_factory import line

from exportmatrix.run.suite_runner import run_suite

ENVIRONMENT = {"id": "torch-2.4.1-py3.11", "session": "torch-2.4", "fingerprint": "aaaa"}
CELL = {"behaviour": "b", "exporter": "export_strict", "device": "cpu", "outcome": "holds", "evidence": {}}


def left_behind(folder, environment=ENVIRONMENT):
    """A stream killed while its second test ran, its last line cut short."""
    partial = folder / "torch-2.4.1-py3.11.jsonl.partial"
    lines = [
        line("environment", environment),
        line("started", {"test": "test_cells.py::test_cell[a]", "time": 1.0}),
        line("observation", dict(CELL, behaviour="a")),
        line("finished", {"test": "test_cells.py::test_cell[a]"}),
        line("started", {"test": "test_cells.py::test_cell[b]", "time": 2.0}),
        line("observation", CELL),
    ]
    partial.write_text("\n".join(lines) + "\n" + '{"format": "exportmatrix-line/1", "kind": "obs')
    return folder / "torch-2.4.1-py3.11.jsonl", partial


def run(final, reuse=True, environment=ENVIRONMENT):
    commands = []

    def call(command, env=None):  # the suite: here it only finishes the stream
        commands.append(command)
        with open(final.with_name(final.name + ".partial"), "a" if "--exportmatrix-resume" in command else "w") as f:
            f.write(line("end", {"reused": 0}) + "\n")
        return 0

    run_suite(final.parent / "python", final.parent, final, environment, 60, reuse=reuse, call=call)
    return commands


def test_the_same_request_resumes_it_from_its_last_finished_test(tmp_path, capsys):
    final, partial = left_behind(tmp_path)
    (command,) = run(final)
    assert "--exportmatrix-resume" in command
    assert "%s: left by a run that stopped after 2 cells; the same request: resuming it" % partial in (
        capsys.readouterr().out
    )
    kinds = [json.loads(text)["kind"] for text in final.read_text().splitlines()]
    # the cut line and the unfinished test are gone; the resumed run appended after the finished one
    assert kinds == ["environment", "started", "observation", "finished", "end"]


def test_another_request_or_a_fresh_run_removes_it(tmp_path, capsys):
    final, partial = left_behind(tmp_path)
    (command,) = run(final, environment=dict(ENVIRONMENT, fingerprint="bbbb"))
    assert "--exportmatrix-resume" not in command
    out = capsys.readouterr().out
    assert "%s: left by a run that stopped after 2 cells, written for another request" % partial in out
    assert [json.loads(text)["kind"] for text in final.read_text().splitlines()] == ["end"]

    final, partial = left_behind(tmp_path)
    (command,) = run(final, reuse=False)
    assert "--exportmatrix-resume" not in command
    assert "a fresh run was asked for; removed" in capsys.readouterr().out


def test_a_partial_of_another_environment_of_the_session_is_removed(tmp_path, capsys):
    from exportmatrix.streams.folder import remove_stale

    envs = tmp_path / "envs"
    envs.mkdir()
    _, older = left_behind(envs, dict(ENVIRONMENT, id="torch-2.4.0-py3.11"))
    older = older.rename(envs / "torch-2.4.0-py3.11.jsonl.partial")
    _, own = left_behind(envs)  # the one this run may resume: kept
    remove_stale(tmp_path, "torch-2.4", envs / "torch-2.4.1-py3.11.jsonl")
    assert not older.exists() and own.exists()
    assert "%s: left by a killed run of another environment of torch-2.4; removed" % older in capsys.readouterr().out
