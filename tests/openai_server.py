"""A small OpenAI-compatible server for tests, backed by a real transformers model (the SmolLM2 demo).

It speaks the subset vLLM and llama.cpp's ``llama-server`` offer that Judge Studio uses:
``GET /v1/models``, ``POST /v1/completions`` and ``POST /v1/chat/completions``, greedy decoding with an
optional ``repetition_penalty``, ``logprobs`` (top-k per position, from the model's raw logits, as vLLM
reports them), server-sent-event streaming with ``stream_options.include_usage``, and OpenAI-style
error bodies (404 for an unknown model, 400 for a prompt longer than ``max_prompt_tokens``).

Streaming sends one event per generated token after generation finished: enough to test a client's
SSE handling, not a model of a server's timing.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse, StreamingResponse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


class OpenAICompatibleServer:
    """``with OpenAICompatibleServer(model, tokenizer) as url:`` serves ``served_name`` at ``url`` (ends in /v1)."""

    def __init__(
        self, model: Any, tokenizer: Any, *, served_name: str = "smollm2-served", max_prompt_tokens: int = 2048
    ) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.served_name = served_name
        self.max_prompt_tokens = max_prompt_tokens
        self.requests: list[dict[str, Any]] = []  # every request body, for tests to inspect
        self._lock = threading.Lock()  # one generation at a time on the shared model
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ generation
    def _generate(self, ids: list[int], body: dict[str, Any]) -> dict[str, Any]:
        import torch

        max_tokens = int(body.get("max_tokens") or 16)
        top_k = body.get("logprobs")
        if body.get("top_logprobs") is not None:  # chat API: logprobs=true + top_logprobs=k
            top_k = body["top_logprobs"] if body.get("logprobs") else None
        with self._lock, torch.inference_mode():
            input_ids = torch.tensor([ids])
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_tokens,
                do_sample=False,
                repetition_penalty=float(body.get("repetition_penalty", 1.0)),
                pad_token_id=self.tokenizer.pad_token_id,
                return_dict_in_generate=True,
                output_logits=True,
            )
        generated = out.sequences[0][len(ids) :].tolist()
        stops = {self.tokenizer.eos_token_id, *self._config_eos()}
        kept: list[int] = []
        finish = "length"
        for token in generated:
            if token in stops:
                finish = "stop"
                break
            kept.append(token)
        positions = []
        if top_k:  # the stop token's position is reported too, as vLLM does
            for step, token in enumerate(generated[: len(kept) + (finish == "stop")]):
                logprobs = torch.log_softmax(out.logits[step][0].float(), dim=-1)
                values, indices = logprobs.topk(int(top_k))
                top: dict[str, float] = {}
                for value, index in zip(values.tolist(), indices.tolist(), strict=True):
                    top.setdefault(self.tokenizer.decode([index]), value)
                positions.append((self.tokenizer.decode([token]), float(logprobs[token]), top))
        return {"ids": kept, "finish": finish, "positions": positions, "prompt_tokens": len(ids)}

    def _config_eos(self) -> list[int]:
        configured = self.model.generation_config.eos_token_id
        return configured if isinstance(configured, list) else [configured] if configured is not None else []

    def _pieces(self, ids: list[int]) -> list[str]:
        """Text added by each token (decoding prefixes keeps multi-byte characters whole)."""
        pieces, before = [], ""
        for end in range(1, len(ids) + 1):
            text = self.tokenizer.decode(ids[:end], skip_special_tokens=True)
            pieces.append(text[len(before) :])
            before = text
        return pieces

    # ------------------------------------------------------------------ HTTP
    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        def models() -> dict[str, Any]:
            entry = {"id": self.served_name, "object": "model", "owned_by": "tests", "root": "SmolLM2-135M-Instruct"}
            return {"object": "list", "data": [entry]}

        @app.post("/v1/completions", response_model=None)
        def completions(body: dict[str, Any] = Body(...)) -> Any:  # noqa: B008 - FastAPI's idiom
            self.requests.append(body)
            if body.get("model") != self.served_name:
                return _error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
            ids = self.tokenizer(body["prompt"], add_special_tokens=body.get("add_special_tokens", True))["input_ids"]
            return self._respond(body, list(ids), chat=False)

        @app.post("/v1/chat/completions", response_model=None)
        def chat(body: dict[str, Any] = Body(...)) -> Any:  # noqa: B008 - FastAPI's idiom
            self.requests.append(body)
            if body.get("model") != self.served_name:
                return _error(404, f"The model `{body.get('model')}` does not exist.", "NotFoundError")
            text = self.tokenizer.apply_chat_template(body["messages"], add_generation_prompt=True, tokenize=False)
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            return self._respond(body, list(ids), chat=True)

        return app

    def _respond(self, body: dict[str, Any], ids: list[int], *, chat: bool) -> Any:
        if len(ids) > self.max_prompt_tokens:
            return _error(
                400,
                f"This model's maximum context length is {self.max_prompt_tokens} tokens. However, you requested "
                f"{len(ids)} tokens in the messages.",
                "BadRequestError",
            )
        result = self._generate(ids, body)
        usage = {
            "prompt_tokens": result["prompt_tokens"],
            "completion_tokens": len(result["ids"]) + (result["finish"] == "stop"),
            "total_tokens": result["prompt_tokens"] + len(result["ids"]),
        }
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._events(result, usage if include_usage else None, chat=chat), media_type="text/event-stream"
            )
        text = self.tokenizer.decode(result["ids"], skip_special_tokens=True)
        choice: dict[str, Any] = {"index": 0, "finish_reason": result["finish"]}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
            choice["logprobs"] = self._logprobs(result["positions"]) if result["positions"] else None
        kind = "chat.completion" if chat else "text_completion"
        return {
            "id": "cmpl-test",
            "object": kind,
            "created": int(time.time()),
            "model": self.served_name,
            "choices": [choice],
            "usage": usage,
        }

    @staticmethod
    def _logprobs(positions: list[tuple[str, float, dict[str, float]]]) -> dict[str, Any]:
        return {
            "tokens": [token for token, _, _ in positions],
            "token_logprobs": [logprob for _, logprob, _ in positions],
            "top_logprobs": [top for _, _, top in positions],
        }

    def _events(self, result: dict[str, Any], usage: dict[str, Any] | None, *, chat: bool) -> Iterator[str]:
        pieces = self._pieces(result["ids"])
        for step, piece in enumerate(pieces):
            last = step == len(pieces) - 1
            choice: dict[str, Any] = {"index": 0, "finish_reason": result["finish"] if last else None}
            if chat:
                choice["delta"] = {"content": piece}
            else:
                choice["text"] = piece
                positions = result["positions"][step : step + 1]
                choice["logprobs"] = self._logprobs(positions) if positions else None
            yield f"data: {json.dumps({'object': 'chunk', 'choices': [choice]})}\n\n"
        if not pieces:
            yield f"data: {json.dumps({'choices': [{'index': 0, 'text': '', 'finish_reason': result['finish']}]})}\n\n"
        if usage is not None:
            yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        port = _free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openai-test-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test OpenAI-compatible server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}/v1"
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
