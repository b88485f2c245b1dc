"""The seed test file, run as written: does each upstream test pass here?"""

from upstream.runner import run_seed_tests


def test_seed_file(recorder):
    for verdict in run_seed_tests():
        recorder.write("upstream", verdict)
