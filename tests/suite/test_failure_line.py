"""A test of the suite that fails is recorded as a `failure` line (the
behaviour it is about, and why), once per test, in the line format the host
reads (no torch needed)."""

from types import SimpleNamespace

import pytest
import streams_factory as factory
from exportmatrix_suite.declare import Behaviour, Source, mutates_problem
from exportmatrix_suite.plugin import FAILED_KEY, MatrixPlugin, failure
from exportmatrix_suite.recorder import Recorder

from exportmatrix.schemas import problems
from exportmatrix.streams import LINE_FORMAT, read_stream

NODE = "test_behaviours.py::test_the_eager_run_performs_the_mutation_it_names[mine.model]"


class Module:
    def __call__(self, x):
        return x


def _inputs():
    return (1.0,)


MODEL = Behaviour(
    "mine.model",
    "d",
    ("user",),
    Module,
    _inputs,
    mutates=("buffer *.running_mean",),
    source=Source("cases.py", None, True),
)
WHY = mutates_problem(MODEL, ["buffer bn.running_mean", "buffer bn.num_batches_tracked"])


def item(behaviour=MODEL, nodeid=NODE):
    return SimpleNamespace(
        nodeid=nodeid, callspec=SimpleNamespace(params={"behaviour": behaviour}), stash=pytest.Stash()
    )


def failed_call(error):
    return SimpleNamespace(excinfo=SimpleNamespace(value=error))


def report(when="call", failed=True):
    return SimpleNamespace(when=when, failed=failed, longreprtext="the long report")


def test_a_failed_declaration_check_names_the_behaviour_its_case_file_and_why():
    line = failure(item(), failed_call(pytest.fail.Exception(WHY, pytrace=False)), report())
    assert line == {"test": NODE, "phase": "call", "behaviour": "mine.model", "case_file": "cases.py", "why": WHY}
    assert (
        line["why"].splitlines()[0]
        == "mutates does not match the eager run: 1 of the 2 names it changed matches no entry"
    )
    assert problems("line", {"format": LINE_FORMAT, "kind": "failure", "failure": line}) == []


def test_an_exception_is_its_type_and_message_and_a_test_of_no_behaviour_is_named_by_its_id():
    line = failure(
        item(behaviour=None, nodeid="test_upstream.py::test_seed_file"), failed_call(KeyError("x")), report()
    )
    assert line == {"test": "test_upstream.py::test_seed_file", "phase": "call", "behaviour": None, "case_file": None,
                    "why": "KeyError: 'x'"}  # fmt: skip
    built_in = Behaviour("buffer.add_", "d", ("test",), Module, _inputs, source=Source("exportmatrix_suite/x.py", None))
    assert failure(item(built_in), failed_call(ValueError("no")), report())["case_file"] is None


def run_hook(plugin, test, call, made):
    """Drive the plugin's makereport wrapper as pytest does: it gets the report, and returns it."""
    hook = plugin.pytest_runtest_makereport(test, call)
    next(hook)
    with pytest.raises(StopIteration) as done:
        hook.send(made)
    return done.value.value


def test_the_plugin_writes_one_failure_line_per_test_and_the_host_reads_it(tmp_path):
    path = tmp_path / "torch-2.4.1-py3.11.jsonl"
    recorder = Recorder(str(path))
    recorder.write("environment", factory.environment("torch-2.4.1-py3.11", "2.4", "2.4.1"))
    plugin = MatrixPlugin(SimpleNamespace(getoption=lambda name: 0), recorder, {})
    test = item()
    passed = report(when="setup", failed=False)
    assert run_hook(plugin, test, SimpleNamespace(excinfo=None), passed) is passed
    run_hook(plugin, test, failed_call(pytest.fail.Exception(WHY, pytrace=False)), report())
    run_hook(plugin, test, failed_call(RuntimeError("teardown too")), report(when="teardown"))  # not a second line
    assert test.stash[FAILED_KEY]
    recorder.write("end", {"observations": 0})
    recorder.close()
    stream = read_stream(path)
    assert stream.complete
    assert stream.failures == [
        {"test": NODE, "phase": "call", "behaviour": "mine.model", "case_file": "cases.py", "why": WHY}
    ]
