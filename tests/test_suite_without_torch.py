"""The suite in an environment where torch does not import: the environment
is still recorded, as import-failed with the reason."""

import json
import subprocess
import sys


def test_the_suite_records_import_failed_when_torch_is_missing(tmp_path, root):
    out = tmp_path / "env.jsonl"
    environment = {"id": "torch-none-py3", "session": "torch-none", "release": "none", "build": "pypi"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(root / "suite"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(root / "suite"),
            "--exportmatrix-out",
            str(out),
            "--exportmatrix-environment",
            json.dumps(environment),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
    )
    assert done.returncode == 3, done.stdout + done.stderr
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    assert line["environment"]["status"] == "import-failed"
    assert line["environment"]["reason"] == "ModuleNotFoundError: No module named 'torch'"
    assert line["environment"]["id"] == "torch-none-py3"
