"""Every cell: behaviour x exporter x device, observed and recorded.

A test here passes once its observation is recorded, whatever the outcome:
the outcome is data. It fails only when the behaviour itself is broken.
"""

import pytest
import torch
from behaviours import BEHAVIOURS
from classifier import observe
from environment_probe import devices
from exporters import EXPORTERS
from fingerprint import cell_key
from reproducer import render

CELLS = [(b, e, d) for b in BEHAVIOURS for e in EXPORTERS for d in devices()]


@pytest.mark.parametrize(
    "behaviour, exporter, device", CELLS, ids=["%s-%s-%s" % (b.id, e.name, d) for b, e, d in CELLS]
)
def test_cell(behaviour, exporter, device, recorder):
    # (a cell whose key an earlier stream holds never gets here: conftest
    # copies it at collection)
    key = cell_key(torch.__version__, behaviour, exporter.name, device)
    observation = observe(behaviour, exporter, device)
    if observation["outcome"] != "unsupported":
        observation["evidence"]["reproducer"] = render(
            behaviour, exporter, device, observation["outcome"], torch.__version__
        )
    recorder.write(
        "observation",
        {"behaviour": behaviour.id, "exporter": exporter.name, "device": device, "key": key, **observation},
    )


def test_declarations(recorder):
    for behaviour in BEHAVIOURS:
        recorder.write("behaviour", behaviour.declaration())
