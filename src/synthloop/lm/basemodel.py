"""The offline default base model: a byte-level BPE tokenizer and a small GPT-2 trained from scratch."""

from __future__ import annotations

from synthloop.lm.training import pack, train

EOS = "<|endoftext|>"


def train_tokenizer(texts, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
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
        model, tokenizer, blocks, out_dir, {**params, "weight_decay": 0.01, "warmup_steps": params["steps"] // 10}, seed,
        max_steps=params["steps"], lr_scheduler_type="cosine",
    )
