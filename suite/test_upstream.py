"""The seed test file, run as written: does each upstream test pass here?"""

import torch
from fingerprint import environment_key
from upstream.runner import run_seed_tests


def test_seed_file(recorder):
    key = environment_key(torch.__version__)
    if recorder.reuse("upstream", key):
        return
    for verdict in run_seed_tests():
        recorder.write("upstream", {**verdict, "key": key})
