"""A real model judged right, end to end: torchvision's resnet18 in training
mode through AOTInductor on torch 2.14 and 2.15. 2.14's package loses every
BatchNorm's one-element `num_batches_tracked` update (pytorch/pytorch#165444);
2.15 keeps it, and its float noise in outputs and running statistics is judged
against a float64 run, within the bound. So 2.14 diverges naming all twenty
counters, 2.15 holds, and the change between them is `fixed`."""

import os
import re
import subprocess

import pytest
from test_matrix_end_to_end import nox

from exportmatrix.base import read_matrix
from exportmatrix.reports import outcome_changes
from exportmatrix.repro import short_reproducer

pytestmark = pytest.mark.e2e

CASES = "tests/e2e/real_model_cases.py"


@pytest.fixture(scope="module")
def resnet(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-model")
    text = (root / "matrix.toml").read_text()
    text = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.14", "2.15"]', text, count=1)
    (folder / "matrix.toml").write_text(text)
    results = folder / "results"
    arguments = ["--behaviours", str(root / CASES), "--only-cases", "--with", "torchvision", "--paths", "aoti"]
    # environments of their own: --with leaves torchvision in them, and the other tests' 2.15 has none
    saved = os.environ.get("EXPORTMATRIX_ENVDIR")
    os.environ["EXPORTMATRIX_ENVDIR"] = str(root / ".nox" / "with-torchvision")
    try:
        done = nox(root, folder / "matrix.toml", results, "-s", "matrix", "--", *arguments)
    finally:
        if saved is None:
            os.environ.pop("EXPORTMATRIX_ENVDIR")
        else:
            os.environ["EXPORTMATRIX_ENVDIR"] = saved
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return read_matrix(results / "matrix.json")


def cell(matrix, release):
    (environment,) = [e for e in matrix["environments"] if e["release"] == release]
    assert environment["status"] == "ok", environment
    assert "torchvision" in environment["packages"]
    (found,) = [o for o in matrix["observations"] if o["environment"] == environment["id"]]
    return found


def test_the_newer_package_holds_with_its_float_noise_judged_within_numerics(resnet):
    found = cell(resnet, "2.15")
    assert found["outcome"] == "holds", found["evidence"]
    judged = {(group["kind"], group["name"]) for group in found["evidence"]["numerics"]}
    assert ("output", "output") in judged
    assert all(group["error"] <= group["bound"] for group in found["evidence"]["numerics"])
    assert found["evidence"]["switches"] == {"inductor fallback_random": "on"}


def test_the_older_package_loses_every_batchnorms_count_and_the_evidence_names_all_twenty(resnet):
    found = cell(resnet, "2.14")
    assert found["outcome"] == "diverges", found["evidence"]
    (lost,) = [g for g in found["evidence"]["difference_groups"] if g["name"] == "num_batches_tracked"]
    assert lost["count"] == 20 and lost["owner"] == "BatchNorm2d"
    assert len(set(lost["names"])) == 20
    assert lost["summary"].startswith("buffer `num_batches_tracked` of 20 BatchNorm2ds")
    # the running statistics differ only by float noise: judged, not listed
    assert not [g for g in found["evidence"]["difference_groups"] if g["name"] in ("running_mean", "running_var")]


def test_the_change_from_2_14_to_2_15_is_fixed(resnet):
    (change,) = [c for c in outcome_changes(resnet) if c.behaviour == "tv.resnet18_train"]
    assert change.kind == "fixed", change


FLOAT64_CHECK = """
import torch
from exportmatrix_suite.float64 import float32_draws, module_to_float64, to_float64

class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(64, 64)
        self.register_buffer("low", torch.zeros(4, dtype=torch.float16))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.lin(x))

module = Mixed().train()
x = torch.randn(8, 64)
torch.manual_seed(1)
single = module(x)
double = module_to_float64(Mixed().train())
double.load_state_dict(module.state_dict())
assert double.lin.weight.dtype == torch.float64, double.lin.weight.dtype
assert (double.low.dtype, double.count.dtype) == (torch.float16, torch.int64)
assert to_float64((x, 3))[0].dtype == torch.float64
torch.manual_seed(1)
plain = double(to_float64(x))
torch.manual_seed(1)
with float32_draws():
    drawn = double(to_float64(x))
print("masks differ without the mode:", bool(((plain == 0) != (single == 0)).any()))
assert torch.equal(drawn == 0, single == 0), "the float64 run drew other dropout masks"
assert (drawn.float() - single).abs().max() < 1e-5
print("ok")
"""


def test_the_float64_form_keeps_half_precision_and_draws_float32_masks(resnet, root):
    """On a real torch (2.15, the environment above): float32 alone goes to
    float64, and under float32_draws a dropout drops what the float32 run drops."""
    python = root / ".nox" / "with-torchvision" / "torch-2-15-3-11" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", FLOAT64_CHECK],
        capture_output=True,
        text=True,
        cwd=root / "suite",
        env=dict(os.environ, PYTHONPATH=str(root / "suite")),
        timeout=300,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout + done.stderr


@pytest.mark.parametrize("release", ["2.14", "2.15"])
def test_the_short_reproducer_judges_what_the_cell_judged(resnet, root, release):
    """Pasted into the release's interpreter, the short form prints the cell's
    outcome: on 2.15 the float noise within numerics of its own float64 run
    (holds), on 2.14 the lost counters (diverges)."""
    found = cell(resnet, release)
    text = short_reproducer(resnet, found)
    assert text is not None
    python = root / ".nox" / "with-torchvision" / ("torch-%s-3-11" % release.replace(".", "-")) / "bin" / "python"
    done = subprocess.run([str(python), "-c", text], capture_output=True, text=True, timeout=900)
    printed = done.stdout.strip().splitlines()[-1:]
    assert printed == ["OUTCOME: %s" % found["outcome"]], done.stdout + done.stderr[-3000:]
    if found["outcome"] == "diverges":
        assert "num_batches_tracked after call 2" in done.stdout
