"""The offline default base model: a byte-level BPE tokenizer and a small GPT-2 trained from scratch."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from synthloop.lm.training import pack, train

EOS = "<|endoftext|>"


def train_tokenizer(texts, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=EOS, eos_token=EOS, unk_token=EOS, pad_token=EOS)


def tiny_gpt2(tokenizer, params: dict, seed: int):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=params["context"],
        n_embd=params["n_embd"],
        n_layer=params["n_layer"],
        n_head=params["n_head"],
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )
    return GPT2LMHeadModel(config)


def train_base_model(texts, out_dir, params: dict, seed: int) -> dict:
    """Tokenizer and model trained on the given corpus, saved as a normal Hugging Face directory."""
    tokenizer = train_tokenizer(texts, params["vocab_size"])
    model = tiny_gpt2(tokenizer, params, seed)
    blocks = pack([ids + [tokenizer.eos_token_id] for ids in tokenizer(list(texts))["input_ids"]], params["context"])
    return train(
        model,
        tokenizer,
        blocks,
        out_dir,
        {**params, "weight_decay": 0.01, "warmup_steps": params["steps"] // 10},
        seed,
        max_steps=params["steps"],
        lr_scheduler_type="cosine",
    )


SHIPPED_FILES = ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "training.json")


def ship(trained_dir, dest_dir) -> list[Path]:
    """Copy what loading needs (and the training report) from a train_base_model output into the repository.

    The Trainer's training_args.bin is a pickle and is left behind: the shipped directory holds
    safetensors and JSON only, so loading it never unpickles anything.
    """
    trained_dir, dest_dir = Path(trained_dir), Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in SHIPPED_FILES:
        if (trained_dir / name).exists():
            shutil.copy2(trained_dir / name, dest_dir / name)
            copied.append(dest_dir / name)
    if not (dest_dir / "model.safetensors").exists():
        raise FileNotFoundError(f"{trained_dir}: no model.safetensors to ship")
    return copied


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Copy a trained base model (results/<study>/models/base) to a shipped directory.")
    parser.add_argument("trained_dir")
    parser.add_argument("dest_dir")
    args = parser.parse_args()
    for path in ship(args.trained_dir, args.dest_dir):
        print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")
