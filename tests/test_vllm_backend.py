"""The vLLM backend's backend-independent pieces, with a stand-in for vllm.LLM (vLLM needs a GPU).

The fake engine answers every request with the tiny model's own greedy continuation, so the
vLLM path must reproduce the Hugging Face path's documents exactly: same prompts, same
request order, same EOS handling and the same assembly.
"""

import json
import sys
from types import SimpleNamespace

import pytest
import torch
from conftest import SENTENCES

from synthloop.core.config import ConfigError
from synthloop.lm.batches import Prompt
from synthloop.lm.generation import continue_batched, load_generator, sample_from_prompt, synthesize_documents
from synthloop.lm.models import load_causal_lm
from synthloop.lm.vllm_backend import (
    HF_DEFAULT_TOP_K,
    VLLMModel,
    hf_sampling_defaults,
    merged_model_dir,
    sampling_arguments,
    token_prompts,
    vllm_continuations,
)


class FakeLLM:
    """vllm.LLM's generate(): token prompts and one SamplingParams per prompt in, RequestOutputs out (EOS included, as vLLM returns it)."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer, self.calls = model, tokenizer, []

    def generate(self, prompts, sampling_params, use_tqdm=True):
        self.calls.append((prompts, sampling_params))
        eos = self.tokenizer.eos_token_id
        ids = continue_batched(
            self.model,
            [Prompt(i, tuple(p["prompt_token_ids"])) for i, p in enumerate(prompts)],
            sampling_params[0]["max_tokens"],
            64,
            self.tokenizer.pad_token_id,
            eos,
            do_sample=False,
        )
        return [SimpleNamespace(outputs=[SimpleNamespace(token_ids=tuple(row) + (eos, 7))]) for row in ids]


def fake_vllm_model(lm):
    model, tokenizer = lm
    return VLLMModel(FakeLLM(model, tokenizer), model.config, dict)


def test_token_prompts_carry_the_prompt_ids():
    assert token_prompts([Prompt(0, (5, 6)), Prompt(3, (7,))]) == [{"prompt_token_ids": [5, 6]}, {"prompt_token_ids": [7]}]


def test_sampling_arguments_greedy_and_sampled():
    greedy = sampling_arguments({"new_tokens": 64, "do_sample": False}, seed=1, index=0, eos_id=2, hf_defaults={"top_k": 50, "top_p": 1.0})
    assert greedy == {"max_tokens": 64, "stop_token_ids": [2], "detokenize": False, "temperature": 0.0}
    params = {"new_tokens": 48, "do_sample": True, "temperature": 1.5, "min_p": 0.2}
    first = sampling_arguments(params, seed=1, index=0, eos_id=2, hf_defaults={"top_k": 50, "top_p": 1.0})
    assert {k: first[k] for k in ("max_tokens", "temperature", "min_p", "top_k", "top_p")} == {
        "max_tokens": 48,
        "temperature": 1.5,
        "min_p": 0.2,
        "top_k": 50,
        "top_p": 1.0,
    }
    assert first["seed"] == sampling_arguments(params, 1, 0, 2, {})["seed"]  # from the job's seed: reproducible
    assert first["seed"] != sampling_arguments(params, 1, 1, 2, {})["seed"]  # each request its own
    assert first["seed"] != sampling_arguments(params, 2, 0, 2, {})["seed"]
    no_min_p = sampling_arguments({**params, "min_p": None}, 1, 0, 2, {})
    assert (no_min_p["min_p"], no_min_p["top_k"]) == (0.0, 0)
    penalised = sampling_arguments({"new_tokens": 8, "do_sample": False, "repetition_penalty": 1.2}, 1, 0, 2, {})
    assert (penalised["repetition_penalty"], penalised["temperature"]) == (1.2, 0.0)  # greedy with the penalty, as on the HF path


def test_block_documents_are_identical_to_the_hf_path(lm):
    model, tokenizer = lm
    params = {"block_tokens": 7, "new_tokens": 10, "batch_size": 64, "do_sample": False}
    texts = [" ".join(SENTENCES[: i + 1]) for i in range(len(SENTENCES))]
    titles = ["A title", None, "Another", None, None, None]
    fake = fake_vllm_model(lm)
    hf = synthesize_documents(model, tokenizer, texts, params, seed=0, titles=titles)
    vllm = synthesize_documents(fake, tokenizer, texts, params, seed=0, titles=titles, continuations=vllm_continuations)
    assert vllm == hf and all(vllm)
    prompts, requests = fake.llm.calls[0]
    assert len(prompts) == len(requests) > len(texts)  # every block, one request each, in one call
    assert all(
        r == {"max_tokens": 10, "stop_token_ids": [tokenizer.eos_token_id], "detokenize": False, "temperature": 0.0} for r in requests
    )


def test_vllm_path_checks_the_context_from_the_config(lm):
    _, tokenizer = lm
    with pytest.raises(ConfigError, match="generate.block_tokens"):
        synthesize_documents(
            fake_vllm_model(lm), tokenizer, SENTENCES, {"block_tokens": 30, "new_tokens": 30}, 0, continuations=vllm_continuations
        )


def test_instruction_samples_one_seeded_request_per_text(lm):
    _, tokenizer = lm
    params = {"new_tokens": 6, "do_sample": True, "temperature": 1.5, "min_p": 0.2}
    fake = fake_vllm_model(lm)
    texts = sample_from_prompt(fake, tokenizer, "Instruction: Write.\nResponse: ", 5, params, seed=3, continuations=vllm_continuations)
    again = sample_from_prompt(fake, tokenizer, "Instruction: Write.\nResponse: ", 5, params, seed=3, continuations=vllm_continuations)
    assert len(texts) == 5 and texts == again
    (prompts, first), (_, second) = fake.llm.calls
    assert len({tuple(p["prompt_token_ids"]) for p in prompts}) == 1
    assert [r["seed"] for r in first] == [r["seed"] for r in second] and len({r["seed"] for r in first}) == 5
    assert first[0]["top_k"] == HF_DEFAULT_TOP_K and first[0]["min_p"] == 0.2


def test_missing_vllm_names_the_config_key(monkeypatch, tiny_lm):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    with pytest.raises(ConfigError, match=r"generate\.backend.*vllm"):
        load_generator(str(tiny_lm), {"backend": "vllm"}, seed=0)


def test_hf_sampling_defaults_follow_the_generation_config(tmp_path):
    assert hf_sampling_defaults(tmp_path) == {"top_k": 50, "top_p": 1.0}
    (tmp_path / "generation_config.json").write_text(json.dumps({"top_k": 20, "top_p": 0.9}))
    assert hf_sampling_defaults(tmp_path) == {"top_k": 20, "top_p": 0.9}


def test_lora_adapter_is_merged_into_a_plain_model_directory(tiny_lm, tmp_path):
    from synthloop.lm.training import with_lora

    assert merged_model_dir(str(tiny_lm)) == (tiny_lm, None)
    model, tokenizer = load_causal_lm(str(tiny_lm))
    adapted = with_lora(model, {"r": 4, "alpha": 8})
    torch.manual_seed(0)
    with torch.no_grad():
        for name, weight in adapted.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.5)  # B starts at zero: make the adapter change the outputs
    adapter = tmp_path / "adapter"
    adapted.save_pretrained(adapter)
    tokenizer.save_pretrained(adapter)
    config = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": str(tiny_lm)}))

    directory, workdir = merged_model_dir(str(adapter))
    assert workdir is not None and not (directory / "adapter_config.json").exists()
    merged, _ = load_causal_lm(str(directory))
    reference, _ = load_causal_lm(str(adapter))
    base, _ = load_causal_lm(str(tiny_lm))
    ids = torch.tensor([tokenizer(SENTENCES[0])["input_ids"][:16]])  # within the tiny context
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, reference(ids).logits, atol=1e-5)
        assert not torch.allclose(merged(ids).logits, base(ids).logits, atol=1e-3)
    workdir.cleanup()
    assert not directory.exists()


def test_vllm_is_imported_with_its_scheduler_in_one_process(monkeypatch):
    """VLLM_ENABLE_V1_MULTIPROCESSING=0 before vllm is imported: otherwise batching order, and so the texts, vary between runs."""
    import importlib.abc
    import importlib.machinery
    import os

    from synthloop.lm.vllm_backend import import_vllm

    seen = {}

    class Recorder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path, target=None):
            return importlib.machinery.ModuleSpec(name, self) if name == "vllm" else None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            seen["env"] = os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING")

    monkeypatch.delenv("VLLM_ENABLE_V1_MULTIPROCESSING", raising=False)
    monkeypatch.setitem(sys.modules, "vllm", None)  # undone last: the recorded module is dropped again after the test
    monkeypatch.delitem(sys.modules, "vllm")
    monkeypatch.setattr(sys, "meta_path", [Recorder(), *sys.meta_path])
    import_vllm()
    assert seen == {"env": "0"}
