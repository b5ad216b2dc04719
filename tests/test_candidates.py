"""Candidates that are models: responses generated locally (demo SmolLM2, a tiny random LLaMA), then judged."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from evaluation import EvaluationPipeline, PipelineInputError
from judge_runtime import DEMO_MODEL
from judge_runtime.generation import ALPACA_PROMPT_NO_INPUT, ALPACA_PROMPT_WITH_INPUT, alpaca_prompt, load_generator
from judge_runtime.loading import load_tokenizer

INPUTS = [
    {"instruction": "What is the capital of France?"},
    {"instruction": "Translate to German.", "input": "Good morning"},
    {"instruction": "Give the sum of two and three.", "input": ""},
]
WRITTEN = ["The capital of France is Paris.", "Guten Morgen.", "Two plus three is five."]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module", autouse=True)
def one_cpu_thread():
    """One torch thread while this module runs (the shared 2-core machine; see tests/test_pipeline.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def cheap_judge(demo_judge):
    """The session's demo judge with 16 new tokens and one presentation order (as in tests/test_pipeline.py)."""
    decoding = replace(demo_judge.decoding, max_new_tokens=16)
    spec = replace(demo_judge.spec, max_new_tokens=16, both_orders=False)
    fingerprint = {**demo_judge.fingerprint, "decoding": asdict(decoding), "both_orders": False}
    return replace(demo_judge, spec=spec, decoding=decoding, fingerprint=fingerprint)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write_json(tmp_path / "inputs.json", INPUTS), write_json(tmp_path / "written.json", WRITTEN)


def test_alpaca_template_is_pandalms_candidate_prompt() -> None:
    """Copied from PandaLM's pandalm/utils/candidate_model_inference.py ("alpaca")."""
    assert ALPACA_PROMPT_WITH_INPUT == (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n"
        "### Input:\n{input}\n\n### Response:\n"
    )
    assert ALPACA_PROMPT_NO_INPUT == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the "
        "request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
    )
    assert alpaca_prompt("Add.", "2 and 2").endswith("### Instruction:\nAdd.\n\n### Input:\n2 and 2\n\n### Response:\n")
    assert "### Input:" not in alpaca_prompt("Add 2 and 2.")


@pytest.mark.model
def test_demo_model_candidate_is_generated_then_judged_against_a_json_candidate(cheap_judge, files, tmp_path) -> None:
    inputs, written = files
    generation: list[tuple[str, int, int]] = []
    judging: list[tuple[int, int]] = []
    out = tmp_path / "results.json"
    pipeline = EvaluationPipeline(
        [written, DEMO_MODEL],
        inputs,
        out,
        judge=cheap_judge,
        batch_size=2,
        candidate_max_new_tokens=16,
        on_generate=lambda name, done, total: generation.append((name, done, total)),
        on_progress=lambda done, total: judging.append((done, total)),
    )
    assert pipeline.candidate_names == ["written", DEMO_MODEL]
    result = pipeline.evaluate()

    assert generation[0] == (DEMO_MODEL, 0, 3) and generation[-1] == (DEMO_MODEL, 3, 3) and len(generation) == 4
    assert judging[-1] == (3, 3)  # generation first, then one pair x 3 inputs judged
    generated = [sample["response2"] for sample in result.samples]
    assert [s["response1"] for s in result.samples] == WRITTEN
    assert all(isinstance(text, str) and text.strip() for text in generated)
    assert all(s["status"] in {"ok", "uncertain", "unparsed", "truncated"} for s in result.samples)

    # the same responses as the model gives one prompt at a time (left padding in a batch changes nothing)
    alone = load_generator(DEMO_MODEL, max_new_tokens=16)
    assert alone.prompt_format == "chat"  # SmolLM2 has a chat template: its own format, not Alpaca
    prompt = alone.prompt_text("Translate to German.", "Good morning")
    assert prompt.endswith("<|im_start|>user\nTranslate to German.\n\nGood morning<|im_end|>\n<|im_start|>assistant\n")
    assert alone.generate([(i["instruction"], i.get("input", "")) for i in INPUTS], batch_size=1) == generated
    alone.close()

    saved = json.loads(out.read_text())
    described = saved["settings"]["candidate_generation"][DEMO_MODEL]
    assert described["prompt_format"] == "chat" and described["decoding"] == {"greedy": True, "max_new_tokens": 16}
    assert described["model"].startswith("SmolLM2-135M-Instruct") and described["weights_digest"]
    assert saved["settings"]["candidate_paths"][DEMO_MODEL] == DEMO_MODEL
    assert [s["response2"] for s in saved["samples"]] == generated


def save_tiny_llama(directory: Path, *, chat_template: bool) -> Path:
    """A 2-layer random LLaMA with SmolLM2's tokenizer (no download), saved as a transformers folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = load_tokenizer(DEMO_MODEL)  # a fresh copy: the session judge's tokenizer stays untouched
    if not chat_template:
        tokenizer.chat_template = None
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def reference_generation(directory: Path, prompts: list[str], max_new_tokens: int) -> list[str]:
    """Plain transformers, one prompt at a time: what the candidate's responses must be."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(directory, local_files_only=True).eval()
    texts = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            out = model.generate(
                ids, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        texts.append(tokenizer.decode(out[0][ids.shape[1] :], skip_special_tokens=True).strip())
    return texts


@pytest.mark.model
def test_tiny_random_llama_folder_is_a_candidate_in_alpaca_format(cheap_judge, files, tmp_path) -> None:
    inputs, written = files
    model_dir = save_tiny_llama(tmp_path / "tiny-llama-base", chat_template=False)
    pipeline = EvaluationPipeline(
        [model_dir, written], inputs, judge=cheap_judge, batch_size=3, candidate_max_new_tokens=6
    )
    assert pipeline.candidate_names == ["tiny-llama-base", "written"]
    generated = pipeline.generate()["tiny-llama-base"]
    description = pipeline.generation["tiny-llama-base"]
    assert description["prompt_format"] == "alpaca"  # "auto" and no chat template: PandaLM's Alpaca prompt
    prompts = [alpaca_prompt(item["instruction"], item.get("input", "")) for item in INPUTS]
    assert generated == reference_generation(model_dir, prompts, 6)
    assert all(text.strip() for text in generated)  # random weights, but six real tokens each

    result = pipeline.evaluate()  # already generated: not generated again
    assert [s["response1"] for s in result.samples] == generated and [s["response2"] for s in result.samples] == WRITTEN
    assert result.settings["candidate_generation"]["tiny-llama-base"]["decoding"]["max_new_tokens"] == 6
    assert {s["status"] for s in result.samples} <= {"ok", "uncertain", "unparsed", "truncated"}


@pytest.mark.model
def test_tiny_llama_with_a_chat_template_answers_in_it(files, tmp_path) -> None:
    model_dir = save_tiny_llama(tmp_path / "tiny-llama-chat", chat_template=True)
    generator = load_generator(str(model_dir), max_new_tokens=4)
    assert generator.prompt_format == "chat" and generator.name == "tiny-llama-chat"
    with_alpaca = load_generator(str(model_dir), max_new_tokens=4, prompt_format="alpaca")
    items = [(i["instruction"], i.get("input", "")) for i in INPUTS]
    chat_outputs, alpaca_outputs = generator.generate(items), with_alpaca.generate(items, batch_size=2)
    assert len(chat_outputs) == len(alpaca_outputs) == 3
    assert alpaca_outputs == reference_generation(model_dir, [alpaca_prompt(*item) for item in items], 4)
    base = save_tiny_llama(tmp_path / "no-template", chat_template=False)
    with pytest.raises(ValueError, match="has no chat template: use prompt format 'alpaca'"):
        load_generator(str(base), prompt_format="chat")


def test_model_candidates_are_checked_before_anything_loads(files, tmp_path) -> None:
    inputs, written = files
    with pytest.raises(PipelineInputError, match=r"'\./llama-7b-tuned/' is not a \.json file.*Model path not found"):
        EvaluationPipeline(["./llama-7b-tuned/", written], inputs)
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(PipelineInputError, match="has no config.json"):
        EvaluationPipeline([tmp_path / "empty-model", written], inputs)
    with pytest.raises(PipelineInputError, match="never downloads"):
        EvaluationPipeline(["some-org/not-in-cache-model", written], inputs)
    with pytest.raises(PipelineInputError, match="Model candidates answer the inputs: pass them with --input"):
        EvaluationPipeline([DEMO_MODEL, DEMO_MODEL])
    with pytest.raises(PipelineInputError, match=f"both called '{DEMO_MODEL}'"):
        EvaluationPipeline([DEMO_MODEL, DEMO_MODEL], inputs)
    with pytest.raises(ValueError, match="Unknown candidate prompt format 'vicuna'"):
        EvaluationPipeline([DEMO_MODEL, written], inputs, candidate_prompt_format="vicuna")
    pipeline = EvaluationPipeline([DEMO_MODEL, written], inputs)  # nothing loaded yet
    assert pipeline.candidates[0].needs_generation and pipeline.n_samples == 3
