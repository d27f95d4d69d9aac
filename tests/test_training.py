"""Fine-tuning: full and LoRA, resuming, and the saved directories load as plain models."""

import json

import torch
from conftest import SENTENCES

from synthloop.lm.generation import synthesize_documents
from synthloop.lm.models import load_causal_lm
from synthloop.lm.training import fine_tune, tokenize_documents

PARAMS = {"epochs": 1, "batch_size": 4, "learning_rate": 1e-3, "weight_decay": 0.0, "max_length": 32}


def test_full_fine_tune_changes_weights_and_cleans_checkpoints(tiny_lm, tmp_path):
    model, tokenizer = load_causal_lm(str(tiny_lm))
    before = model.transformer.h[0].mlp.c_proj.weight.detach().clone()
    report = fine_tune(model, tokenizer, SENTENCES, tmp_path / "model", PARAMS, seed=0)
    assert report["steps"] == 2 and report["tokens"] > 0
    tuned, _ = load_causal_lm(str(tmp_path / "model"))
    assert not torch.equal(before, tuned.transformer.h[0].mlp.c_proj.weight)
    assert not (tmp_path / "model.checkpoints").exists()


def test_lora_saves_an_adapter_chain_that_loads_merged(tiny_lm, tmp_path):
    lora = {**PARAMS, "lora": {"r": 4, "alpha": 8}}
    model, tokenizer = load_causal_lm(str(tiny_lm))
    fine_tune(model, tokenizer, SENTENCES, tmp_path / "g0", lora, seed=0, init_source=str(tiny_lm))
    assert (tmp_path / "g0" / "adapter_model.safetensors").exists()
    assert not (tmp_path / "g0" / "model.safetensors").exists()
    g0, tokenizer = load_causal_lm(str(tmp_path / "g0"))
    fine_tune(g0, tokenizer, SENTENCES[::-1], tmp_path / "g1", {**lora, "learning_rate": 1e-2}, seed=1, init_source=str(tmp_path / "g0"))
    assert json.loads((tmp_path / "g1" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(tmp_path / "g0")
    g1, _ = load_causal_lm(str(tmp_path / "g1"))
    assert type(g1).__name__ == "GPT2LMHeadModel"  # merged, not a PeftModel
    base, _ = load_causal_lm(str(tiny_lm))

    def w(m):
        return m.transformer.h[0].attn.c_attn.weight

    assert not torch.equal(w(base), w(g1)) and not torch.equal(w(g0), w(g1))
    texts = synthesize_documents(g1.eval(), tokenizer, SENTENCES[:2], {"block_tokens": 8, "new_tokens": 4, "batch_size": 4}, seed=0)
    assert len(texts) == 2


def test_same_seed_same_weights(tiny_lm, tmp_path):
    weights = []
    for run in ("a", "b"):
        model, tokenizer = load_causal_lm(str(tiny_lm))
        fine_tune(model, tokenizer, SENTENCES, tmp_path / run, PARAMS, seed=5)
        weights.append((tmp_path / run / "model.safetensors").read_bytes())
    assert weights[0] == weights[1]


def test_every_training_example_is_the_document_then_eos(tiny_lm):
    """synthloop's own tokenisation (what fine_tune trains on), against the tokenizer run by hand."""
    _, tokenizer = load_causal_lm(str(tiny_lm))
    eos = tokenizer.eos_token_id
    examples = tokenize_documents(tokenizer, SENTENCES[:3], max_length=200)
    for text, ids in zip(SENTENCES, examples):
        assert ids == tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]
    long = tokenize_documents(tokenizer, [" ".join(SENTENCES)], max_length=8)[0]
    assert long == tokenizer(" ".join(SENTENCES), add_special_tokens=False)["input_ids"][:7] + [eos]


def test_fine_tune_trains_on_eos_terminated_documents(tiny_lm, tmp_path):
    """The report's token count is every document's tokens (cut to context − 1) plus one EOS each."""
    model, tokenizer = load_causal_lm(str(tiny_lm))
    report = fine_tune(model, tokenizer, SENTENCES, tmp_path / "model", PARAMS, seed=0)
    by_hand = sum(min(len(tokenizer(t, add_special_tokens=False)["input_ids"]), PARAMS["max_length"] - 1) + 1 for t in SENTENCES)
    assert report["tokens"] == by_hand and report["examples"] == len(SENTENCES)


def test_the_collator_pads_labels_with_minus_100_so_eos_stays_a_target(tiny_lm):
    from transformers import DataCollatorForSeq2Seq

    _, tokenizer = load_causal_lm(str(tiny_lm))
    eos = tokenizer.eos_token_id
    batch = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100)(
        [{"input_ids": [5, 6, eos], "labels": [5, 6, eos]}, {"input_ids": [7, eos], "labels": [7, eos]}]
    )
    assert batch["labels"].tolist() == [[5, 6, eos], [7, eos, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
