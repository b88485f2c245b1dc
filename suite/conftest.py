"""The suite's pytest plugin: probes the environment, owns the recorder.

    pytest suite/ --exportmatrix-out results/envs/<id>.jsonl \
        --exportmatrix-environment '{"id": ..., "release": ..., "build": ...}'
"""

from __future__ import annotations

import json
import os
import sys
import traceback

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from errors import normalise_message  # noqa: E402
from recorder import Recorder  # noqa: E402

RECORDER_KEY = pytest.StashKey[Recorder]()


def pytest_addoption(parser):
    group = parser.getgroup("exportmatrix")
    group.addoption("--exportmatrix-out", default=None, help="JSON lines file the observations stream to")
    group.addoption("--exportmatrix-environment", default="{}", help="JSON object the host knows of this environment")


def pytest_configure(config):
    recorder = Recorder(config.getoption("--exportmatrix-out"))
    config.stash[RECORDER_KEY] = recorder
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


def pytest_sessionfinish(session, exitstatus):
    recorder = session.config.stash.get(RECORDER_KEY, None)
    if recorder is not None:
        recorder.write("end", {"observations": recorder.observations, "exitstatus": int(exitstatus)})
        recorder.close()


@pytest.fixture
def recorder(request) -> Recorder:
    return request.config.stash[RECORDER_KEY]
