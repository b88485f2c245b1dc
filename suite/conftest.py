"""The suite's pytest plugin: probes the environment, owns the recorder,
marks each test started/finished, and arms a per-test time limit.

    pytest suite/ --exportmatrix-out results/envs/<id>.jsonl.partial \
        --exportmatrix-environment '{"id": ..., "release": ..., "build": ...}' \
        [--exportmatrix-cell-timeout 120] [--exportmatrix-resume]
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import time
import traceback

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from errors import normalise_message  # noqa: E402
from fingerprint import cell_key, check_key, previous_lines  # noqa: E402
from recorder import Recorder  # noqa: E402

RECORDER_KEY = pytest.StashKey[Recorder]()
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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "keyed_check: a check of one behaviour whose pass a rerun with the same key reuses"
    )
    for path in config.getoption("--exportmatrix-behaviours"):
        load_behaviours(path)
    recorder = Recorder(config.getoption("--exportmatrix-out"), config.getoption("--exportmatrix-resume"))
    recorder.previous = previous_lines(config.getoption("--exportmatrix-previous"))
    config.stash[RECORDER_KEY] = recorder
    if recorder.resumed:
        return  # the stream already starts with its environment line
    environment = json.loads(config.getoption("--exportmatrix-environment"))
    try:
        from environment_probe import probe

        environment.update(probe())
    except Exception as error:
        environment.update(
            status="import-failed",
            reason="%s: %s" % (type(error).__name__, normalise_message(str(error))),
            traceback=traceback.format_exc()[-2000:],
        )
        recorder.write("environment", environment)
        recorder.close()
        pytest.exit("torch does not import: %s" % environment["reason"], returncode=3)
    recorder.write("environment", environment)


def load_behaviours(path: str) -> None:
    """Import a file of behaviour declarations; they join the suite's own."""
    import importlib.util

    import behaviours  # noqa: F401  (the suite's own come first)

    name = "extra_behaviours_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs
def pytest_collection_modifyitems(config, items):
    recorder = config.stash[RECORDER_KEY]
    # a resumed run skips what its stream already finished; a rerun copies
    # each cell whose key is unchanged from the earlier stream here, at once,
    # rather than paying a test's setup and report for a copy
    skipped = [
        item
        for item in items
        if item.nodeid in recorder.already_finished or _reused(recorder, item) or _passed_before(recorder, item)
    ]
    if skipped:
        gone = {item.nodeid for item in skipped}
        items[:] = [item for item in items if item.nodeid not in gone]
        config.hook.pytest_deselected(items=skipped)


def _reused(recorder, item) -> bool:
    cell = _cell(item)
    if cell is None or not recorder.reuse("observation", cell["key"]):
        return False
    recorder.write("finished", {"test": item.nodeid, "reused": True})  # a resume skips it too
    return True


def _check_key(item):
    """The key of a keyed_check test: what a cell's key holds, but the exporter."""
    if item.get_closest_marker("keyed_check") is None:
        return None
    return check_key(torch_version(), item.callspec.params["behaviour"], item.originalname)


def _passed_before(recorder, item) -> bool:
    key = _check_key(item)
    if key is None or not any(line.get("passed") for line in recorder.previous.get(key, [])):
        return False
    recorder.write("finished", {"test": item.nodeid, "key": key, "passed": True})
    return True


def _cell(item):
    callspec = getattr(item, "callspec", None)
    if callspec is None or not {"behaviour", "exporter", "device"} <= set(callspec.params):
        return None
    params = callspec.params
    behaviour, exporter, device = params["behaviour"], params["exporter"].name, params["device"]
    # the key lets the host record a crash or timeout that a rerun can reuse
    key = cell_key(torch_version(), behaviour, exporter, device)
    return {"behaviour": behaviour.id, "exporter": exporter, "device": device, "key": key}


def torch_version() -> str:
    import torch

    return str(torch.__version__)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    recorder = item.config.stash[RECORDER_KEY]
    recorder.write("started", {"test": item.nodeid, "time": time.time(), "cell": _cell(item)})
    limit = item.config.getoption("--exportmatrix-cell-timeout")
    if limit:
        # a C-level timer: fires even when a hung op holds the GIL
        faulthandler.dump_traceback_later(limit, exit=True)
    try:
        return (yield)
    finally:
        if limit:
            faulthandler.cancel_dump_traceback_later()
        finished = {"test": item.nodeid}
        key = _check_key(item)
        if key:
            finished.update(key=key, passed=not item.stash.get(FAILED_KEY, False))
        recorder.write("finished", finished)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        item.stash[FAILED_KEY] = True
    return report


def pytest_sessionfinish(session, exitstatus):
    recorder = session.config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.write(
            "end", {"observations": recorder.observations, "reused": recorder.reused, "exitstatus": int(exitstatus)}
        )
        recorder.close()


@pytest.fixture
def recorder(request) -> Recorder:
    return request.config.stash[RECORDER_KEY]
