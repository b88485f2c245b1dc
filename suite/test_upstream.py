"""The seed test file, run as written: does each upstream test pass here?"""

import pytest
from exportmatrix_suite.keys import environment_key
from exportmatrix_suite.probe import torch_version
from exportmatrix_suite.upstream.runner import run_seed_tests


@pytest.mark.catalogue_only  # not run with --exportmatrix-only-cases
def test_seed_file(recorder, reuse):
    key = environment_key(torch_version())
    if reuse("upstream", key):
        return
    for verdict in run_seed_tests():
        recorder.write("upstream", {**verdict, "key": key})
