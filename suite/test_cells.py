"""Every cell: behaviour x exporter x device x shapes, observed and recorded.

The plugin parametrizes test_cell with the cells this run asks for (the
capture paths of --exportmatrix-paths, the shapes of --exportmatrix-shapes).
A test here passes once its observation is recorded, whatever the outcome:
the outcome is data. It fails only when the behaviour itself is broken.
"""

from exportmatrix_suite.behaviours import BEHAVIOURS
from exportmatrix_suite.classify import UNSUPPORTED, observe, shared_eager_trace, shared_float64_trace
from exportmatrix_suite.keys import cell_key
from exportmatrix_suite.probe import torch_version
from exportmatrix_suite.reproducer import render


def test_cell(behaviour, exporter, device, shapes, recorder):
    # (a cell whose key an earlier stream holds never gets here: the plugin
    # copies it at collection)
    key = cell_key(torch_version(), behaviour, exporter.name, device, shapes)
    observation = observe(behaviour, exporter, device, shapes, eager=shared_eager_trace, float64=shared_float64_trace)
    if observation["outcome"] != UNSUPPORTED:
        observation["evidence"]["reproducer"] = render(
            behaviour, exporter, device, shapes, observation["outcome"], torch_version()
        )
    recorder.write(
        "observation",
        {
            "behaviour": behaviour.id,
            "exporter": exporter.name,
            "device": device,
            "shapes": shapes,
            "key": key,
            **observation,
        },
    )


def test_declarations(recorder):
    for behaviour in BEHAVIOURS:
        recorder.write("behaviour", behaviour.declaration())
