"""One run at a time on a results folder: an OS lock (released when its
holder dies, so it never goes stale) plus a note saying who holds it."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO, Any

HELD_ENV = "EXPORTMATRIX_LOCK_HELD"  # set for the sessions a locked run starts


class Locked(Exception):
    """Another run holds the folder; the message says who."""


class ResultsLock:
    def __init__(self, results: Path):
        self.path = results / ".lock"
        self._handle: IO[str] | None = None

    def __enter__(self) -> ResultsLock:
        if os.environ.get(HELD_ENV) == str(self.path):
            return self  # a session started by the run that holds the lock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = _describe(handle.read())
            handle.close()
            raise Locked(
                "%s is in use by another run (%s); wait for it or use another results folder "
                "(EXPORTMATRIX_RESULTS)" % (self.path.parent, holder)
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "command": " ".join(sys.argv)}
            )
        )
        handle.flush()
        self._handle = handle
        os.environ[HELD_ENV] = str(self.path)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._handle is not None:
            os.environ.pop(HELD_ENV, None)
            self._handle.close()  # closing releases the lock
            self._handle = None


def _describe(note: str) -> str:
    try:
        holder = json.loads(note)
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder["since"]))
        return "pid %s on %s since %s: %s" % (holder["pid"], holder["host"], started, holder["command"])
    except (ValueError, KeyError, TypeError):
        return "holder unknown"
