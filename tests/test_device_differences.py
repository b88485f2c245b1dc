"""`exportmatrix diff --devices cpu cuda`: the cells whose outcome differs
between two devices of one environment, with both evidences."""

import json

from streams_factory import environment, observation, write_stream

from exportmatrix.cli import main

DIFFERS = {"differences": [{"what": "buffer buf", "after_call": 1, "arose": "call 1", "eager": "1", "exported": "0"}]}


def test_the_cells_where_cuda_differs_from_cpu_with_both_evidences(tmp_path, capsys):
    env = environment("torch-2.11.0-py3.12", "2.11", "2.11.0+cu130", devices=["cpu", "cuda"])
    cells = [
        observation("buffer.add_", p, "holds", device=d) for p in ("export_strict", "aoti") for d in ("cpu", "cuda")
    ]
    cells[-1] = observation("buffer.add_", "aoti", "diverges", DIFFERS, device="cuda")
    cells += [observation("attr.only_cpu", "aoti", "holds")]  # observed on cpu alone: no pair
    write_stream(tmp_path / "envs", env, cells)
    assert main(["aggregate", "--results", str(tmp_path)]) == 0
    capsys.readouterr()
    matrix = str(tmp_path / "matrix.json")
    assert main(["diff", "--devices", "cpu", "cuda", "--matrix", matrix]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "| environment | cell | cpu | cuda |",
        "|---|---|---|---|",
        "| torch-2.11.0-py3.12 | buffer.add_ / aoti | holds | diverges (buffer buf) |",
    ]
    assert lines[-1] == "1 cells differ between cpu and cuda"
    assert main(["diff", "--devices", "cpu", "cuda", "--matrix", matrix, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["sides"]["cuda"]["evidence"]["differences"][0]["what"] == "buffer buf"
    assert row["sides"]["cpu"]["outcome"].startswith("holds")
    assert main(["diff", "--devices", "cpu", "rocm", "--matrix", matrix]) == 2
    assert "--devices rocm: no cell on that device" in capsys.readouterr().err
