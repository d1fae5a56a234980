"""Loopback plumbing for tests: free ports, uvicorn in a thread, child processes that are
stopped on every path (a failed assertion or a failed start included)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_thread(
    app: Any, *, lifespan: Literal["auto", "on", "off"] = "auto", timeout: float = 30
) -> Iterator[str]:
    """Serve `app` on a free loopback port from a thread of this process (so a test can also
    reach the app's state); yields the origin. Stopped on exit."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


@contextmanager
def stopped_on_exit(*processes: subprocess.Popen[Any], timeout: float = 30) -> Iterator[None]:
    """Child processes are terminated (killed if they linger) when the block is left, however
    it is left; their pipes are closed."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
            for pipe in (process.stdout, process.stderr):
                if pipe is not None and not pipe.closed:
                    pipe.close()
