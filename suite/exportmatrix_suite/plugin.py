"""The suite's pytest plugin, in the manner of pytest-reportlog: the hooks of
this module only add the options and register one MatrixPlugin, whose
methods are the hooks that stream the run.

    pytest suite/ --rootdir suite/ --exportmatrix-out results/envs/<id>.jsonl.partial \
        --exportmatrix-environment '{"id": ..., "release": ..., "build": ...}' \
        [--exportmatrix-cell-timeout 120] [--exportmatrix-resume | --exportmatrix-previous P] \
        [--exportmatrix-behaviours FILE ... [--exportmatrix-only-cases]] \
        [--exportmatrix-paths default,deploy] [--exportmatrix-shapes static,dynamic] \
        [--exportmatrix-only-behaviour attr.tensor_reassign]

The plugin probes the environment (exit code 3 with an import-failed
environment line when torch does not import), loads the case files (one that
cannot be loaded is listed in the environment line's `case_file_errors` and
makes the run exit 1, while everything else still runs; --exportmatrix-only-cases
observes the case files' behaviours only), marks each test started and
finished, arms a per-test time limit, skips what a resumed run already
finished (a cell's `started` line names its reproducer, so that a cell whose
process dies has one too), records each test that fails as a `failure` line
(the behaviour, and why: the host then reports the environment as not ok),
and copies each cell (and each passed eager
check) whose key an earlier stream already holds. Before the first test it
checks, once, that each rewrite the selected behaviours name computes the
same thing in eager (rewrites.py): its lines are those of a test
(rewrites.TEST), each rewrite that is not equivalent a `failure` line naming
both behaviours, and the behaviours' declaration records carry the verdicts. It parametrizes the cells: every behaviour
(of those selected), every exporter of the capture-path sets asked for
(--exportmatrix-paths, see paths.py), every device, every shape asked for;
--exportmatrix-only-behaviour narrows the behaviours to those named (the seed
file is then not run), so that one cell can be observed on its own.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import time
import traceback
from typing import Any, Dict, List, Optional

import pytest

from exportmatrix_suite.cases import load_case_files
from exportmatrix_suite.cia_collection import materialize_once_per_collection
from exportmatrix_suite.classify import SHAPES, normalise_message
from exportmatrix_suite.declare import REGISTRY, Behaviour, selected
from exportmatrix_suite.keys import cell_key, check_key
from exportmatrix_suite.paths import DEFAULT_PATHS, DEFAULT_SHAPES
from exportmatrix_suite.probe import torch_version
from exportmatrix_suite.recorder import Recorder, previous_lines

PLUGIN_NAME = "exportmatrix"
CELL_AXES = ("behaviour", "exporter", "device", "shapes")  # a cell test's parameters
PLUGIN_KEY = pytest.StashKey["MatrixPlugin"]()
FAILED_KEY = pytest.StashKey[bool]()


def pytest_addoption(parser):
    group = parser.getgroup("exportmatrix")
    group.addoption("--exportmatrix-out", default=None, help="JSON lines file the observations stream to")
    group.addoption("--exportmatrix-environment", default="{}", help="JSON object the host knows of this environment")
    group.addoption("--exportmatrix-cell-timeout", type=float, default=0, help="seconds a test may run (0: no limit)")
    group.addoption("--exportmatrix-resume", action="store_true", help="append to the stream, skip finished tests")
    group.addoption("--exportmatrix-previous", default=None, help="an earlier stream whose unchanged cells are reused")
    group.addoption(
        "--exportmatrix-behaviours",
        action="append",
        default=[],
        help="a Python file declaring more behaviours with @behaviour (repeatable)",
    )
    group.addoption(
        "--exportmatrix-only-cases",
        action="store_true",
        help="observe only the behaviours of the --exportmatrix-behaviours files (no built-ins, no seed file)",
    )
    group.addoption(
        "--exportmatrix-paths",
        default=",".join(DEFAULT_PATHS),
        help="capture paths to observe: comma-separated set names (default, deploy) or exporter names",
    )
    group.addoption(
        "--exportmatrix-only-behaviour",
        default=None,
        help="observe only these behaviours (comma-separated ids), no seed file: one cell, as a bisect asks",
    )
    group.addoption(
        "--exportmatrix-shapes",
        default=",".join(DEFAULT_SHAPES),
        help="comma-separated: static (the declared inputs), dynamic (a dimension dynamic, called at other sizes)",
    )


def _shapes(text: str) -> List[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SHAPES]
    if unknown or not chosen:
        raise pytest.UsageError("--exportmatrix-shapes: %r is not a list of %s" % (text, ", ".join(SHAPES)))
    return [name for name in SHAPES if name in chosen]


def _only_behaviours(text: Optional[str]) -> List[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


# At Python's default thresholds (700, 10, 10) the collector promotes what tracing
# keeps alive for a moment to the older generations, whose passes walk every object
# torch made at import. Collecting less often collects the same cycles later and
# changes no result; the environment line records the thresholds the suite ran with.
GC_THRESHOLDS = (100000, 20, 100)


def no_collection_after_compile() -> Optional[bool]:
    """Dynamo collects after each compile (run_gc_after_compile, where the
    release has it): the collection the thresholds put off, a few hundred
    times a run. Turned off, for the same reason; returns the setting the
    suite runs with, None where the release has no such setting."""
    try:
        import torch._dynamo.config
    except ImportError:  # the exporters report a dynamo that does not import
        return None
    if not hasattr(torch._dynamo.config, "run_gc_after_compile"):
        return None
    torch._dynamo.config.run_gc_after_compile = False
    return bool(torch._dynamo.config.run_gc_after_compile)


def pytest_configure(config):
    gc.set_threshold(*GC_THRESHOLDS)
    config.addinivalue_line(
        "markers", "keyed_check: a check of one behaviour whose pass a rerun with the same key reuses"
    )
    config.addinivalue_line("markers", "catalogue_only: a test about the built-in catalogue, not about case files")
    case_files = config.getoption("--exportmatrix-behaviours")
    only_cases = config.getoption("--exportmatrix-only-cases")
    if only_cases and not case_files:
        raise pytest.UsageError("--exportmatrix-only-cases needs at least one --exportmatrix-behaviours FILE")
    shapes = _shapes(config.getoption("--exportmatrix-shapes"))
    paths = config.getoption("--exportmatrix-paths")
    recorder = Recorder(config.getoption("--exportmatrix-out"), config.getoption("--exportmatrix-resume"))
    environment = json.loads(config.getoption("--exportmatrix-environment"))
    environment["gc_thresholds"] = list(gc.get_threshold())
    failure = probe_into(environment)
    if failure:
        if not recorder.resumed:  # a resumed stream already starts with its environment line
            recorder.write("environment", environment)
        recorder.close()
        pytest.exit("torch does not import: %s" % failure, returncode=3)
    environment["dynamo_gc_after_compile"] = no_collection_after_compile()
    environment["cia_materialized_once"] = materialize_once_per_collection()
    case_file_errors = load_case_files(case_files)
    import exportmatrix_suite.behaviours  # noqa: F401  (the catalogue joins REGISTRY; no torch yet)

    declared = list(REGISTRY)  # every behaviour, before a selection: another run's cells of them are kept
    if only_cases:
        REGISTRY[:] = selected(REGISTRY, only_cases)  # the test modules parametrize over REGISTRY
    only_behaviours = _only_behaviours(config.getoption("--exportmatrix-only-behaviour"))
    if only_behaviours:
        unknown = [name for name in only_behaviours if name not in {b.id for b in REGISTRY}]
        if unknown:
            recorder.close()
            raise pytest.UsageError(
                "--exportmatrix-only-behaviour: unknown behaviour %s (choices: %s)"
                % (", ".join(unknown), ", ".join(b.id for b in REGISTRY))
            )
        REGISTRY[:] = [b for b in REGISTRY if b.id in only_behaviours]
    if case_file_errors:  # after those the host found before installing, if any
        environment["case_file_errors"] = environment.get("case_file_errors", []) + case_file_errors
    if not recorder.resumed:
        from exportmatrix_suite.reproducer import HEADER

        recorder.write("environment", dict(environment, reproducer_header=HEADER))
    previous = previous_lines(config.getoption("--exportmatrix-previous"))
    from exportmatrix_suite.exporters import selected_exporters  # imports torch: after the probe

    try:
        exporters = selected_exporters(paths)
    except ValueError as error:
        recorder.close()
        raise pytest.UsageError("--exportmatrix-paths: %s" % error) from None
    plugin = MatrixPlugin(
        config, recorder, previous, only_cases or bool(only_behaviours), case_file_errors, exporters, shapes, declared
    )
    config.stash[PLUGIN_KEY] = plugin
    config.pluginmanager.register(plugin, PLUGIN_NAME)


def pytest_unconfigure(config):
    plugin = config.stash.get(PLUGIN_KEY, None)
    if plugin is not None:
        plugin.recorder.close()
        config.pluginmanager.unregister(plugin)
        del config.stash[PLUGIN_KEY]


def probe_into(environment: Dict[str, Any]) -> Optional[str]:
    """Add what is really installed to `environment`; if torch does not
    import, mark it import-failed and return the reason."""
    try:
        from exportmatrix_suite.probe import probe

        environment.update(probe())
    except Exception as error:
        reason = "%s: %s" % (type(error).__name__, normalise_message(str(error)))
        environment.update(status="import-failed", reason=reason, traceback=traceback.format_exc()[-2000:])
        return reason
    return None


def _cell(item) -> Optional[Dict[str, Any]]:
    """The cell a test observes (with its key), or None for other tests."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if not set(CELL_AXES) <= set(params) or not isinstance(params["behaviour"], Behaviour):
        return None  # not a cell, or the placeholder of an empty parametrization (no behaviour selected)
    behaviour, exporter, device, shapes = (params[axis] for axis in CELL_AXES)
    # the key lets the host record a crash or timeout that a rerun can reuse
    key = cell_key(torch_version(), behaviour, exporter.name, device, shapes)
    return {"behaviour": behaviour.id, "exporter": exporter.name, "device": device, "shapes": shapes, "key": key}


def _started_cell(item) -> Optional[Dict[str, Any]]:
    """The cell of a `started` line: _cell's, with the cell's reproducer
    rendered before it runs, its outcome left as the recorder's slot, so that
    a cell whose process dies (crash, timeout) still has its reproducer."""
    cell = _cell(item)
    if cell is None:
        return None
    from exportmatrix_suite.recorder import OUTCOME_SLOT
    from exportmatrix_suite.reproducer import render

    params = item.callspec.params
    try:
        cell["reproducer"] = render(
            params["behaviour"], params["exporter"], cell["device"], cell["shapes"], OUTCOME_SLOT, torch_version()
        )
    except Exception:  # the cell itself says what is wrong with its behaviour
        pass
    return cell


MAX_WHY = 4000  # characters of a failure's message kept in the stream


def failure(item, call, report) -> Dict[str, Any]:
    """The `failure` line of a test that failed: a behaviour's declaration
    check (its eager run does not change what `mutates` names), a cell whose
    behaviour is broken, the seed file's runner. The host reports the
    environment as not ok, naming the behaviour and the first line of why."""
    behaviour = getattr(getattr(item, "callspec", None), "params", {}).get("behaviour")
    declared = behaviour if isinstance(behaviour, Behaviour) else None
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, pytest.fail.Exception):  # pytest.fail(message): the message is the why
        why = str(getattr(error, "msg", None) or error)
    elif error is not None:
        why = "%s: %s" % (type(error).__name__, error)
    else:
        why = report.longreprtext
    return {
        "test": item.nodeid,
        "phase": report.when,
        "behaviour": declared.id if declared else None,
        "case_file": declared.source.file if declared and declared.source.case_file else None,
        "why": why.strip()[:MAX_WHY] or "(no message)",
    }


def _check_key(item) -> Optional[str]:
    """The key of a keyed_check test: what a cell's key holds, but the exporter."""
    behaviour = getattr(getattr(item, "callspec", None), "params", {}).get("behaviour")
    if item.get_closest_marker("keyed_check") is None or not isinstance(behaviour, Behaviour):
        return None
    return check_key(torch_version(), behaviour, item.originalname)


class MatrixPlugin:
    """One run of the suite: its stream, and the earlier stream it may reuse."""

    def __init__(
        self,
        config,
        recorder: Recorder,
        previous: Dict[str, List[Dict[str, Any]]],
        only_cases: bool = False,
        case_file_errors: Optional[List[Dict[str, str]]] = None,
        exporters: Optional[List[Any]] = None,
        shapes: Optional[List[str]] = None,
        declared: Optional[List[Behaviour]] = None,
    ):
        self.config = config
        self.recorder = recorder
        self.previous = previous  # reusable lines of an earlier run, by key
        self.cell_timeout = config.getoption("--exportmatrix-cell-timeout")
        self.only_cases = only_cases  # observe chosen behaviours only (the case files', or named ones): no seed file
        self.case_file_errors = case_file_errors or []  # the case files that could not be loaded
        self.exporters = exporters or []  # the capture paths asked for
        self.shapes = shapes or list(DEFAULT_SHAPES)
        self.declared = declared or []  # every behaviour known, selected or not
        self.rewrite_failures: List[str] = []  # the rewrites found not equivalent, each a message

    def pytest_sessionstart(self, session):
        self.check_rewrites()

    def check_rewrites(self) -> None:
        """The eager equivalence check of the selected behaviours' rewrites
        (each looked up among every behaviour declared), written as a test
        is: started, a failure line per rewrite not equivalent, finished. A
        resumed stream that already finished it does not write it again, but
        the check runs (the declaration records carry its verdicts)."""
        from exportmatrix_suite.rewrites import TEST, check_all, failure_line

        originals = [b for b in REGISTRY if b.rewrites]
        if not originals:
            return
        written = TEST not in self.recorder.already_finished
        if written:
            self.recorder.write("started", {"test": TEST, "time": time.time(), "cell": None})
        by_id = {b.id: b for b in self.declared}
        failed = [checked for checked in check_all(originals, self.declared) if checked.failed]
        self.rewrite_failures = [checked.message() for checked in failed]
        if written:
            for checked in failed:
                self.recorder.write("failure", failure_line(checked, by_id.get(checked.original)))
            self.recorder.write("finished", {"test": TEST})

    def pytest_generate_tests(self, metafunc):
        if not set(CELL_AXES) <= set(metafunc.fixturenames):
            return
        from exportmatrix_suite.probe import devices

        cells = [(b, e, d, s) for b in REGISTRY for e in self.exporters for d in devices() for s in self.shapes]
        ids = ["%s-%s-%s-%s" % (b.id, e.name, d, s) for b, e, d, s in cells]
        metafunc.parametrize(",".join(CELL_AXES), cells, ids=ids)

    def reuse(self, kind: str, key: str) -> bool:
        """Write the earlier run's lines for `key` again, if there are any."""
        lines = self.previous.get(key)
        if not lines:
            return False
        self.recorder.copy(kind, lines)
        return True

    @pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs
    def pytest_collection_modifyitems(self, config, items):
        if self.only_cases:  # the seed file is about the built-in catalogue
            catalogue = [item for item in items if item.get_closest_marker("catalogue_only") is not None]
            if catalogue:
                items[:] = [item for item in items if item.get_closest_marker("catalogue_only") is None]
                config.hook.pytest_deselected(items=catalogue)
        # a resumed run skips what its stream already finished; a rerun copies
        # each cell whose key is unchanged from the earlier stream here, at once,
        # rather than paying a test's setup and report for a copy
        skipped = [item for item in items if self._finished_before(item)]
        if skipped:
            gone = {item.nodeid for item in skipped}
            items[:] = [item for item in items if item.nodeid not in gone]
            config.hook.pytest_deselected(items=skipped)

    def _finished_before(self, item) -> bool:
        return item.nodeid in self.recorder.already_finished or self._reused(item) or self._passed_before(item)

    def _reused(self, item) -> bool:
        cell = _cell(item)
        if cell is None or not self.reuse("observation", cell["key"]):
            return False
        self.recorder.write("finished", {"test": item.nodeid, "reused": True})  # a resume skips it too
        return True

    def _passed_before(self, item) -> bool:
        key = _check_key(item)
        if key is None or not any(line.get("passed") for line in self.previous.get(key, [])):
            return False
        self.recorder.write("finished", {"test": item.nodeid, "key": key, "passed": True})
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.recorder.write("started", {"test": item.nodeid, "time": time.time(), "cell": _started_cell(item)})
        if self.cell_timeout:
            # a C-level timer: fires even when a hung op holds the GIL
            faulthandler.dump_traceback_later(self.cell_timeout, exit=True)
        try:
            return (yield)
        finally:
            if self.cell_timeout:
                faulthandler.cancel_dump_traceback_later()
            finished: Dict[str, Any] = {"test": item.nodeid}
            key = _check_key(item)
            if key:
                finished.update(key=key, passed=not item.stash.get(FAILED_KEY, False))
            self.recorder.write("finished", finished)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if report.failed and not item.stash.get(FAILED_KEY, False):  # its first failure (setup, call or teardown)
            item.stash[FAILED_KEY] = True
            self.recorder.write("failure", failure(item, call, report))
        return report

    def keep_other_selections(self) -> int:
        """Copy the cells of the earlier run of this environment that this run's
        selection leaves out (the catalogue beside --only-cases, other paths or
        shapes) and that are still valid: their key is the one this suite and
        torch give them. So a run of some cells never loses another run's."""
        from exportmatrix_suite.probe import devices

        asked = {(b.id, e.name, d, s) for b in REGISTRY for e in self.exporters for d in devices() for s in self.shapes}
        declared = {b.id: b for b in self.declared}
        kept = 0
        for key, payloads in self.previous.items():
            for payload in payloads:
                if "outcome" not in payload or "behaviour" not in payload:
                    continue  # not a cell: a check's or the seed file's line
                shapes = payload.get("shapes", "static")
                cell = (payload["behaviour"], payload["exporter"], payload["device"], shapes)
                behaviour = declared.get(cell[0])
                if cell in asked or behaviour is None:
                    continue
                if cell_key(torch_version(), behaviour, cell[1], cell[2], shapes) == key:
                    self.recorder.copy("observation", [payload])
                    kept += 1
        return kept

    def pytest_sessionfinish(self, session, exitstatus):
        self.keep_other_selections()
        if (self.case_file_errors or self.rewrite_failures) and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            # a case file was left out, or a rewrite is not what it claims: the run failed a check
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        recorder = self.recorder
        end = {"observations": recorder.observations, "reused": recorder.reused, "exitstatus": int(session.exitstatus)}
        recorder.write("end", end)
        recorder.close()

    def pytest_terminal_summary(self, terminalreporter):
        if self.case_file_errors:
            terminalreporter.section("exportmatrix: case files not loaded", red=True)
            for problem in self.case_file_errors:
                terminalreporter.line(problem["error"], red=True)
        if self.rewrite_failures:
            terminalreporter.section("exportmatrix: rewrites not equivalent in eager", red=True)
            for message in self.rewrite_failures:
                terminalreporter.line(message, red=True)


def _plugin(request) -> MatrixPlugin:
    return request.config.stash[PLUGIN_KEY]


@pytest.fixture
def recorder(request) -> Recorder:
    """The stream of this run."""
    return _plugin(request).recorder


@pytest.fixture
def reuse(request):
    """reuse(kind, key): write an earlier run's lines for `key` again; False if it has none."""
    return _plugin(request).reuse
