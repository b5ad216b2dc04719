"""Your own judge prompt: a template with placeholders and a verdict rule, turned into a judge profile.

A :class:`CustomPrompt` is pure data (template text, optional system prompt, kind, verdict rule, rubric
text); :class:`CustomProfile` is the profile built from it, with the same face as the built-in ones
(``build_prompt``, ``parse``, ``decoding_presets``...). Each prompt is identified by its ``hash``: the
SHA-256 of the canonical JSON of everything that changes what the judge reads or how its output is
read (template, system prompt, verdict rule, kind, chat flag, rubric). The profile is named
``custom:<name>@<first 12 hex>``, and that name and the rendered template are part of every judge
fingerprint, so each saved version of a prompt is its own judge run.

Checks happen before any model time is spent (:func:`validate`): a template that cannot render (unknown
placeholder, unbalanced braces, a missing response placeholder) or a rule that finds no verdict in the
user's test output is refused with an :class:`errors.InvalidInput` that says what is wrong.

Parsing is strict, like the built-in profiles: every well-formed marker (or regex match) is found and
the LAST one decides; a last match whose value is not in the rule's vocabulary, or no match at all,
gives status ``unparsed`` (``truncated`` at the token limit), never a guessed verdict.

Verdict probabilities (pair prompts with a marker rule, local judges): the judge writes freely, then one
forward pass scores every marker of the rule as the continuation of the prompt + its output up to where the
last marker starts (:func:`marker_probabilities`); markers of one verdict add up. The verdict stays the
parsed one. A regex rule gives none (its candidate strings are not known), nor does an unparsed output.

Why ``string.Formatter`` and ``re`` rather than a template library (Jinja): the built-in judges' templates
are ``str.format`` templates, the placeholder syntax people already see in their prompts, and a
Formatter parse tells exactly which placeholder or brace is wrong; Jinja would add loops and
attribute access that a judge prompt has no use for and that would have to be sandboxed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from errors import InvalidInput
from judge_runtime.profiles import (
    VERDICTS,
    CaseKind,
    Decoding,
    JudgeInputError,
    PairCase,
    ParsedJudgment,
    Prompt,
    SingleCase,
    Verdict,
    register_profiles,
)

CUSTOM_PREFIX = "custom:"
PAIR_PLACEHOLDERS = ("instruction", "input", "response1", "response2", "reference", "rubric")
SINGLE_PLACEHOLDERS = ("instruction", "input", "response", "reference", "rubric")
REQUIRED = {"pair": ("response1", "response2"), "single": ("response",)}
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHORT_HASH = 12
DEFAULT_SCORE_RANGE = (1.0, 10.0)
# "[[A]]" / "[[B]]" / "[[C]]" as MT-Bench writes them: the markers a new prompt starts from.
DEFAULT_MARKERS: tuple[tuple[str, str], ...] = (("[[A]]", "1"), ("[[B]]", "2"), ("[[C]]", "tie"))
RuleKind = Literal["markers", "regex"]


@dataclass(frozen=True)
class VerdictRule:
    """How a verdict is read from the judge's output.

    ``markers``: ``markers`` maps each marker text (e.g. ``[[A]]``) to a verdict ("1", "2", "tie") for pair
    prompts, or to a score (e.g. ``"[[7]]" -> "7"``) for single prompts; the last marker in the output wins.
    ``regex``: ``pattern`` with a named group ``verdict`` (pair) or ``score`` (single); the last match wins.
    Pair: the group's text is looked up in ``values`` (e.g. ``{"A": "1", "B": "2", "tie": "tie"}``; empty:
    the text must itself be 1, 2 or tie, any case). Single: the group must be a number in ``score_range``.
    """

    kind: RuleKind = "markers"
    markers: tuple[tuple[str, str], ...] = DEFAULT_MARKERS
    pattern: str = ""
    values: tuple[tuple[str, str], ...] = ()
    score_range: tuple[float, float] = DEFAULT_SCORE_RANGE

    def as_dict(self) -> dict[str, Any]:
        """The rule as plain JSON (stored beside the prompt, hashed with it)."""
        if self.kind == "markers":
            markers = {m: v for m, v in self.markers}
            return {"kind": "markers", "markers": markers, "score_range": list(self.score_range)}
        return {
            "kind": "regex",
            "pattern": self.pattern,
            "values": {k: v for k, v in self.values},
            "score_range": list(self.score_range),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "verdict rule") -> VerdictRule:
        """A rule from JSON: ``{"kind": "markers", "markers": {"[[A]]": "1", ...}}`` or
        ``{"kind": "regex", "pattern": "...(?P<verdict>A|B|C)...", "values": {"A": "1", ...}}``."""
        if not isinstance(data, Mapping):
            raise InvalidInput(f"The {where} must be an object with a 'kind' (markers or regex), got {data!r}.")
        kind = data.get("kind", "markers" if "markers" in data else "regex" if "pattern" in data else None)
        score_range = _score_range(data.get("score_range", DEFAULT_SCORE_RANGE), where)
        if kind == "markers":
            markers = data.get("markers", dict(DEFAULT_MARKERS))
            if not isinstance(markers, Mapping) or not markers:
                raise InvalidInput(
                    f'The {where}\'s \'markers\' must map marker text to a verdict, e.g. {{"[[A]]": "1"}}.'
                )
            return cls("markers", tuple((str(k), str(v)) for k, v in markers.items()), score_range=score_range)
        if kind == "regex":
            values = data.get("values") or {}
            if not isinstance(values, Mapping):
                raise InvalidInput(f'The {where}\'s \'values\' must map captured text to a verdict, e.g. {{"A": "1"}}.')
            pattern = data.get("pattern")
            if not isinstance(pattern, str) or not pattern:
                raise InvalidInput(f"The {where} of kind 'regex' needs a 'pattern'.")
            return cls(
                "regex", (), pattern, tuple((str(k), str(v)) for k, v in values.items()), score_range=score_range
            )
        raise InvalidInput(f"The {where}'s 'kind' must be 'markers' or 'regex', got {kind!r}.")


def _score_range(value: Any, where: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidInput(f"The {where}'s 'score_range' must be two numbers [low, high], got {value!r}.") from None
    if low >= high:
        raise InvalidInput(f"The {where}'s 'score_range' must go from low to high, got {value!r}.")
    return low, high


@dataclass(frozen=True)
class CustomPrompt:
    """A judge prompt written by a user. ``chat``: the system prompt and template go to the judge model as
    chat messages through its chat template (as MT-Bench's, Prometheus' and Arena-Hard's do); off: the
    template is the model's whole input, as plain text (PandaLM's way), and a system prompt is refused."""

    name: str
    template: str
    system: str = ""
    kind: CaseKind = "pair"
    rule: VerdictRule = field(default_factory=VerdictRule)
    chat: bool = True
    rubric: str = ""

    def canonical(self) -> dict[str, Any]:
        """What the hash covers (the name is not part of it: renaming changes nothing the judge sees)."""
        return {
            "template": self.template,
            "system": self.system,
            "rule": self.rule.as_dict(),
            "kind": self.kind,
            "chat": self.chat,
            "rubric": self.rubric,
        }

    @property
    def hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def short_id(self) -> str:
        return self.hash[:SHORT_HASH]

    @property
    def profile_name(self) -> str:
        return f"{CUSTOM_PREFIX}{self.name}@{self.short_id}"

    def as_dict(self) -> dict[str, Any]:
        """The prompt as the JSON a ``--file`` holds (``prompt_from_dict`` reads it back)."""
        return {"name": self.name, **self.canonical()}


def prompt_from_dict(data: Mapping[str, Any], *, name: str | None = None, where: str = "prompt") -> CustomPrompt:
    """A prompt from JSON: ``{"template": ..., "system"?, "kind"?, "rule"?, "chat"?, "rubric"?, "name"?}``;
    ``name`` (given) wins over the file's."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"The {where} must be a JSON object with a 'template', got {type(data).__name__}.")
    known = {"name", "template", "system", "kind", "rule", "chat", "rubric"}
    unknown = sorted(set(data) - known)
    if unknown:
        noun = "field" if len(unknown) == 1 else "fields"
        raise InvalidInput(f"The {where} has unknown {noun} {', '.join(unknown)}; known: {', '.join(sorted(known))}.")
    for key in ("template", "system", "rubric"):
        if key in data and not isinstance(data[key], str):
            raise InvalidInput(f"The {where}'s {key!r} must be text, got {type(data[key]).__name__}.")
    if "chat" in data and not isinstance(data["chat"], bool):
        raise InvalidInput(f"The {where}'s 'chat' must be true or false, got {data['chat']!r}.")
    chosen = name or data.get("name")
    if not chosen:
        raise InvalidInput(f"The {where} needs a name (--name, or 'name' in the file).")
    rule = VerdictRule.from_dict(data["rule"], where=f"{where}'s rule") if "rule" in data else VerdictRule()
    return CustomPrompt(
        name=str(chosen),
        template=data.get("template", ""),
        system=data.get("system", ""),
        kind=data.get("kind", "pair"),
        rule=rule,
        chat=data.get("chat", True),
        rubric=data.get("rubric", ""),
    )


# ------------------------------------------------------------------------------------------ checks


def template_fields(template: str, *, where: str = "template") -> list[str]:
    """The placeholder names in ``template`` in order, or InvalidInput for braces that cannot render."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:  # "Single '}' encountered", "expected '}' before end of string"
        raise InvalidInput(
            f"The {where} cannot render: {exc} (write {{{{ and }}}} for a literal brace, e.g. in JSON examples)."
        ) from None
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name:
            raise InvalidInput(f"The {where} has an empty placeholder {{}}: name it, e.g. {{instruction}}.")
        if not name.isidentifier():  # a JSON example, "{a b}", "{0}", "{x.y}": literal braces meant
            shown = "{" + name + (":" + spec if spec else "") + "}"
            raise InvalidInput(
                f"The {where} has {shown}, which is not a placeholder: write {{{{ and }}}} for literal braces "
                "(e.g. in a JSON example)."
            )
        if spec or conversion:
            raise InvalidInput(f"The {where}'s placeholder {{{name}}} has a format or conversion; write {{{name}}}.")
        names.append(name)
    return names


def validate(prompt: CustomPrompt, test_output: str | None = None, *, stored: bool = False) -> None:
    """Refuse a prompt that cannot render or a rule that cannot read ``test_output``; say what is wrong.
    ``stored``: a version saved before, which cannot change: what was allowed when it was saved (``{{ name }}``)
    is left to :func:`stored_prompt_warnings`, so such a version still loads."""
    if not NAME_PATTERN.fullmatch(prompt.name or ""):
        raise InvalidInput(
            f"Prompt name {prompt.name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
        )
    if prompt.kind not in REQUIRED:
        raise InvalidInput(
            f"Prompt kind {prompt.kind!r}: choose 'pair' (compare two responses) or 'single' (rate one)."
        )
    if not prompt.template.strip():
        raise InvalidInput("The template is empty: write the text the judge reads, with {response1} and {response2}.")
    if prompt.system and not prompt.chat:
        raise InvalidInput("A system prompt needs chat mode (chat: true); a plain-text prompt is the template alone.")
    allowed = PAIR_PLACEHOLDERS if prompt.kind == "pair" else SINGLE_PLACEHOLDERS
    for where, text in (("template", prompt.template), ("system prompt", prompt.system)):
        unknown = sorted({n for n in template_fields(text, where=where) if n not in allowed})
        if unknown:
            raise InvalidInput(
                f"The {where} has unknown {'placeholder' if len(unknown) == 1 else 'placeholders'} "
                f"{', '.join('{' + n + '}' for n in unknown)}; a {prompt.kind} "
                f"prompt may use {', '.join('{' + n + '}' for n in allowed)}."
            )
    for where, text in (("template", prompt.template), ("system prompt", prompt.system)):
        if not stored:
            _refuse_doubled_braces(text, where)
    used = set(template_fields(prompt.template)) | set(template_fields(prompt.system, where="system prompt"))
    missing = [n for n in REQUIRED[prompt.kind] if n not in used]
    if missing:
        raise InvalidInput(
            f"The template never shows the judge {' and '.join('{' + n + '}' for n in missing)}: a {prompt.kind} "
            "prompt must include every response it judges."
        )
    _check_rule(prompt.rule, prompt.kind)
    if test_output is not None and test_output.strip():
        parsed = CustomProfile(prompt).parse(test_output)
        if parsed.status != "ok":
            raise InvalidInput(
                f"The verdict rule finds no {'verdict' if prompt.kind == 'pair' else 'score'} in the test output "
                f"({_describe(prompt.rule)}); the last 120 characters were {test_output.strip()[-120:]!r}."
            )


# "{{ instruction }}" / "{{instruction}}" as Jinja (HF chat templates, many published judge prompts) writes a
# placeholder: in this format "{{" and "}}" are literal braces, so the judge would read "{ instruction }". Jinja's
# whitespace control ("{{- instruction -}}"), filters ("{{ instruction|trim }}") and any case count too.
_KNOWN_NAMES = sorted(set(PAIR_PLACEHOLDERS + SINGLE_PLACEHOLDERS))
_LITERAL_PLACEHOLDER = re.compile(r"\{\s*-?\s*(" + "|".join(_KNOWN_NAMES) + r")\s*(?:\|[^{}]*?)?-?\s*\}", re.IGNORECASE)


@dataclass(frozen=True)
class DoubledBraces:
    """A Jinja-style ``{{ name }}`` in a template: where, as written, and what the judge reads instead."""

    where: str
    line: int
    name: str  # the placeholder meant, in lower case
    written: str  # "{{ instruction }}"
    read: str  # "{ instruction }"


def doubled_braces(text: str, where: str = "template") -> DoubledBraces | None:
    """The first ``{{ name }}`` (any case, Jinja's ``-`` and ``|filter``) in ``text`` where ``name`` is a
    placeholder: it renders the literal text ``{ name }``, so every verdict would be made without that text.
    Found in the rendered text (placeholders replaced by a blank), so ``{{{instruction}}}`` (braces around the
    instruction) and JSON examples are not."""
    if "{{" not in text:
        return None
    blank = dict.fromkeys(PAIR_PLACEHOLDERS + SINGLE_PLACEHOLDERS, "\0")
    try:
        rendered = text.format_map(blank)
    except (KeyError, ValueError, IndexError):  # reported by template_fields
        return None
    found = _LITERAL_PLACEHOLDER.search(rendered)
    if found is None:
        return None
    line = rendered.count("\n", 0, found.start()) + 1
    written_line = text.splitlines()[line - 1] if text.splitlines() else text
    source = re.compile(r"\{\{\s*-?\s*" + found.group(1) + r"\s*(?:\|[^{}]*?)?-?\s*\}\}", re.IGNORECASE)
    shown = next((m.group(0) for m in source.finditer(written_line)), "{{" + found.group(1) + "}}")
    return DoubledBraces(where, line, found.group(1).lower(), shown, found.group(0))


def _refuse_doubled_braces(text: str, where: str) -> None:
    """Refuse a new prompt's ``{{ name }}`` (see :func:`doubled_braces`)."""
    found = doubled_braces(text, where)
    if found is None:
        return
    raise InvalidInput(
        f"Line {found.line} of the {where}: `{found.written}` is a literal brace pair in this format (the judge "
        f"would read `{found.read}`, not the {found.name}); write `{{{found.name}}}` to insert the {found.name}."
    )


def stored_prompt_warnings(prompt: CustomPrompt) -> list[str]:
    """What a stored version does that a new one may no longer do: ``{{ name }}`` (refused when saved since
    session 14, accepted before). A stored version cannot change, so it still loads, with this warning."""
    notes = []
    for where, text in (("template", prompt.template), ("system prompt", prompt.system)):
        found = doubled_braces(text, where)
        if found is not None:
            notes.append(
                f"Prompt {prompt.name!r} (version {prompt.short_id}) writes `{found.written}`, which the judge "
                f"reads as `{found.read}`; save a corrected version and judge with it."
            )
    return notes


def prompt_warnings(prompt: CustomPrompt) -> list[str]:
    """What a valid prompt (see :func:`validate`) does that is allowed but probably not meant; shown when it is
    saved, never a refusal: a template that never shows the judge the task, a one-character marker."""
    notes = []
    try:
        used = set(template_fields(prompt.template)) | set(template_fields(prompt.system, where="system prompt"))
    except InvalidInput:
        used = set()
    if "instruction" not in used:
        notes.append(
            "The template never shows the judge {instruction}: every verdict of this prompt is made without the "
            "task. Add {instruction} unless that is what you want."
        )
    if prompt.rule.kind == "markers":
        short = [marker for marker, _ in prompt.rule.markers if len(marker.strip()) == 1]
        if short:
            shown = ", ".join(repr(m) for m in short)
            notes.append(
                f"The verdict rule has a marker of one character ({shown}): a marker of one letter matches inside "
                "words, so any such character in the judge's reasoning counts as a verdict (the last one decides). "
                "Use a marker like [[A]]."
            )
    return notes


def _check_rule(rule: VerdictRule, kind: CaseKind) -> None:
    """A rule that can never give a verdict of this kind is refused now, not discovered after a run."""
    if rule.kind == "markers":
        if not rule.markers or any(not marker.strip() for marker, _ in rule.markers):
            raise InvalidInput("The verdict rule needs at least one marker, and a marker cannot be blank.")
        for marker, value in rule.markers:
            if kind == "pair" and value.lower() not in VERDICTS:
                raise InvalidInput(f"Marker {marker!r} maps to {value!r}; a pair verdict is 1, 2 or tie.")
            if kind == "single" and _score(value, rule.score_range) is None:
                low, high = rule.score_range
                raise InvalidInput(
                    f"Marker {marker!r} maps to {value!r}; a score is a number from {low:g} to {high:g}."
                )
        return
    try:
        compiled = re.compile(rule.pattern)
    except re.error as exc:
        raise InvalidInput(f"The verdict rule's regex {rule.pattern!r} does not compile: {exc}.") from None
    group = "verdict" if kind == "pair" else "score"
    if group not in compiled.groupindex:
        raise InvalidInput(f"The verdict rule's regex needs a named group (?P<{group}>...) for a {kind} prompt.")
    for text, value in rule.values:
        if kind == "pair" and value.lower() not in VERDICTS:
            raise InvalidInput(f"The verdict rule maps {text!r} to {value!r}; a pair verdict is 1, 2 or tie.")


def _describe(rule: VerdictRule) -> str:
    if rule.kind == "markers":
        return "markers " + ", ".join(repr(m) for m, _ in rule.markers)
    return f"regex {rule.pattern!r}"


def _score(text: str, score_range: tuple[float, float]) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    low, high = score_range
    return value if low <= value <= high else None


# ------------------------------------------------------------------------------------------ profile


@functools.lru_cache(maxsize=256)
def _marker_pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of the markers, longest first, so "[[A>>B]]" is not read as "[[A>B]]" and a shorter marker."""
    return re.compile("|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True)))


@dataclass(frozen=True)
class CustomProfile:
    """The judge profile of a :class:`CustomPrompt` (same face as ``judge_runtime.profiles``' profiles)."""

    prompt: CustomPrompt
    decoding_presets: dict[str, Decoding] = field(
        default_factory=lambda: {
            "released": Decoding(max_new_tokens=1024, num_beams=1),
            "fast": Decoding(max_new_tokens=512, num_beams=1),
        }
    )
    verdict_words: tuple[str, str, str] | None = None  # where the verdict comes is the user's choice: generate
    after_verdict: str = ""

    @property
    def name(self) -> str:
        return self.prompt.profile_name

    @property
    def kind(self) -> CaseKind:
        return self.prompt.kind

    @property
    def uses_chat_template(self) -> bool:
        return self.prompt.chat

    @property
    def score_range(self) -> tuple[float, float]:
        return self.prompt.rule.score_range

    def build_prompt(self, case: PairCase | SingleCase) -> Prompt:
        if case.first_turn is not None:
            raise JudgeInputError(f"Custom prompt {self.prompt.name!r} judges single-turn cases only.")
        values = {"instruction": case.instruction, "input": case.input, "reference": case.reference or ""}
        values["rubric"] = self.prompt.rubric
        if isinstance(case, PairCase):
            values |= {"response1": case.response1, "response2": case.response2}
        else:
            values["response"] = case.response
        user = self.prompt.template.format_map(values)
        if not self.prompt.chat:
            return Prompt(text=user)
        messages: list[dict[str, str]] = []
        if self.prompt.system:
            messages.append({"role": "system", "content": self.prompt.system.format_map(values)})
        messages.append({"role": "user", "content": user})
        return Prompt(messages=tuple(messages))

    def parse(self, text: str, *, truncated: bool = False) -> ParsedJudgment:
        rule, pair = self.prompt.rule, self.prompt.kind == "pair"
        if rule.kind == "markers":
            last = self._last_marker(text)
            value = dict(rule.markers).get(last.group(0)) if last else None
        else:
            matches = list(re.finditer(rule.pattern, text))
            last = matches[-1] if matches else None
            captured = last.group("verdict" if pair else "score") if last else None
            value = _value(captured, rule.values) if pair else captured
        if last is None or value is None:
            return ParsedJudgment(None, "truncated" if truncated else "unparsed", text.strip())
        reason = text[: last.start()].strip()
        if pair:
            verdict = value.lower() if value.lower() in VERDICTS else None
            if verdict is None:
                return ParsedJudgment(None, "truncated" if truncated else "unparsed", text.strip())
            return ParsedJudgment(_as_verdict(verdict), "ok", reason)
        score = _score(value, rule.score_range)
        if score is None:
            return ParsedJudgment(None, "truncated" if truncated else "unparsed", text.strip())
        return ParsedJudgment(None, "ok", reason, score=score)

    def _last_marker(self, text: str) -> re.Match[str] | None:
        """The last well-formed marker in ``text`` (the one that decides), or None."""
        matches = list(_marker_pattern(tuple(m for m, _ in self.prompt.rule.markers)).finditer(text))
        return matches[-1] if matches else None

    def marker_site(self, text: str, parsed: ParsedJudgment) -> MarkerSite | None:
        """Where the verdict of ``text`` was written and what else the rule could have read there (see
        :class:`MarkerSite`); None when there is nothing to score: a regex rule (its candidate strings are not
        known), a single-answer prompt, or an output whose verdict did not parse."""
        rule = self.prompt.rule
        if rule.kind != "markers" or self.prompt.kind != "pair" or parsed.status != "ok" or parsed.verdict is None:
            return None
        last = self._last_marker(text)
        if last is None:
            return None
        candidates = tuple((marker, _as_verdict(value.lower())) for marker, value in rule.markers)
        return MarkerSite(text[: last.start()], candidates)


def _value(captured: str | None, values: Sequence[tuple[str, str]]) -> str | None:
    """The verdict a regex capture stands for: through ``values`` when given, else the capture itself."""
    if captured is None:
        return None
    if not values:
        return captured.strip()
    return dict(values).get(captured.strip())


def _as_verdict(text: str) -> Verdict:
    return next(v for v in VERDICTS if v == text)


# ------------------------------------------------------------------------------------------ verdict probabilities


@dataclass(frozen=True)
class MarkerSite:
    """Where a marker rule's verdict was written: ``context`` is the judge's output up to the start of the LAST
    well-formed marker (the one ``parse`` takes), ``candidates`` every marker of the rule with its verdict."""

    context: str
    candidates: tuple[tuple[str, Verdict], ...]


def marker_sequences(tokenizer: Any, context: str, markers: Sequence[str]) -> tuple[list[int], list[list[int]]]:
    """The shared prefix ids of ``context`` + each marker, and each marker's own ids after it.

    Each candidate is tokenized whole (``context + marker``), as the judge would read that text, and the
    rows are cut where their tokens first differ: a boundary token that merges with the marker (" [[" in
    "Verdict: [[A]]") then belongs to every candidate's tokens or to the shared prefix, never half to one.
    The shared part scores the same for every candidate, so it cancels when they are normalised. Every
    candidate keeps at least one token (a marker that is a prefix of another: see :func:`marker_probabilities`).
    """
    rows = [list(tokenizer(context + marker, add_special_tokens=False)["input_ids"]) for marker in markers]
    shared = 0
    limit = min(len(row) for row in rows) - 1
    while shared < limit and all(row[shared] == rows[0][shared] for row in rows):
        shared += 1
    return rows[0][:shared], [row[shared:] for row in rows]


def sequence_log_scores(
    model: Any, prefix_ids: Sequence[int], sequences: Sequence[Sequence[int]], *, pad_id: int, device: str
) -> list[float]:
    """log P(sequence's tokens | prefix) for each sequence (the sum of its tokens' log-probabilities), from one
    batched forward pass: one left-padded row per sequence, explicit position ids, and only the last
    ``longest + 1`` positions' logits computed (as :func:`judge_runtime.ratings.rating_log_scores`)."""
    import torch

    from judge_runtime.batching import left_pad

    rows = [list(prefix_ids) + list(seq) for seq in sequences]
    keep = max(len(seq) for seq in sequences) + 1
    input_ids, attention = left_pad(rows, pad_id, device)
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        logits = model(
            input_ids=input_ids, attention_mask=attention, position_ids=positions, logits_to_keep=keep
        ).logits
        logp = torch.log_softmax(logits[:, -keep:, :].float(), dim=-1)
        scores = []
        for row, seq in enumerate(sequences):
            start = keep - len(seq) - 1  # rows end together: the logits that predict seq[0] sit here
            scores.append(sum(float(logp[row, start + j, token]) for j, token in enumerate(seq)))
    return scores


def marker_probabilities(
    model: Any, tokenizer: Any, prompt_ids: Sequence[int], site: MarkerSite, *, device: str
) -> dict[str, float]:
    """p("1"), p("2"), p("tie"): each marker scored as the continuation of prompt + output up to ``site``,
    renormalised over the rule's markers; markers of one verdict add up, a verdict with no marker gets 0.

    The score of a marker is the probability of its whole text (all its tokens), so "[[A]]" and "[[C]]" are
    told apart by their middle token and "[[A>>B]]" competes with "[[A>B]]" on equal terms. A marker that is
    a prefix of another (rare: "parse" reads the longer one) counts the longer one's probability too.
    The caller holds the model (one forward pass of ``len(markers)`` rows).
    """
    import math

    markers = [marker for marker, _ in site.candidates]
    prefix, sequences = marker_sequences(tokenizer, site.context, markers)
    scores = sequence_log_scores(
        model, list(prompt_ids) + prefix, sequences, pad_id=int(tokenizer.pad_token_id), device=device
    )
    top = max(scores)
    mass = dict.fromkeys(VERDICTS, 0.0)
    for (_, verdict), score in zip(site.candidates, scores, strict=True):
        mass[verdict] += math.exp(score - top)
    total = sum(mass.values())
    return {verdict: weight / total for verdict, weight in mass.items()}


# ------------------------------------------------------------------------------------------ registry

_log = logging.getLogger(__name__)
_WARNED: set[str] = set()  # stored versions whose warnings were logged in this process


def register_custom(prompt: CustomPrompt, *, test_output: str | None = None, stored: bool = False) -> str:
    """Check ``prompt`` and make it loadable by name (``get_profile``, ``load_judge(profile=...)``); returns
    the profile name ``custom:<name>@<hash12>``. Registering the same prompt again changes nothing: the name
    carries the hash, so two versions never share a name. ``stored``: a saved version (see :func:`validate`);
    its :func:`stored_prompt_warnings` are logged, once per version and process."""
    validate(prompt, test_output, stored=stored)
    if stored and prompt.hash not in _WARNED:
        _WARNED.add(prompt.hash)
        for note in stored_prompt_warnings(prompt):
            _log.warning("%s", note)
    factory = functools.partial(CustomProfile, prompt)
    register_profiles({prompt.profile_name: factory})  # type: ignore[dict-item]  # a factory, called like the classes
    return prompt.profile_name


def is_custom_profile(name: str) -> bool:
    return name.startswith(CUSTOM_PREFIX)


def split_custom_name(name: str) -> tuple[str, str | None]:
    """``"custom:NAME@HASH12"`` or ``"NAME@HASH12"`` or ``"NAME"`` -> (NAME, HASH12 or None)."""
    text = name.removeprefix(CUSTOM_PREFIX)
    base, _, short = text.partition("@")
    return base, short or None
