"""Probability-weighted ratings for single-answer grading: the expected score under the judge's distribution.

Why: a 1-10 rating parsed from ``[[rating]]`` throws away how sure the judge was (a 6 written with
p=0.3 and a 6 written with p=0.9 look the same), and a small judge that never writes the format gives
no rating at all. G-Eval (Liu et al., 2023) reads the judge's probabilities over the rating tokens
instead and reports their expectation. ``JudgeSpec.rating_mode = "expected"`` does that here:

1. The judge writes its explanation as usual (the profile's decoding, up to ``max_new_tokens``).
2. The context for the rating is its output up to and including the ``[[`` of the LAST ``[[<digit>``
   it wrote; when it wrote none (or was cut at the token limit), its output + a blank line +
   ``Rating: [[`` (:data:`RATING_MARKER`, the layout of MT-Bench's own example "Rating: [[5]]").
   ``raw_output`` keeps what the judge wrote; the appended marker only feeds the forward pass.
3. One batched forward pass over ten rows (the context followed by each rating's tokens) gives, for
   each rating r in 1..10, P(r's tokens | context) x P(the next token starts with "]" | context, r).
   The second factor is what tells "1" from "10" when "10" is two tokens ("1" then "0"), and "8"
   from "8.5": only a number that is then closed counts. The ten values are renormalised over the
   valid ratings (fractional ratings are left out), and the score is their expectation.

Token ids come from the judge's real tokenizer, with each rating tokenized in its context (right
after ``[[``), so leading-space variants ("▁5" vs "5") and merges cannot pick the wrong id; where the
context's own tokens would change by adding the digits, the raw digit tokens are used instead.
torch is imported inside the function that needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RATING_MODES: tuple[str, ...] = ("parse", "expected")
RATINGS: tuple[int, ...] = tuple(range(1, 11))
# Appended after an output that has no "[[<digit>": MT-Bench's example format, "Rating: [[5]]".
RATING_MARKER = "Rating: [["
_RATING_OPENS = re.compile(r"\[\[(?=\d)")
_BYTE_FALLBACK_CLOSE = "<0x5D>"  # SentencePiece byte-fallback piece for "]"


@dataclass(frozen=True)
class RatingContext:
    """Where the rating is read: ``explanation`` (the judge's text before it) and ``text`` (ends with ``[[``)."""

    explanation: str
    text: str
    marker_appended: bool


def rating_context(output: str) -> RatingContext:
    """The output up to the ``[[`` of its last ``[[<digit>``, or the output + ``Rating: [[`` when there is none."""
    opens = [match.start() for match in _RATING_OPENS.finditer(output)]
    if opens:
        cut = opens[-1]
        return RatingContext(output[:cut].strip(), output[: cut + 2], marker_appended=False)
    body = output.rstrip()
    return RatingContext(body.strip(), (body + "\n\n" if body.strip() else "") + RATING_MARKER, marker_appended=True)


def closing_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """Every token whose text starts with "]" ("]", "]]", "]],", ...): any of them closes a rating's number."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    ids = tuple(
        index
        for index, piece in enumerate(pieces)
        if isinstance(piece, str) and (piece.startswith("]") or piece == _BYTE_FALLBACK_CLOSE)
    )
    if not ids:
        raise ValueError("This tokenizer has no token starting with ']': a rating's end cannot be read.")
    return ids


def rating_sequences(tokenizer: Any, context: str) -> tuple[list[int], dict[int, tuple[int, ...]]]:
    """The context's token ids, and each rating's token ids as they follow it (tokenized in context)."""
    base = list(tokenizer(context, add_special_tokens=False)["input_ids"])
    sequences: dict[int, tuple[int, ...]] = {}
    for rating in RATINGS:
        ids = list(tokenizer(context + str(rating), add_special_tokens=False)["input_ids"])
        if ids[: len(base)] == base and len(ids) > len(base):
            sequences[rating] = tuple(ids[len(base) :])
        else:  # the digits merged with the context's last token: use the raw digit pieces (no leading space)
            sequences[rating] = tuple(int(i) for i in tokenizer.convert_tokens_to_ids(list(str(rating))))
    if len(set(sequences.values())) != len(RATINGS):
        raise ValueError("Two ratings share their tokens in this tokenizer: their probabilities cannot be told apart.")
    return base, sequences


def rating_log_scores(
    model: Any,
    prefix_ids: Sequence[int],
    sequences: Mapping[int, Sequence[int]],
    closing_ids: Sequence[int],
    *,
    pad_id: int,
    device: str,
) -> dict[int, float]:
    """log P(rating's tokens, then a closing token | prefix) for each rating, from one batched forward pass.

    One row per rating (prefix + its tokens), left-padded, with explicit position ids; only the last
    ``longest + 1`` positions' logits are computed.
    """
    import torch

    from judge_runtime.batching import left_pad

    ratings = list(sequences)
    rows = [list(prefix_ids) + list(sequences[r]) for r in ratings]
    keep = max(len(sequences[r]) for r in ratings) + 1
    input_ids, attention = left_pad(rows, pad_id, device)
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    with torch.inference_mode():
        logits = model(
            input_ids=input_ids, attention_mask=attention, position_ids=positions, logits_to_keep=keep
        ).logits
        logp = torch.log_softmax(logits[:, -keep:, :].float(), dim=-1)
        closing = torch.tensor(list(closing_ids), device=logp.device)
        scores: dict[int, float] = {}
        for row, rating in enumerate(ratings):
            seq = list(sequences[rating])
            start = keep - len(seq) - 1  # rows end together: the logits that predict seq[0] sit here
            total = sum(float(logp[row, start + j, token]) for j, token in enumerate(seq))
            scores[rating] = total + float(torch.logsumexp(logp[row, keep - 1, closing], dim=0))
    return scores


def normalised(log_scores: Mapping[int, float]) -> dict[int, float]:
    """Probabilities over the ratings (softmax of the log scores: renormalised over the valid ratings)."""
    import math

    top = max(log_scores.values())
    weights = {r: math.exp(s - top) for r, s in log_scores.items()}
    total = sum(weights.values())
    return {r: w / total for r, w in weights.items()}


def expected_score(distribution: Mapping[int, float]) -> float:
    """The mean rating under ``distribution`` (probabilities over 1..10 summing to 1)."""
    return float(sum(rating * p for rating, p in distribution.items()))


__all__ = [
    "RATINGS",
    "RATING_MARKER",
    "RATING_MODES",
    "RatingContext",
    "closing_token_ids",
    "expected_score",
    "normalised",
    "rating_context",
    "rating_log_scores",
    "rating_sequences",
]
