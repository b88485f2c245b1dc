"""A check for a GPU machine whose python3 holds torch and pytest: the suite's
runs as children of the fork server see CUDA as a run of its own does, and
CUDA still works in the child after a sibling child crashed.

    python3 bench/gpu_forkserver_check.py OUT_FOLDER

Writes OUT_FOLDER/plain.jsonl, fork.jsonl and after-crash.jsonl (the same
cells, cpu and cuda) and prints each run's return code and CPU-seconds.
Needs only the standard library on the host side (the host package's
forkserver.py is loaded by its path)."""

import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "suite"
spec = importlib.util.spec_from_file_location("forkserver", ROOT / "src" / "exportmatrix" / "run" / "forkserver.py")
forkserver = importlib.util.module_from_spec(spec)
spec.loader.exec_module(forkserver)

BEHAVIOURS = "buffer.add_,buffer.reassign,param.reassign,input.add_,kv_cache.index_put,batchnorm.train"
ENVIRONMENT = {"id": "gpu-check", "session": "gpu-check", "release": "installed", "build": "installed"}


def command(out, *extra):
    return [
        sys.executable,
        "-m",
        "pytest",
        str(SUITE),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        "--rootdir",
        str(SUITE),
        "--exportmatrix-out",
        str(out),
        "--exportmatrix-environment",
        json.dumps(ENVIRONMENT),
        *extra,
    ]


def timed(label, call, cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    code = call(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print("%-12s exit %4d  %.1f CPU-s  %.1f s" % (label, code, cpu, time.time() - started), flush=True)
    return code


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    only = ["--exportmatrix-only-behaviour", BEHAVIOURS]
    timed("plain", subprocess.call, command(out / "plain.jsonl", *only))
    with forkserver.ForkServer(Path(sys.executable), SUITE) as server:
        timed("fork", server.call, command(out / "fork.jsonl", *only))
        faulty = ROOT / "tests" / "faults" / "faulty_behaviours.py"
        crash = command(
            out / "crash.jsonl",
            "--exportmatrix-behaviours",
            str(faulty),
            "-k",
            "fault.segfault and export_strict and cuda",
        )
        timed("crash", server.call, crash)
        timed("after-crash", server.call, command(out / "after-crash.jsonl", *only))
        print("server still serving:", server.process is not None and server.process.poll() is None)


if __name__ == "__main__":
    main()
