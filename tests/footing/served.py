"""`chainboard serve` as a real subprocess on a free loopback port, for tests that need a
process to kill or logs to read."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CHAINBOARD = str(Path(sys.executable).with_name("chainboard"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback from the app; the database must cope."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()


@contextmanager
def served(log_path: Path, workers: int = 1, **environment: str) -> Iterator[Server]:
    """Serve on the database the tests use (DATABASE_URL, set by the `engine` fixture)."""
    port = free_port()
    env = {**os.environ, **environment}
    with log_path.open("ab") as log:
        command = [CHAINBOARD, "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--workers", str(workers)]
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"chainboard serve exited ({process.returncode}): "
                                     + "\n".join(server.log_lines()[-20:]))
            try:
                if httpx.get(f"{server.base_url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("chainboard serve did not answer /api/v1/health in 60 s")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
