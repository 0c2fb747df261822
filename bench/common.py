"""Shared by the bench scripts: the machine's description and docs/benchmarks.md sections.
Not a benchmark itself (run as a script it does nothing)."""

import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = PROJECT_ROOT / "docs" / "benchmarks.md"


def machine_description() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
            memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.2f} {:.2f} {:.2f} at the start".format(*os.getloadavg())
    return (f"{os.cpu_count()} CPUs (nproc), {cpu}{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}{load}")


def code_version() -> str:
    """The commit measured, and the files under app/ that differed from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=False).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "app").splitlines()]
    return f"commit {commit}" + (f" with uncommitted changes in {', '.join(changed)}"
                                 if changed else "")


def replace_section(heading: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Put `heading` (a `## ` line) and `body` in the file, in place of that section if it is
    there (up to the next `## ` heading), else at the end; other sections are kept."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(base: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"chainboard serve exited with {server.returncode}; see {log_path}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("chainboard serve did not become healthy within 60 s")


@contextmanager
def chainboard_server(env: dict[str, str], tag: str, workers: int = 1
                      ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """This venv's `chainboard serve` on a free loopback port with `env` (DATABASE_URL, ...),
    healthy before it yields (its base URL, its process); stopped afterwards. Its output goes to
    a log file named after `tag` in the temporary directory."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"chainboard-bench-{tag}-{port}.log"
    chainboard = Path(sys.executable).parent / "chainboard"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([str(chainboard), "serve", "--port", str(port),
                                   "--workers", str(workers)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, server, log_path)
            yield base, server
        finally:
            server.terminate()
            server.wait(timeout=30)
