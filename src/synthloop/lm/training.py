"""Training causal LMs with the Hugging Face Trainer: from scratch (the tiny base) and fine-tuning.

Fine-tuning pads each batch only to its longest example (the published recipe pads every
example to 512 tokens), learns each document's EOS, checkpoints into a directory beside the job's output so a killed
job resumes, and removes the checkpoints when it completes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path

import torch

from synthloop.core.progress import Progress
from synthloop.lm.models import context_length, fast_math, pick_device

log = logging.getLogger(__name__)
FINGERPRINT = "fingerprint.json"


def tokenize_documents(tokenizer, texts, max_length: int) -> list[list[int]]:
    """One example per document, ending in EOS so the model learns where documents stop."""
    ids = tokenizer(list(texts), add_special_tokens=False, truncation=True, max_length=max_length - 1)["input_ids"]
    return [row + [tokenizer.eos_token_id] for row in ids]


def pack(token_lists, block: int) -> list[list[int]]:
    """Concatenate documents and cut fixed-length blocks (pre-training; no padding at all)."""
    stream = [t for row in token_lists for t in row]
    return [stream[i : i + block] for i in range(0, len(stream) - block + 1, block)]


def training_arguments(output_dir: Path, params: dict, seed: int, device: torch.device, **overrides):
    """The Trainer's arguments. Where the device supports bf16 it is the Trainer's mixed precision
    (bf16 autocast over fp32 weights, `train` keeps trainable weights in fp32): updates of lr 5e-5 to
    weights held in bf16 would largely round away. bf16 weights are for inference only."""
    from transformers import TrainingArguments

    dtype = fast_math(device)
    args = {
        "output_dir": str(output_dir),
        "num_train_epochs": params.get("epochs", 1),
        "per_device_train_batch_size": params["batch_size"],
        "learning_rate": params["learning_rate"],
        "weight_decay": params.get("weight_decay", 0.0),
        "warmup_steps": params.get("warmup_steps", 0),
        "activation_checkpointing": params.get("gradient_checkpointing", False),
        "torch_compile": params.get("torch_compile", False),
        "seed": seed,
        "data_seed": seed,
        "save_strategy": "steps",
        "save_steps": params.get("save_steps", 500),
        "save_total_limit": 1,
        "logging_steps": 10,
        "report_to": "none",
        "disable_tqdm": True,
        "use_cpu": device.type != "cuda",
        "bf16": dtype == torch.bfloat16,
        "dataloader_num_workers": 0,
    }
    args.update(overrides)
    return TrainingArguments(**args)


def fp32_trainable(model) -> None:
    """Trainable weights in fp32 (the master copy of mixed precision); frozen ones (a LoRA base) keep their dtype."""
    for parameter in model.parameters():
        if parameter.requires_grad and parameter.dtype != torch.float32:
            parameter.data = parameter.data.float()


def is_complete(checkpoint: Path) -> bool:
    """The Trainer writes the trainer state last: a checkpoint without a parseable one was cut off."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
        return True
    except (FileNotFoundError, json.JSONDecodeError):
        return False


def checkpoint_fingerprint(model, examples: list[list[int]], params: dict, seed: int, **extra) -> str:
    """What a checkpoint was trained from: the job's parameters and seed, its tokenised inputs, its
    starting weights (first and last tensors: a different init model differs there) and any extras."""
    digest = hashlib.sha256(json.dumps({"params": params, "seed": seed, "extra": extra}, sort_keys=True, default=repr).encode())
    for example in examples:
        digest.update(json.dumps(example).encode())
    tensors = [t for name, t in model.state_dict().items() if "lora_" not in name]  # LoRA factors start random
    for tensor in (tensors[:1] + tensors[-1:]) if tensors else []:
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def keep_matching_checkpoints(checkpoints: Path, fingerprint: str) -> bool:
    """Discard checkpoints left by a run with other parameters or inputs; record this run's fingerprint beside them.

    Without this, a fine-tune killed and re-run after e.g. finetune.learning_rate changed resumes
    the old run's optimiser and schedule, and the model is recorded as trained with the new value.
    Returns whether old checkpoints were discarded.
    """
    stamp = checkpoints / FINGERPRINT
    try:
        recorded = json.loads(stamp.read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        recorded = None
    discarded = recorded != fingerprint and any(checkpoints.glob("checkpoint-*"))
    if discarded:
        log.warning(
            "discarding checkpoints in %s: made with other parameters or inputs (fingerprint %s, now %s)",
            checkpoints,
            recorded,
            fingerprint,
        )
        shutil.rmtree(checkpoints)
    checkpoints.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"fingerprint": fingerprint}))
    return discarded


def resumable_checkpoint(checkpoints: Path) -> str | None:
    """The newest complete checkpoint; newer incomplete ones (a kill while saving) are removed,
    since the Trainer's own `resume_from_checkpoint=True` would pick them and fail."""
    found = sorted(checkpoints.glob("checkpoint-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    complete = [c for c in found if is_complete(c)]
    for checkpoint in found:
        if complete and int(checkpoint.name.rsplit("-", 1)[1]) > int(complete[-1].name.rsplit("-", 1)[1]):
            shutil.rmtree(checkpoint)
    return str(complete[-1]) if complete else None


def progress_callback(what: str = "fine-tune"):
    """A TrainerCallback logging steps done, the loss and the time left at every Trainer log and epoch end
    (the Trainer's tqdm bar is off: unreadable in a job log)."""
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        progress: Progress | None = None

        def on_train_begin(self, args, state, control, **kwargs):
            self.progress = Progress(what, state.max_steps, "steps", logger=log, already=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if self.progress is not None and logs and "loss" in logs:
                self.progress.update(state.global_step, epoch=float(state.epoch or 0), loss=float(logs["loss"]))

        def on_epoch_end(self, args, state, control, **kwargs):
            if self.progress is not None:
                self.progress.update(state.global_step, epoch=float(state.epoch or 0), epochs=args.num_train_epochs)

    return ProgressCallback()


def train(
    model,
    tokenizer,
    examples: list[list[int]],
    out_dir,
    params: dict,
    seed: int,
    trainer_class=None,
    columns: dict | None = None,
    **overrides,
) -> dict:
    """Train on tokenised examples, resuming from a checkpoint left by a killed run of the same job.

    `trainer_class` (a Trainer subclass, e.g. one with its own compute_loss) and `columns` (extra
    per-example values it reads from each batch) let a study change the loss without a second loop.
    """
    from datasets import Dataset
    from transformers import DataCollatorForSeq2Seq, Trainer, set_seed

    out_dir = Path(out_dir)
    checkpoints = out_dir.with_name(out_dir.name + ".checkpoints")
    set_seed(seed)
    device = pick_device()
    fp32_trainable(model)
    if columns:
        overrides.setdefault("remove_unused_columns", False)  # keep the extra columns for the Trainer subclass
    trainer = (trainer_class or Trainer)(
        model=model,
        args=training_arguments(checkpoints, params, seed, device, **overrides),
        # Labels are the inputs, padded with -100: pad is EOS for GPT-2, and a collator that masks
        # every pad-token label (DataCollatorForLanguageModeling) would never teach the model to stop.
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
        train_dataset=Dataset.from_dict({"input_ids": examples, "labels": examples, **(columns or {})}),
        processing_class=tokenizer,
        callbacks=[progress_callback()],
    )
    fingerprint = checkpoint_fingerprint(
        model, examples, params, seed, trainer=(trainer_class or Trainer).__name__, columns=columns, overrides=overrides
    )
    keep_matching_checkpoints(checkpoints, fingerprint)
    resume = resumable_checkpoint(checkpoints)
    start = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - start
    trainer.save_model(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    record = {
        "train_loss": result.training_loss,
        "final_logged_loss": losses[-1] if losses else None,
        "steps": trainer.state.global_step,
        "examples": len(examples),
        "tokens": int(sum(len(e) for e in examples)),
        "resumed": resume is not None,
        "seed": seed,
    }
    # The wall time is returned (and in the job's benchmark file), not saved: one config and seed give the same files.
    (out_dir / "training.json").write_text(json.dumps(record, indent=2))
    shutil.rmtree(checkpoints, ignore_errors=True)
    return {**record, "seconds": seconds}


def with_lora(model, lora: dict):
    """Wrap the model in a peft LoRA adapter (published study 2: r = 16, alpha = 16, all projections)."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=lora.get("r", 16),
        lora_alpha=lora.get("alpha", 16),
        lora_dropout=lora.get("dropout", 0.0),
        target_modules=lora.get("target_modules") or "all-linear",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def fine_tune(model, tokenizer, texts, out_dir, params: dict, seed: int, init_source: str | None = None, **train_options) -> dict:
    """Full fine-tuning, or LoRA when `params["lora"]` is set.

    A LoRA job saves only its adapter, pointing at `init_source` (the base or the previous
    generation), which `models.load_causal_lm` follows and merges.
    """
    tokenizer.padding_side = "right"
    max_length = min(params["max_length"], context_length(model))
    if params.get("lora"):
        model = with_lora(model, params["lora"])
    report = train(model, tokenizer, tokenize_documents(tokenizer, texts, max_length), out_dir, params, seed, **train_options)
    adapter = Path(out_dir) / "adapter_config.json"
    if adapter.exists() and init_source is not None:
        config = json.loads(adapter.read_text())
        adapter.write_text(json.dumps({**config, "base_model_name_or_path": str(init_source)}, indent=2))
    return report
