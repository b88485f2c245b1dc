"""Every cell: behaviour x exporter x device, observed and recorded.

A test here passes once its observation is recorded, whatever the outcome:
the outcome is data. It fails only when the behaviour itself is broken.
"""

import pytest
from exportmatrix_suite.behaviours import BEHAVIOURS
from exportmatrix_suite.classify import UNSUPPORTED, observe
from exportmatrix_suite.exporters import EXPORTERS
from exportmatrix_suite.keys import cell_key
from exportmatrix_suite.probe import devices, torch_version
from exportmatrix_suite.reproducer import render

CELLS = [(b, e, d) for b in BEHAVIOURS for e in EXPORTERS for d in devices()]


@pytest.mark.parametrize(
    "behaviour, exporter, device", CELLS, ids=["%s-%s-%s" % (b.id, e.name, d) for b, e, d in CELLS]
)
def test_cell(behaviour, exporter, device, recorder):
    # (a cell whose key an earlier stream holds never gets here: the plugin
    # copies it at collection)
    key = cell_key(torch_version(), behaviour, exporter.name, device)
    observation = observe(behaviour, exporter, device)
    if observation["outcome"] != UNSUPPORTED:
        observation["evidence"]["reproducer"] = render(
            behaviour, exporter, device, observation["outcome"], torch_version()
        )
    recorder.write(
        "observation",
        {"behaviour": behaviour.id, "exporter": exporter.name, "device": device, "key": key, **observation},
    )


def test_declarations(recorder):
    for behaviour in BEHAVIOURS:
        recorder.write("behaviour", behaviour.declaration())
