"""Runs pytest in forked children of one process that imported torch once.

    python suite/forkserver.py REPLY_FD      (the host's run/forkserver.py starts it)

Each line on stdin is a JSON list: the arguments of one `python -m pytest`
run. A child forked from this process runs it and exits; this process writes
"started" to REPLY_FD once the child is forked, then the child's return code,
negative for a signal, as subprocess does. A cell that kills its process kills
a child, and the suite resumes in a fresh child without importing torch again:
on 2 cores an import costs seconds, and a release that crashes ten times paid
it ten times.

The parent only imports; it runs no torch op, so the child starts from a
process in which no thread pool was started yet. Where torch does not import
here, the children import it themselves and report it as a run without the
server would (the probe's import-failed line).
"""

import gc
import importlib
import json
import os
import sys
import traceback

PRELOADED = ("torch", "torch.fx", "torch._dynamo", "torch.export")


def preload():
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: B036 - the child's own import reports what went wrong
            return


def die_with_parent():
    """A child outlives a server killed from outside; it must not go on
    writing the stream the next run writes (Linux's PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))
    except (OSError, AttributeError):
        pass


def run_pytest(arguments):
    """In the child: what `python -m pytest ARGUMENTS` does, then exit."""
    code = 1
    die_with_parent()
    try:
        import pytest

        sys.argv = ["pytest", *arguments]
        sys.path[0] = os.getcwd()  # as `python -m` puts it
        code = int(pytest.main(arguments))
    except BaseException:  # noqa: B036
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main():
    reply = os.fdopen(int(sys.argv[1]), "w")
    preload()
    # what the import made lives as long as the server: frozen, the children's
    # collections never walk it, nor write to its pages and copy them
    gc.freeze()
    for line in sys.stdin:
        arguments = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child == 0:
            reply.close()
            run_pytest(arguments)
        reply.write("started\n")  # from here on, a death of this process is this run's
        reply.flush()
        _, status = os.waitpid(child, 0)
        reply.write("%d\n" % os.waitstatus_to_exitcode(status))
        reply.flush()
    # no finalization: the frozen heap is never collected, and extension modules
    # (triton's) would report every object of it as leaked
    os._exit(0)


if __name__ == "__main__":
    main()
