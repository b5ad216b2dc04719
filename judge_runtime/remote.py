"""A judge served by an OpenAI-compatible endpoint (vLLM, llama.cpp's ``llama-server``, ...), same profiles.

Name it in ``JudgeSpec.model`` as ``openai:<served model name>@<base URL>``, the base URL being the
one that ends in ``/v1``::

    load_judge(model="openai:PandaLM-7B-v1@http://127.0.0.1:8000/v1", profile="pandalm")

How a prompt is sent:

- plain-text profiles (``pandalm``, ``judgelm``): ``POST /completions`` with the profile's byte-exact
  prompt; the server tokenizes it.
- chat profiles (``mtbench-pair``, ``mtbench-single``): when a local tokenizer is available (the
  ``JudgeSpec.tokenizer`` field, or the served name is a local folder or a cached hub id) its chat
  template renders the prompt here and ``/completions`` gets the text (``add_special_tokens: false``,
  as the local engine does); otherwise ``POST /chat/completions`` gets the messages and the server
  applies its own template.

Decoding: greedy (``temperature`` 0), the spec's ``seed``, ``max_tokens`` = the preset's new tokens; a
repetition penalty other than 1 is sent both as vLLM's ``repetition_penalty`` and llama.cpp's
``repeat_penalty`` (each server ignores the other's name), except with the one-token requests that read
constrained verdicts; beam search cannot be asked for over this API, so the ``released`` PandaLM
preset (4 beams) is refused with a message.

Verdict probabilities: for profiles that open with their verdict word (PandaLM) ``/completions`` is
asked for the top ``TOP_LOGPROBS`` log-probabilities per position. An offered token counts for a
verdict word when its text is a prefix of that word, as is (SmolLM2 splits "Tie" into "T" + "ie": the
first token "T" counts, as the local engine uses each word's first token; " Tie" with a space does
not). p(1), p(2), p(tie) are those probabilities renormalised over the three words, reported only
when all three words are among the offered tokens (a missing word's probability is unknown, and
renormalising without it would overstate the others); otherwise they are None. In ``generate`` mode
they are read at the first generated position that is not blank, where the verdict word is.
``verdict_mode="constrained"`` asks for one token with log-probabilities (and the swapped order too
with ``both_orders``) and writes the verdict word with the most probability (renormalised and
averaged over the orders, as the local judge does; when some word's probability is unknown, the
offered probability in canonical order summed over the orders), then lets the server continue the
layout: any offered word beats every word that is not offered, so the choice is right even when
the probabilities cannot be given. When
no verdict word is offered at all, the case is generated freely and parsed like ``generate`` mode.

A small judge often ranks none or only some of the verdict words among its top 20 first tokens
(SmolLM2 on llama.cpp: "1" 15th, "2" and "T" absent), so constrained requests confine the first
token with ``logit_bias``: +100 (the API's maximum) on each word's first token id. An equal bias
leaves the words' relative probabilities as they were, and the chosen token is always a verdict
word. Servers differ in which log-probabilities they report: those taken after the bias (vLLM's
``--logprobs-mode processed_logprobs``, older vLLM) then offer all three words at the top; those
taken from the raw logits (llama-cpp-python, vLLM's default ``raw_logprobs``) still rank the words
among all tokens, so each word still missing is asked once more with the bias on that word alone:
the server then picks it and always reports the log-probability of the token it picked. Either
way p(1), p(2), p(tie) are the model's own, renormalised over the three words. The token ids come
from the server (``POST /tokenize``: vLLM, llama.cpp's ``llama-server``; ``POST /extras/tokenize``:
llama-cpp-python), since only the server's tokenizer is sure to match its model; a leading BOS the
server adds is removed by tokenizing the empty text too. A server without either route falls back
to the local tokenizer (``JudgeSpec.tokenizer``, or the served name when it is a local model), and
with none the requests go without a bias, as before. The ids are in the fingerprint
(``verdict_token_ids``).

Expected ratings (``rating_mode="expected"``, single-answer profiles) are refused with a
:class:`JudgeLoadError`: they need the probability of "1" then "0" (two tokens in many tokenizers)
and of the closing "]" after every rating, a second request per rating over this API, and a server
offers only its top log-probabilities. Use a local judge, or ``rating_mode="parse"``.

Requests of a batch run concurrently (``batch_size`` at a time): the server batches them itself.
Connection failures, HTTP errors and a model the server does not serve raise
:class:`RemoteJudgeError` (a :class:`JudgeLoadError`) with the endpoint and the server's message.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from judge_runtime.base import (
    Judge,
    JudgeProgress,
    JudgeResult,
    JudgeSpec,
    ResultCallback,
    average_orders,
    check_case,
    forced_prefix,
)
from judge_runtime.loading import JudgeLoadError, load_tokenizer, prompt_template_hash, resolve_model_source
from judge_runtime.profiles import VERDICTS, Case, Decoding, JudgeInputError, PairCase, Profile, render, swapped

REMOTE_PREFIX = "openai:"
TOP_LOGPROBS = 20  # vLLM's default cap (--max-logprobs); llama.cpp has none; OpenAI's own API allows 5
VERDICT_BIAS = 100.0  # logit_bias on the verdict words' first tokens: the API's maximum (vLLM clamps to +-100)
API_KEY_ENV = "JUDGE_STUDIO_API_KEY"  # sent as a bearer token when set (vLLM --api-key, llama-server --api-key)
_REMOTE_MODEL = re.compile(r"^openai:(?P<name>.+)@(?P<url>https?://\S+)$")
#: Seconds one request may wait for the server's answer (the ``remote_timeout_s`` setting's default).
DEFAULT_TIMEOUT_S: float = JudgeSpec.remote_timeout_s


class RemoteJudgeError(JudgeLoadError):
    """The judge endpoint could not be reached or refused a request; the message names the endpoint and why.
    ``lost``: the connection failed (refused, cut, timed out), as opposed to an answer the server refused;
    ``reason``: the transport's own words for it."""

    def __init__(self, message: str, *, lost: bool = False, reason: str = "") -> None:
        super().__init__(message)
        self.lost = lost
        self.reason = reason


def stopped_answering(base_url: str, tokens: int, reason: str) -> str:
    """What a judgment that lost its server half-way says (the judge had loaded and answered before, so it is
    not a loading error): the address, how far the output got, and the transport's reason."""
    where = (
        f"after {tokens} token{'s' if tokens != 1 else ''} of this judgment"
        if tokens
        else "before this judgment's output began"
    )
    because = f" ({reason})" if reason else ""
    return f"The judge server at {base_url} stopped answering {where}{because}: is it still running?"


def is_remote_model(model: str) -> bool:
    return model.startswith(REMOTE_PREFIX)


def parse_remote_model(model: str) -> tuple[str, str]:
    """``"openai:<name>@<base URL>"`` -> (served model name, base URL without a trailing slash)."""
    match = _REMOTE_MODEL.match(model.strip())
    scheme = re.match(r"^openai:.+@(?P<scheme>[A-Za-z][\w+.-]*)://", model.strip())
    if match is None and scheme is not None:
        raise JudgeLoadError(
            f"Remote judge {model!r}: the base URL's scheme is {scheme.group('scheme')!r}; an OpenAI-compatible "
            "server is reached over http or https only, e.g. 'openai:qwen2.5-7b-instruct@http://127.0.0.1:8000/v1'."
        )
    address = re.match(r"^openai:.+@(?P<url>\S+)$", model.strip())
    if match is None and address is not None and "://" not in address.group("url"):
        raise JudgeLoadError(
            f"Remote judge {model!r}: the base URL has no scheme; add http:// or https:// "
            f"(got {address.group('url')!r}), e.g. 'openai:qwen2.5-7b-instruct@http://127.0.0.1:8000/v1'."
        )
    if match is None:
        raise JudgeLoadError(
            f"Remote judge {model!r} is not of the form 'openai:<served model name>@<base URL>', "
            "e.g. 'openai:qwen2.5-7b-instruct@http://127.0.0.1:8000/v1'."
        )
    return match.group("name"), match.group("url").rstrip("/")


# ------------------------------------------------------------------------------------------ HTTP


TopLogprobs = list[tuple[str, dict[str, float]]]  # per generated position: (token, {offered token: logprob})


@dataclass(frozen=True)
class Completion:
    """One finished request: the text, why it stopped, the server's token counts, the offered log-probabilities."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    output_tokens: int | None
    top_logprobs: TopLogprobs


class ServerWait:
    """The requests to a judge server now waiting for its answer, so that a progress bar can say how long the oldest
    has waited ("waiting for the judge server, 45 s"; tester report s14 judgeeng, finding 8: a server that hung was
    waited on in silence for 10 minutes). Thread-safe: the requests of a batch run in threads of their own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}
        self._next = 0

    @contextmanager
    def request(self) -> Iterator[None]:
        """Counts the block as one request waiting for its answer."""
        with self._lock:
            key, self._next = self._next, self._next + 1
            self._started[key] = self.clock()
        try:
            yield
        finally:
            with self._lock:
                self._started.pop(key, None)

    def waited(self) -> float | None:
        """Seconds the oldest request now waiting has waited; None when none waits."""
        with self._lock:
            oldest = min(self._started.values(), default=None)
        return None if oldest is None else max(0.0, self.clock() - oldest)

    def text(self) -> str:
        """The progress bar's words while a request waits ('' when none does)."""
        waited = self.waited()
        return "" if waited is None else f"waiting for the judge server, {waited:.0f} s"


#: The process's one record of requests waiting for a judge server (``ServerWait``), read by the judging bars.
SERVER_WAIT = ServerWait()


def waiting_for_server() -> Any:
    return SERVER_WAIT.request()


def not_openai(base_url: str, path: str, body: Any) -> RemoteJudgeError:
    """The one message for JSON of the wrong shape (tester report s14 judgeeng, finding 3: a traceback ending
    "'str' object has no attribute 'get'"): what was expected where, and the start of what came."""
    what, expected = {
        "models": ("an OpenAI models list", "data[].id"),
        "chat/completions": ("an OpenAI chat completions answer", "choices[0].message.content"),
    }.get(path, ("an OpenAI completions answer", "choices[0].text"))
    got = json.dumps(body, ensure_ascii=False)
    got = got if len(got) <= 80 else got[:80] + "…"
    return RemoteJudgeError(
        f"The judge server at {base_url} answered JSON that is not {what} (expected {expected}; got {got})."
    )


def _choice(base_url: str, path: str, body: Any, *, streamed: bool = False) -> dict[str, Any]:
    """``choices[0]`` of a (streamed piece of a) completions answer, its text or message checked; raises
    :func:`not_openai` for any other shape. A streamed chat piece may hold neither ``delta`` nor ``message``
    (a last chunk with only ``finish_reason``): an empty piece (review s14, finding 7)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
    if choice is None:
        raise not_openai(base_url, path, body)
    if path == "chat/completions":
        message = choice.get("message", choice.get("delta"))
        if message is None and streamed and "message" not in choice and "delta" not in choice:
            return choice
        if not isinstance(message, dict) or not isinstance(message.get("content") or "", str):
            raise not_openai(base_url, path, body)
    elif not isinstance(choice.get("text"), str):
        raise not_openai(base_url, path, body)
    return choice


def _usage(body: dict[str, Any], name: str) -> int | None:
    """A token count of the answer's ``usage`` (None when the server reports none, or not as a number)."""
    usage = body.get("usage")
    value = usage.get(name) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _server_message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return json.dumps(body)[:500]


class OpenAIClient:
    """The few calls a judge needs, with errors that say which endpoint failed and how."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {os.environ[API_KEY_ENV]}"} if os.environ.get(API_KEY_ENV) else {}
        self.base_url = base_url
        self.timeout_s = timeout_s
        self._http = httpx.Client(
            base_url=base_url + "/", headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0)
        )

    def close(self) -> None:
        self._http.close()

    def _error(self, path: str, exc: Exception) -> RemoteJudgeError:
        import httpx

        reason = str(exc)
        if isinstance(exc, httpx.ConnectError):
            message = (
                f"Cannot reach the judge endpoint {self.base_url} ({exc}): is the server (vLLM, llama-server) "
                "running at that address?"
            )
        elif isinstance(exc, httpx.TimeoutException):
            message = (
                f"The judge endpoint {self.base_url} did not answer {path} in time ({exc or 'timed out'}; "
                f"the limit is {self.timeout_s:g} s a request: --remote-timeout-s)."
            )
        else:
            message = f"Request to the judge endpoint {self.base_url}/{path} failed: {exc}"
        return RemoteJudgeError(message, lost=True, reason=reason)

    def _check(self, path: str, response: Any) -> None:
        if response.status_code >= 400:
            response.read()
            hint = ""
            if response.status_code == 404 and path == "models" and not self.base_url.endswith("/v1"):
                hint = f" (does the URL end in /v1? OpenAI-compatible servers answer at {self.base_url}/v1)"
            raise RemoteJudgeError(
                f"The judge endpoint {self.base_url} answered HTTP {response.status_code} to {path}: "
                f"{_server_message(response)}{hint}"
            )

    def _json(self, response: Any) -> Any:
        """The answer's JSON, or a :class:`RemoteJudgeError` saying what came instead (a web server's HTML page
        on that port: tester report s14 judgeeng, finding 4, read "Expecting value: line 1 column 1")."""
        try:
            return json.loads(response.content)
        except ValueError:
            kind = str(response.headers.get("content-type") or "an answer").split(";")[0].strip() or "an answer"
            lines = [line.strip() for line in response.text.splitlines() if line.strip()]
            first = lines[0][:80] if lines else ""
            raise RemoteJudgeError(
                f"The judge server at {self.base_url} answered {kind}, not JSON (first line: {first!r}); is the URL "
                "the server's /v1 address?"
            ) from None

    def get(self, path: str) -> Any:
        import httpx

        with waiting_for_server():
            try:
                response = self._http.get(path)
            except httpx.HTTPError as exc:
                raise self._error(path, exc) from exc
        self._check(path, response)
        return self._json(response)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        import httpx

        with waiting_for_server():
            try:
                response = self._http.post(path, json=payload)
            except httpx.HTTPError as exc:
                raise self._error(path, exc) from exc
        self._check(path, response)
        return self._json(response)

    def stream(self, path: str, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Server-sent events of a streamed request, one JSON object each, until ``[DONE]``."""
        import httpx

        try:
            with self._http.stream("POST", path, json={**payload, "stream": True}) as response:
                self._check(path, response)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, ": keep-alive" comments, "event:" lines
                    data = line[len("data:") :].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError:
                        raise RemoteJudgeError(
                            f"The judge server at {self.base_url} streamed a line that is not JSON "
                            f"({data[:80]!r}); is the URL the server's /v1 address?"
                        ) from None
                    if not isinstance(event, dict):
                        raise not_openai(self.base_url, path, event)
                    if event.get("error"):
                        raise RemoteJudgeError(
                            f"The judge endpoint {self.base_url} failed while streaming: {event['error']}"
                        )
                    yield event
        except httpx.HTTPError as exc:
            raise self._error(path, exc) from exc


# ------------------------------------------------------------------------------------------ log-probabilities


def verdict_mass(top: dict[str, float], words: tuple[str, str, str]) -> dict[str, float | None]:
    """Probability of each verdict word at one position (token text -> logprob); None when it is not offered."""
    mass: dict[str, float | None] = dict.fromkeys(VERDICTS)
    for token, logprob in top.items():
        owners = [verdict for verdict, word in zip(VERDICTS, words, strict=True) if token and word.startswith(token)]
        if len(owners) == 1 and logprob is not None and math.isfinite(logprob):
            mass[owners[0]] = (mass[owners[0]] or 0.0) + math.exp(logprob)
    return mass


def renormalised(mass: dict[str, float | None]) -> dict[str, float] | None:
    """p(1), p(2), p(tie) over the three words, or None unless all three were offered."""
    if any(value is None for value in mass.values()):
        return None
    total = sum(value or 0.0 for value in mass.values())
    return None if total <= 0 else {verdict: (value or 0.0) / total for verdict, value in mass.items()}


def _top_entries(logprobs: Any) -> TopLogprobs:
    """(token, offered log-probabilities) per position, from a /completions ``logprobs`` object.

    The generated token's own log-probability (``token_logprobs``) joins the offered ones when a server
    lists it only there: it is what a forced verdict word's probability is read from."""
    if not isinstance(logprobs, dict):
        return []
    tokens = logprobs.get("tokens") or []
    tops = logprobs.get("top_logprobs") or []
    own = logprobs.get("token_logprobs") or []
    entries: TopLogprobs = []
    for index, (token, top) in enumerate(zip(tokens, tops, strict=False)):
        offered = {str(key): value for key, value in top.items()} if isinstance(top, dict) else {}
        if index < len(own) and own[index] is not None:
            offered.setdefault(str(token), own[index])
        entries.append((str(token), offered))
    return entries


def _generated_verdict_probabilities(entries: TopLogprobs, words: tuple[str, str, str]) -> dict[str, float] | None:
    """Verdict probabilities at the first generated position that is not blank (where the verdict word is)."""
    for token, top in entries:
        if token.strip():
            return renormalised(verdict_mass(top, words))
    return None


# ------------------------------------------------------------------------------------------ verdict token ids


def _tokenize_request(route: str, model: str, text: str) -> dict[str, Any]:
    if route == "tokenize":  # vLLM reads prompt/add_special_tokens, llama-server content/add_special
        return {"model": model, "prompt": text, "add_special_tokens": False, "content": text, "add_special": False}
    return {"model": model, "input": text}  # llama-cpp-python's extras/tokenize (adds BOS when the model does)


TOKENIZE_ROUTES = ("tokenize", "extras/tokenize")  # next to /v1, not under it


def _first_token_ids(tokenized: list[list[int]]) -> list[int] | None:
    """First token of each word, after the tokens of the empty text (a BOS) that lead every list."""
    empty, *words = tokenized
    firsts = []
    for tokens in words:
        rest = tokens[len(empty) :] if tokens[: len(empty)] == empty else tokens
        if not rest:
            return None
        firsts.append(rest[0])
    return firsts if len(set(firsts)) == len(firsts) else None


def _server_token_ids(client: OpenAIClient, model: str, words: Sequence[str]) -> tuple[list[int], str] | None:
    """First token ids of ``words`` from the server's own tokenizer, and the route that gave them."""
    root = client.base_url.removesuffix("/v1")
    for route in TOKENIZE_ROUTES:
        tokenized: list[list[int]] = []
        try:
            for text in ("", *words):
                tokens = client.post(f"{root}/{route}", _tokenize_request(route, model, text)).get("tokens")
                if not isinstance(tokens, list) or not all(isinstance(t, int) for t in tokens):
                    raise ValueError("no list of token ids")
                tokenized.append(tokens)
        except (RemoteJudgeError, ValueError, AttributeError):
            continue  # not this server's route (404), or an answer that is not token ids
        ids = _first_token_ids(tokenized)
        if ids is not None:
            return ids, f"server /{route}"
    return None


def verdict_token_ids(
    client: OpenAIClient, spec: JudgeSpec, served_model: str, profile: Profile, tokenizer: Any
) -> dict[str, Any] | None:
    """``{"ids": {verdict: first token id}, "from": where}`` for the ``logit_bias``, or None when unknown."""
    words = profile.verdict_words
    if words is None:
        return None
    found = _server_token_ids(client, served_model, words)
    if found is None:
        local, name = (
            (tokenizer, spec.tokenizer or served_model)
            if tokenizer is not None
            else _local_tokenizer(spec, served_model)
        )
        if local is None:
            return None
        ids = _first_token_ids([list(local(text, add_special_tokens=False)["input_ids"]) for text in ("", *words)])
        found = None if ids is None else (ids, f"local tokenizer {name}")
    if found is None:
        return None
    return {"ids": dict(zip(VERDICTS, found[0], strict=True)), "from": found[1]}


# ------------------------------------------------------------------------------------------ the judge


@dataclass(frozen=True)
class RemoteRequest:
    """What one case becomes: the endpoint, and the prompt text or the chat messages."""

    endpoint: str  # "completions" or "chat/completions"
    prompt: str | None = None
    messages: tuple[dict[str, str], ...] | None = None


class RemoteJudge(Judge):
    """A judge behind an OpenAI-compatible HTTP endpoint. Build it with ``load_judge(model="openai:…@…")``."""

    def __init__(
        self,
        spec: JudgeSpec,
        profile: Profile,
        decoding: Decoding,
        client: OpenAIClient,
        served_model: str,
        tokenizer: Any,
        fingerprint: dict[str, Any],
        verdict_ids: dict[str, Any] | None = None,
    ) -> None:
        self.spec, self.profile, self.decoding, self.fingerprint = spec, profile, decoding, fingerprint
        self.client = client
        self.served_model = served_model
        self.tokenizer = tokenizer
        self.verdict_ids = verdict_ids  # {"ids": {verdict: first token id}, "from": ...} for constrained verdicts
        self._want_probabilities = profile.verdict_words is not None

    def _with_spec(self, spec: JudgeSpec, profile: Profile, decoding: Decoding) -> Judge:
        """Nothing to share but the connection: the same profile keeps this client, another profile
        connects again (its prompt route and chat template may differ); no weights live here."""
        if decoding.num_beams > 1 or decoding.do_sample:
            raise JudgeInputError(
                f"Decoding preset {spec.decoding!r} of {profile.name} uses beam search or sampling, which an "
                "OpenAI-compatible endpoint cannot be asked for: use decoding 'fast' (greedy)."
            )
        if profile.name != self.profile.name:
            try:
                return load_remote_judge(spec, profile, decoding)
            except RemoteJudgeError:
                raise
            except JudgeLoadError as exc:
                raise JudgeInputError(str(exc)) from None
        if _wants_expected_ratings(spec, profile):
            raise JudgeInputError(EXPECTED_RATINGS_NEED_LOCAL)
        if spec.verdict_mode == "constrained" and self.fingerprint.get("api") != "completions":
            raise JudgeInputError(
                "Constrained verdicts need /completions with a text prompt; use verdict_mode 'generate'."
            )
        verdict_ids = self.verdict_ids
        if spec.verdict_mode == "constrained" and verdict_ids is None:
            verdict_ids = verdict_token_ids(self.client, spec, self.served_model, profile, self.tokenizer)
        fp = {
            **self.fingerprint,
            "decoding": asdict(decoding),
            "verdict_mode": spec.verdict_mode,
            "both_orders": spec.both_orders and spec.verdict_mode == "constrained",
            "seed": spec.seed,
        }
        _describe_bias(fp, spec, profile, verdict_ids)
        return RemoteJudge(spec, profile, decoding, self.client, self.served_model, self.tokenizer, fp, verdict_ids)

    # ---------------------------------------------------------------- requests
    def request_for(self, case: Case) -> RemoteRequest:
        """Check ``case`` and build its request (raises :class:`JudgeInputError` when it cannot be judged)."""
        check_case(self.profile, case)
        prompt = render(self.profile, case)
        if prompt.messages is None:
            return RemoteRequest("completions", prompt=prompt.text)
        if self.tokenizer is not None and getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(list(prompt.messages), add_generation_prompt=True, tokenize=False)
            return RemoteRequest("completions", prompt=text)
        return RemoteRequest("chat/completions", messages=prompt.messages)

    def validate(self, case: Case) -> None:
        self.request_for(case)

    def close(self) -> None:
        """Close the HTTP connections (the judge cannot be used afterwards)."""
        self.client.close()

    def _payload(
        self,
        request: RemoteRequest,
        *,
        max_tokens: int,
        suffix: str = "",
        logprobs: int = TOP_LOGPROBS,
        logit_bias: dict[str, float] | None = None,
        penalty: bool = True,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.served_model,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "top_p": 1.0,
            "seed": self.spec.seed,
        }
        if self.decoding.repetition_penalty != 1.0 and penalty:
            payload["repetition_penalty"] = self.decoding.repetition_penalty  # vLLM
            payload["repeat_penalty"] = self.decoding.repetition_penalty  # llama.cpp
        if request.endpoint == "chat/completions":
            payload["messages"] = list(request.messages or ())
            return payload
        payload["prompt"] = (request.prompt or "") + suffix
        if self.tokenizer is not None and self.profile.uses_chat_template:
            payload["add_special_tokens"] = False  # the chat template already wrote them (vLLM extension)
        if self._want_probabilities and not suffix:  # after a forced verdict word nothing reads them; they cost
            payload["logprobs"] = logprobs  # (llama-cpp-python ranks the whole vocabulary in Python per token)
        if logit_bias:
            payload["logit_bias"] = logit_bias
        return payload

    def _complete(self, request: RemoteRequest, *, max_tokens: int, suffix: str = "", **options: Any) -> Completion:
        body = self.client.post(
            request.endpoint, self._payload(request, max_tokens=max_tokens, suffix=suffix, **options)
        )
        choice = _choice(self.client.base_url, request.endpoint, body)  # the one check of the answer's shape
        if request.endpoint == "chat/completions":
            text, entries = str(choice["message"].get("content") or ""), []
        else:
            text, entries = choice["text"], _top_entries(choice.get("logprobs"))
        finish = choice.get("finish_reason")
        return Completion(
            text,
            finish if isinstance(finish, str) else None,
            _usage(body, "prompt_tokens"),
            _usage(body, "completion_tokens"),
            entries,
        )

    def _stream(self, request: RemoteRequest, *, suffix: str = "") -> Iterator[str | Completion]:
        """Text pieces as they arrive, then the :class:`Completion`."""
        payload = self._payload(request, max_tokens=self.decoding.max_new_tokens, suffix=suffix)
        payload["stream_options"] = {"include_usage": True}
        chat = request.endpoint == "chat/completions"
        text, finish, pieces = "", None, 0
        usage: dict[str, Any] = {}
        entries: TopLogprobs = []
        for event in self.client.stream(request.endpoint, payload):
            usage = event["usage"] if isinstance(event.get("usage"), dict) else usage
            for index in range(len(event.get("choices") or [])):  # the last event may hold the usage alone
                piece_of = {"choices": event["choices"][index:]}
                choice = _choice(self.client.base_url, request.endpoint, piece_of, streamed=True)
                said = (choice.get("delta", choice.get("message")) or {}) if chat else None
                piece = str((said.get("content") if said is not None else choice["text"]) or "")
                if not chat:
                    entries += _top_entries(choice.get("logprobs"))
                finish = choice.get("finish_reason") or finish
                if piece:
                    text += piece
                    pieces += 1
                    yield piece
        yield Completion(
            text, finish, usage.get("prompt_tokens"), usage.get("completion_tokens", pieces or None), entries
        )

    def _result(
        self, completion: Completion, started: float, prefix: str, probabilities: dict[str, float] | None
    ) -> JudgeResult:
        text = prefix + completion.text
        words = self.profile.verdict_words
        if not prefix and words is not None:  # generate mode: read the verdict word's position
            probabilities = _generated_verdict_probabilities(completion.top_logprobs, words)
        return JudgeResult(
            parsed=self.profile.parse(text, truncated=completion.finish_reason == "length"),
            raw_output=text,
            # servers that do not report usage leave the counts at 0
            prompt_tokens=int(completion.prompt_tokens or 0),
            output_tokens=int(completion.output_tokens or 0),
            latency_s=time.perf_counter() - started,
            probabilities=probabilities,
        )

    # ---------------------------------------------------------------- constrained verdicts
    def _first_token_mass(self, request: RemoteRequest) -> dict[str, float | None]:
        """Each verdict word's probability as the first token; None for a word the server did not rank."""
        words = self.profile.verdict_words
        assert words is not None
        ids = (self.verdict_ids or {}).get("ids")
        bias = {str(token): VERDICT_BIAS for token in ids.values()} if ids else None
        # no repetition penalty: like the local judge's, these are the model's own probabilities (a server that
        # reports them after its processors would otherwise penalise "1" and "2", which the prompt contains)
        entries = self._complete(request, max_tokens=1, logit_bias=bias, penalty=False).top_logprobs
        mass = verdict_mass(entries[0][1] if entries else {}, words)
        if ids:  # a server that reports raw log-probabilities: force each missing word and read its own
            for verdict in [verdict for verdict, value in mass.items() if value is None]:
                only = {str(ids[verdict]): VERDICT_BIAS}
                forced = self._complete(request, max_tokens=1, logprobs=1, logit_bias=only, penalty=False)
                token, offered = forced.top_logprobs[0] if forced.top_logprobs else ("", {})
                mass[verdict] = verdict_mass({token: offered[token]} if token in offered else {}, words)[verdict]
        return mass

    def _constrained_prefix(self, case: Case, request: RemoteRequest) -> tuple[str, dict[str, float] | None]:
        """The forced verdict word + layout, and the probabilities behind it; ("", None) when no word was offered."""
        if self.spec.verdict_mode != "constrained" or request.endpoint != "completions":
            return "", None
        shown = self._first_token_mass(request)
        masses = [shown]
        probabilities = renormalised(shown)
        if self.spec.both_orders and isinstance(case, PairCase):
            other = self._first_token_mass(self.request_for(swapped(case)))
            masses.append({"1": other["2"], "2": other["1"], "tie": other["tie"]})  # in canonical order
            other_p = renormalised(other)
            probabilities = None if probabilities is None or other_p is None else average_orders(probabilities, other_p)
        if probabilities is not None:  # the local judge's rule: the most probable word after averaging the orders
            return forced_prefix(self.profile, probabilities), probabilities
        score: dict[str, float] = {verdict: sum(mass[verdict] or 0.0 for mass in masses) for verdict in VERDICTS}
        if not any(score.values()):
            return "", None
        return forced_prefix(self.profile, score), probabilities

    # ---------------------------------------------------------------- Judge API
    def _one(self, case: Case) -> JudgeResult:
        request = self.request_for(case)
        started = time.perf_counter()
        prefix, probabilities = self._constrained_prefix(case, request)
        completion = self._complete(request, max_tokens=self.decoding.max_new_tokens, suffix=prefix)
        return self._result(completion, started, prefix, probabilities)

    def stream(self, case: Case) -> Iterator[JudgeProgress]:
        """The judgment as it streams. A server lost on the way (killed, restarted, the network cut) is a
        :class:`RemoteJudgeError` that says so, with how far the output got (tester report s13 pgteam, finding
        4: it read "The judge could not be loaded" although the judge had loaded and streamed a verdict)."""
        request = self.request_for(case)
        started = time.perf_counter()
        tokens = 0
        try:
            prefix, probabilities = self._constrained_prefix(case, request)
            if prefix:
                tokens = 1  # the verdict word the server chose
                yield JudgeProgress(prefix)
            text = prefix
            for item in self._stream(request, suffix=prefix):
                if isinstance(item, str):
                    text += item
                    tokens += 1
                    yield JudgeProgress(text)
                else:
                    yield JudgeProgress(text, self._result(item, started, prefix, probabilities))
        except RemoteJudgeError as exc:
            if not exc.lost:
                raise
            message = stopped_answering(self.client.base_url, tokens, exc.reason)
            raise RemoteJudgeError(message, lost=True, reason=exc.reason) from exc

    def _run_many(self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None) -> list[JudgeResult]:
        for case in cases:  # refuse a bad case before sending anything
            self.request_for(case)
        results: dict[int, JudgeResult] = {}
        with ThreadPoolExecutor(max_workers=max(1, batch_size), thread_name_prefix="remote-judge") as pool:
            futures = {pool.submit(self._one, case): index for index, case in enumerate(cases)}
            try:
                for future in as_completed(futures):
                    index = futures[future]
                    results[index] = future.result()
                    if on_result is not None:
                        on_result(index, results[index])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return [results[i] for i in range(len(cases))]


# ------------------------------------------------------------------------------------------ loading


def _served_entry(client: OpenAIClient, name: str) -> dict[str, Any]:
    listing = client.get("models")
    if not isinstance(listing, dict) or not isinstance(listing.get("data"), list):
        raise not_openai(client.base_url, "models", listing)
    entries = [entry for entry in listing["data"] if isinstance(entry, dict)]
    for entry in entries:
        if entry.get("id") == name:
            return entry
    served = ", ".join(str(entry.get("id")) for entry in entries) or "none"
    raise RemoteJudgeError(
        f"The judge endpoint {client.base_url} does not serve a model called {name!r}; it serves: {served}. "
        f"Use 'openai:<one of those>@{client.base_url}'."
    )


def _local_tokenizer(spec: JudgeSpec, served_model: str) -> tuple[Any, str | None]:
    """The tokenizer named in the spec (errors raised), else the served model's if it is on this machine."""
    if spec.tokenizer:
        return load_tokenizer(spec.tokenizer), spec.tokenizer
    try:
        resolve_model_source(served_model)
        return load_tokenizer(served_model), served_model
    except (JudgeLoadError, OSError, ValueError):
        return None, None


EXPECTED_RATINGS_NEED_LOCAL = (
    "Expected ratings (rating_mode 'expected') read the judge's probabilities of every rating 1-10, which needs a "
    "local judge (a model folder, .gguf file or the demo): a remote server offers only its top log-probabilities. "
    "Use rating_mode 'parse' with a remote judge."
)


def _wants_expected_ratings(spec: JudgeSpec, profile: Profile) -> bool:
    return spec.rating_mode == "expected" and profile.kind == "single"


def _describe_bias(fp: dict[str, Any], spec: JudgeSpec, profile: Profile, verdict_ids: dict[str, Any] | None) -> None:
    """Constrained runs record the verdict token ids they biased (None: no bias, the words' top ranks only)."""
    fp.pop("verdict_token_ids", None)
    fp.pop("verdict_token_ids_from", None)
    if spec.verdict_mode == "constrained" and profile.verdict_words is not None:
        fp["verdict_token_ids"] = None if verdict_ids is None else dict(verdict_ids["ids"])
        fp["verdict_token_ids_from"] = None if verdict_ids is None else verdict_ids["from"]


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {"httpx": version("httpx")}


def load_remote_judge(
    spec: JudgeSpec, profile: Profile, decoding: Decoding, *, timeout_s: float | None = None
) -> Judge:
    """Connect to the endpoint in ``spec.model``, check it serves the model, and describe it in a fingerprint.
    ``timeout_s``: how long one request may wait for its answer (default ``spec.remote_timeout_s``)."""
    served_model, base_url = parse_remote_model(spec.model)
    if _wants_expected_ratings(spec, profile):
        raise JudgeLoadError(EXPECTED_RATINGS_NEED_LOCAL)
    if decoding.num_beams > 1:
        raise JudgeLoadError(
            f"Decoding preset {spec.decoding!r} of {profile.name} uses beam search ({decoding.num_beams} beams), which "
            "an OpenAI-compatible endpoint cannot be asked for: use decoding 'fast' (greedy)."
        )
    if decoding.do_sample:
        raise JudgeLoadError("Remote judges decode greedily (temperature 0); sampling presets are not supported.")
    client = OpenAIClient(base_url, timeout_s=timeout_s or spec.remote_timeout_s)
    try:
        entry = _served_entry(client, served_model)
        # only chat profiles need a tokenizer here (for its chat template); plain prompts are tokenized by the server
        tokenizer, tokenizer_name = _local_tokenizer(spec, served_model) if profile.uses_chat_template else (None, None)
    except BaseException:
        client.close()
        raise
    local_template = tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))
    api = "chat/completions" if profile.uses_chat_template and not local_template else "completions"
    server_model = {key: entry[key] for key in ("id", "owned_by", "root", "max_model_len") if key in entry}
    fp = {
        "backend": "openai-compatible",
        "model": f"{served_model} @ {base_url}",
        "endpoint": base_url,
        "served_model": served_model,
        "server_model": server_model,
        "api": api,
        "chat_template": (
            None if not profile.uses_chat_template else f"local: {tokenizer_name}" if local_template else "server"
        ),
        "weights_digest": None,  # not visible over the API; server_model.root names the weights where vLLM tells
        "quantization": "server",
        "device_type": "remote",
        "profile": profile.name,
        "prompt_template_hash": prompt_template_hash(profile),
        "decoding": asdict(decoding),
        "top_logprobs": TOP_LOGPROBS if profile.verdict_words is not None and api == "completions" else None,
        "verdict_mode": spec.verdict_mode,
        "both_orders": spec.both_orders and spec.verdict_mode == "constrained",
        "seed": spec.seed,
        "versions": _versions(),
    }
    if spec.verdict_mode == "constrained" and api != "completions":
        client.close()
        raise JudgeLoadError("Constrained verdicts need /completions with a text prompt; use verdict_mode 'generate'.")
    verdict_ids = None
    if spec.verdict_mode == "constrained":
        try:
            verdict_ids = verdict_token_ids(client, spec, served_model, profile, tokenizer)
        except BaseException:
            client.close()
            raise
    _describe_bias(fp, spec, profile, verdict_ids)
    return RemoteJudge(spec, profile, decoding, client, served_model, tokenizer, fp, verdict_ids)


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "REMOTE_PREFIX",
    "SERVER_WAIT",
    "RemoteJudge",
    "RemoteJudgeError",
    "is_remote_model",
    "load_remote_judge",
    "parse_remote_model",
    "renormalised",
    "verdict_mass",
    "verdict_token_ids",
]
