"""Short reproducers on the newest default release, torch 2.15: a few
behaviours whose cells there hold, diverge, fail to export and fail to run,
through every default capture path and both shapes; a sample covering each
outcome, path and shapes, each short reproducer run in 2.15's environment.
(2.4 and 2.10 are sampled in test_matrix_end_to_end and test_deploy_paths,
on the environments those modules run.)"""

import re

import pytest
from short_sample import check, sample
from test_matrix_end_to_end import nox

from exportmatrix.base import read_matrix

pytestmark = pytest.mark.e2e

BEHAVIOURS = "buffer.add_,global.int_rebind,attr.tensor_reassign,attr.count_by_data,param.no_grad_update"


@pytest.fixture(scope="module")
def newest(root, tmp_path_factory):
    folder = tmp_path_factory.mktemp("newest")
    text = re.sub(r"(?ms)^releases = \[.*?\]", 'releases = ["2.15"]', (root / "matrix.toml").read_text(), count=1)
    (folder / "matrix.toml").write_text(text)
    results = folder / "results"
    options = ["--only-behaviour", BEHAVIOURS, "--shapes", "static,dynamic"]
    done = nox(root, folder / "matrix.toml", results, "-s", "matrix", "--", *options)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return read_matrix(results / "matrix.json"), results


def test_short_reproducers_on_the_newest_release_print_the_recorded_outcome(root, newest, tmp_path):
    matrix, results = newest
    cells = sample(matrix, ("2.15",), most=14)
    assert {c["outcome"] for c in cells} >= {"holds", "diverges", "export-error", "run-error"}
    assert len({c["exporter"] for c in cells}) == 8 and {c["shapes"] for c in cells} == {"static", "dynamic"}
    (environment,) = matrix["environments"]
    python = root / ".nox" / ("torch-2-15-%s" % environment["python"].rsplit(".", 1)[0].replace(".", "-")) / "bin"
    assert check(results, cells, lambda cell: python / "python", tmp_path) == []
