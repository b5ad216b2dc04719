"""``serve-api --workers N``: N uvicorn processes, each with its own listening socket on the same port.

Why not uvicorn's ``Multiprocess`` supervisor: it hands every worker the same listening socket, and
asyncio accepts up to ``backlog`` queued connections each time a worker wakes, so when clients connect
together (annotators opening the page, a proxy filling its keep-alive pool) the first worker awake takes
most of them and keeps them: measured with ``bench/api_workers.py`` (4 workers, 64 keep-alive clients),
one worker did 46% of the work and the others waited; on a 16-core machine 8 workers gave no more
submits/s than 2. Here every worker binds its own socket with ``SO_REUSEPORT`` (Linux), and the kernel
spreads new connections over the sockets evenly by their addresses, so each worker gets its share.

The supervisor is small on purpose: start the workers, restart one that dies (not one that failed to
start, uvicorn's exit code 3: that would fail again, so everything stops), stop all on SIGINT / SIGTERM.
Where ``SO_REUSEPORT`` is missing (not Linux), uvicorn's ``Multiprocess`` is used as before.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import threading
from typing import Any


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other workers may bind too (``SO_REUSEPORT``), with
    ``TCP_NODELAY`` on what it accepts (``proto`` is TCP, see ``cli.commands._with_nodelay``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _worker(config: Any) -> None:
    """One worker process: its own socket, one uvicorn server (which handles SIGINT / SIGTERM itself)."""
    import uvicorn

    config.configure_logging()  # as uvicorn's own workers do: a config arrives here unpickled
    uvicorn.Server(config).run(sockets=[listening_socket(config.host, config.port, config.backlog)])


def serve_workers(config: Any, workers: int) -> None:
    """Run ``workers`` uvicorn workers of ``config`` until SIGINT / SIGTERM; a worker that dies is replaced."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker, as uvicorn does
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from uvicorn.config import STARTUP_FAILURE

    slots = [_start(context, config, index) for index in range(workers)]
    try:
        while not stop.wait(0.5):
            for index, process in enumerate(slots):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    raise SystemExit(f"API worker {index + 1} could not start (see its messages above).")
                print(f"API worker {index + 1} stopped (exit code {process.exitcode}): starting another.", flush=True)
                slots[index] = _start(context, config, index)
    finally:
        for process in slots:
            process.terminate()
        for process in slots:
            process.join(timeout=30)


def _start(context: Any, config: Any, index: int) -> Any:
    process = context.Process(target=_worker, args=(config,), name=f"judge-studio-api-{index + 1}")
    process.start()
    return process
