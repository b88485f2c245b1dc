"""One process per environment that imports torch once and forks a child for
each run of the suite (suite/forkserver.py): a resume after a crash starts
from an imported torch instead of importing it again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Sequence

# fork after importing torch is what torch's own DataLoader workers do on Linux;
# elsewhere (macOS frameworks) a fork of a process that loaded them is not safe
SUPPORTED = sys.platform.startswith("linux")


class ForkServer:
    """`call(command, env=None)`, as subprocess.call, for `python -m pytest ...`
    commands of one Python: run in a child of the server. Where the server
    is gone (it died, or never started), the command runs as a process of
    its own, as it would without one."""

    def __init__(self, python: Path, suite_dir: Path, variables: dict[str, str] | None = None):
        self.python = str(python)
        self.variables = variables
        self.process: subprocess.Popen | None = None
        self.replies: IO[str] | None = None
        script = suite_dir / "forkserver.py"
        if not script.is_file():  # a suite folder from before the server: each run a process
            return
        reply_read, reply_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [self.python, str(script), str(reply_write)],
                stdin=subprocess.PIPE,
                env=variables,
                pass_fds=(reply_write,),
            )
        except OSError:
            self.process = None
            os.close(reply_read)
        finally:
            os.close(reply_write)
        self.replies = os.fdopen(reply_read, "r") if self.process else None

    def serves(self, command: Sequence[str], env: dict[str, str] | None) -> bool:
        return (
            self.process is not None
            and self.process.poll() is None
            and list(command[:3]) == [self.python, "-m", "pytest"]
            and env == self.variables
        )

    def call(self, command: Sequence[str], env: dict[str, str] | None = None) -> int:
        if self.serves(command, env):
            assert self.process is not None and self.process.stdin is not None and self.replies is not None
            started = ""
            try:
                self.process.stdin.write((json.dumps(list(command[3:])) + "\n").encode())
                self.process.stdin.flush()
                started = self.replies.readline()
                answer = self.replies.readline()
                if started.strip() == "started" and answer.strip():
                    return int(answer)
            except (OSError, ValueError):
                pass
            returncode = self.close()  # later runs go without a server
            if started.strip() == "started":
                # killed from outside while its child ran: that is this run's end, as it
                # would be for a process of its own
                return returncode
            # it died before running anything (while importing torch, say): nothing of
            # this run happened, and it runs as a process of its own
        return subprocess.call(list(command), env=env)

    def close(self) -> int:
        """Stop the server (it exits when its input ends); its return code."""
        returncode = 0
        if self.process is not None:
            if self.process.stdin is not None:
                try:
                    self.process.stdin.close()
                except OSError:
                    pass
            returncode = self.process.wait()
            self.process = None
        if self.replies is not None:
            self.replies.close()
            self.replies = None
        return returncode

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
