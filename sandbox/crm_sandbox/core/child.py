"""The server's second process (one API on a port of its own): started, awaited, stopped.

The child outlives neither a stop nor a kill of its parent: the parent stops it on its
way out, and the kernel sends it SIGTERM when the parent dies without a word (SIGKILL
included, ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass

import requests

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.peer import Peer
from crm_sandbox.core.process import server_command

_PR_SET_PDEATHSIG = 1
START_TIMEOUT = 120.0


class ChildError(RuntimeError):
    """The second process did not come up."""


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel send SIGTERM here when ``parent_pid`` dies; exit if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        sys.exit(0)


@dataclass
class ChildServer:
    """A running ``python -m crm_sandbox.core.server --api NAME`` of this process."""

    proc: subprocess.Popen[bytes]
    data_dir: DataDir
    api: str
    host: str
    ready: int | None
    """Read end of the pipe the child writes its port to once it listens (until read)."""
    port: int = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    def start(cls, data_dir: DataDir, api: str, host: str, port: int = 0) -> ChildServer:
        read_end, write_end = os.pipe()
        proc = subprocess.Popen(
            server_command(
                data_dir,
                "--api",
                api,
                "--port",
                str(port),
                "--parent-pid",
                str(os.getpid()),
                "--ready-fd",
                str(write_end),
            ),
            stdin=subprocess.DEVNULL,
            pass_fds=(write_end,),
        )
        os.close(write_end)
        return cls(proc, data_dir, api, host, read_end)

    def wait_until_answering(self, timeout: float = START_TIMEOUT) -> Peer:
        """Block until the child listens (its port on the pipe) and answers its health call."""
        assert self.ready is not None, "awaited once"
        with os.fdopen(self.ready, "rb") as pipe:
            self.ready = None
            readable, _, _ = select.select([pipe], [], [], timeout)
            line = pipe.readline() if readable else b""
        if not line.strip():
            self.stop()
            raise ChildError(
                f"the {self.api} process exited with {self.proc.returncode} before listening"
            )
        self.port = int(line)
        peer = Peer(self.pid, self.port, (self.api,), str(self.data_dir.ca_bundle), self.host)
        try:
            # The socket listens already: this waits for the event loop, not a guessed time.
            peer.control("GET", "health")
        except requests.RequestException as exc:
            self.stop()
            raise ChildError(f"the {self.api} process does not answer: {exc}") from exc
        return peer

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.ready is not None:
            os.close(self.ready)
            self.ready = None
