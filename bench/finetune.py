"""Fine-tuning throughput: synthloop's fine_tune (dynamic padding) vs the published pad-to-512 recipe.

Both run in this process, one after the other, from the same initial weights, on the same
documents (real SOTU paragraphs), with the same Trainer arguments (epochs, batch, lr, weight
decay, seed, hence the same batches in the same order):

- published: every example tokenised with padding="max_length", max_length=512, pad = EOS,
  DataCollatorForLanguageModeling(mlm=False), which masks the labels of padding (Wang et al.);
- synthloop: synthloop.lm.training.fine_tune exactly as the workflow's finetune rule calls it
  (each example ends in EOS; each batch is padded only to its longest example);
- packed (--packing): the synthloop examples, padding-free (DataCollatorWithFlattening: each
  batch is one row, position ids restart per document so attention stays within a document),
  with EOS labels masked like the other two so the losses compare. Not in synthloop.lm.training.

Prints useful (non-pad) tokens/s of each, the ratio, and each run's mean and last logged
training loss: the losses should agree within noise (dropout masks depend on tensor shapes).
The Trainer (transformers 5.23, GPT-2) divides a padded batch's summed loss by a label count
that includes each row's first token, which is never predicted, so the two padded runs read
about rows/tokens (~1%) lower than the exact packed loss; the script prints the packed loss
with that factor applied for comparison.

    python bench/finetune.py                                  # CPU, tiny GPT-2 from its config
    python bench/finetune.py --packing --docs 256
    python bench/finetune.py --device cuda --size gpt2 --docs 512 --packing   # GPT-2 small, random init
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if "--device" in sys.argv and sys.argv[sys.argv.index("--device") + 1] == "cpu":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # synthloop picks the device itself (pick_device); keep it on the CPU

import torch  # noqa: E402

PUBLISHED_MAX_LENGTH = 512


def paragraphs(n):
    from synthloop.data.documents import sotu_paragraphs

    return sotu_paragraphs((1981, 2026), 30)["text"].head(n).tolist()


def build_model(args):
    """A tokenizer trained here and a randomly initialised GPT-2 (no download) with 1024 positions."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from synthloop.lm.basemodel import train_tokenizer

    tokenizer = train_tokenizer(paragraphs(2000), 2048 if args.size == "tiny" else 8192)
    sizes = {"tiny": dict(n_layer=2, n_head=4, n_embd=96), "gpt2": dict(n_layer=12, n_head=12, n_embd=768)}[args.size]
    torch.manual_seed(args.seed)
    eos = tokenizer.eos_token_id
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=1024, eos_token_id=eos, bos_token_id=eos, pad_token_id=eos, **sizes)
    return GPT2LMHeadModel(config), tokenizer


def run_trainer(model, tokenizer, dataset, collator, workdir: Path, params: dict, seed: int) -> dict:
    """The same Trainer set-up as synthloop.lm.training.train (same arguments), timed around train()."""
    from transformers import Trainer, set_seed

    from synthloop.lm.models import pick_device
    from synthloop.lm.training import training_arguments

    set_seed(seed)
    trainer = Trainer(
        model=model,
        args=training_arguments(workdir / "checkpoints", params, seed, pick_device()),
        data_collator=collator,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    sync()
    start = time.perf_counter()
    result = trainer.train()
    sync()
    seconds = time.perf_counter() - start
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return {
        "seconds": seconds,
        "train_loss": result.training_loss,
        "final_logged_loss": losses[-1] if losses else None,
        "steps": trainer.state.global_step,
    }


def published(model, tokenizer, texts, workdir: Path, params: dict, seed: int) -> dict:
    """Wang et al.: every example padded to 512 tokens, pad = EOS, labels masked on padding by the collator."""
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling

    tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    encoded = tokenizer(list(texts), padding="max_length", truncation=True, max_length=PUBLISHED_MAX_LENGTH)
    dataset = Dataset.from_dict({"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]})
    report = run_trainer(model, tokenizer, dataset, DataCollatorForLanguageModeling(tokenizer, mlm=False), workdir, params, seed)
    report["tokens"] = int(sum(map(sum, encoded["attention_mask"])))
    report["slots"] = len(texts) * PUBLISHED_MAX_LENGTH
    return report


def synthloop_run(model, tokenizer, texts, workdir: Path, params: dict, seed: int) -> dict:
    """synthloop.lm.training.fine_tune, as scripts/text_loop/finetune.py calls it (its own timing covers trainer.train())."""
    from synthloop.lm.training import fine_tune

    sync()
    report = fine_tune(model, tokenizer, texts, workdir / "model", params, seed)
    return report  # tokens: every example's tokens, its EOS included; no padding counted


class FlattenMaskingEOS:
    """DataCollatorWithFlattening with EOS labels masked, as DataCollatorForLanguageModeling masks them (pad = EOS)."""

    def __init__(self, eos_id: int):
        from transformers import DataCollatorWithFlattening

        self.flatten = DataCollatorWithFlattening()
        self.eos_id = eos_id

    def __call__(self, features, return_tensors=None):
        batch = self.flatten(features, return_tensors="pt")
        batch["labels"][batch["input_ids"] == self.eos_id] = -100
        return batch


def packed(model, tokenizer, texts, workdir: Path, params: dict, seed: int) -> dict:
    from datasets import Dataset

    from synthloop.lm.models import context_length
    from synthloop.lm.training import tokenize_documents

    examples = tokenize_documents(tokenizer, texts, min(params["max_length"], context_length(model)))
    # With use_cache on (GPT-2's default), even a training forward builds a KV cache, and transformers then skips
    # the packed-sequence detection from position_ids: documents would attend to each other.
    model.config.use_cache = False
    report = run_trainer(
        model, tokenizer, Dataset.from_dict({"input_ids": examples}), FlattenMaskingEOS(tokenizer.eos_token_id), workdir, params, seed
    )
    report["tokens"] = int(sum(map(len, examples)))
    return report


@torch.no_grad()
def packing_leak(model, tokenizer, texts) -> float:
    """Max |logit difference| between two documents run packed in one row and each run alone (0 = isolated)."""
    from transformers import DataCollatorWithFlattening

    model = copy.deepcopy(model).eval()
    model.config.use_cache = False
    docs = [ids[:64] for ids in tokenizer(texts[:2], add_special_tokens=False)["input_ids"]]
    batch = DataCollatorWithFlattening()([{"input_ids": d} for d in docs], return_tensors="pt")
    together = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits[0]
    alone = torch.cat([model(input_ids=torch.tensor([d])).logits[0] for d in docs])
    return float((together - alone).abs().max())


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def warm_up(model, tokenizer, device):
    """One forward/backward at the published and at a short shape, so neither timed run pays first-call costs."""
    model = copy.deepcopy(model).to(device)
    for width in (PUBLISHED_MAX_LENGTH, 64):
        ids = torch.full((2, width), tokenizer.eos_token_id, device=device)
        model(input_ids=ids, labels=ids).loss.backward()
    sync()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--size", choices=["tiny", "gpt2"], default="tiny", help="random-init model: tiny (2 layers, 96 wide) or GPT-2 small"
    )
    parser.add_argument("--docs", type=int, default=96, help="real documents (SOTU paragraphs, 1981 on) in the training set")
    parser.add_argument("--epochs", type=float, default=5, help="published: 5")
    parser.add_argument("--batch-size", type=int, default=8, help="published: 8")
    parser.add_argument("--lr", type=float, default=5e-5, help="published: 5e-5")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="published: 0.01")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--packing", action="store_true", help="also measure padding-free packing (DataCollatorWithFlattening)")
    parser.add_argument(
        "--save", type=Path, help="keep synthloop's fine-tuned model here (a trained model for bench/block_generation.py --model)"
    )
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible")

    from synthloop.lm.models import pick_device

    device = pick_device()
    base, tokenizer = build_model(args)
    texts = paragraphs(args.docs)
    # max_length 512 for both: synthloop truncates to the same 512 (511 tokens + EOS)
    params = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "weight_decay": args.weight_decay,
        "max_length": PUBLISHED_MAX_LENGTH,
    }
    warm_up(base, tokenizer, device)

    runs = {"published": published, "synthloop": synthloop_run}
    if args.packing:
        runs["packed"] = packed
    reports = {}
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
        for name, run in runs.items():
            workdir = Path(tmp) / name
            workdir.mkdir()
            reports[name] = run(copy.deepcopy(base), copy.deepcopy(tokenizer), texts, workdir, params, args.seed)
        if args.save:
            shutil.copytree(Path(tmp) / "synthloop" / "model", args.save, dirs_exist_ok=True)

    params_count = sum(p.numel() for p in base.parameters())
    doc_tokens = [len(x) for x in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    pub = reports["published"]
    print(f"device {device}, model {args.size} ({params_count / 1e6:.2f} M parameters), threads {torch.get_num_threads()}")
    print(
        f"{len(texts)} SOTU paragraphs (median {sorted(doc_tokens)[len(doc_tokens) // 2]} tokens, max {max(doc_tokens)}), "
        f"{args.epochs:g} epochs, batch {args.batch_size}, lr {args.lr:g}, weight decay {args.weight_decay:g}, seed {args.seed}"
    )
    print(f"published pad-to-512: {1 - pub['tokens'] / pub['slots']:.1%} of every batch is padding")
    print(f"{'variant':<24}{'useful tokens/s':>16}{'seconds':>9}{'steps':>7}{'mean loss':>11}{'last logged loss':>18}")
    labels = {"published": "published (pad to 512)", "synthloop": "synthloop (dynamic pad)", "packed": "packed (no padding)"}
    for name, r in reports.items():
        tokens = r["tokens"] * args.epochs
        last = f"{r['final_logged_loss']:.4f}" if r["final_logged_loss"] is not None else "-"
        print(f"{labels[name]:<24}{tokens / r['seconds']:>16.1f}{r['seconds']:>9.2f}{r['steps']:>7}{r['train_loss']:>11.4f}{last:>18}")
    rate = {name: r["tokens"] * args.epochs / r["seconds"] for name, r in reports.items()}
    print(f"speed-up synthloop vs published: {rate['synthloop'] / rate['published']:.1f}x")
    if args.packing:
        print(f"speed-up packed vs published: {rate['packed'] / rate['published']:.1f}x")
    if args.packing:
        r = reports["packed"]
        label_tokens = r["tokens"] - len(texts)  # EOS labels are masked in every variant
        print(
            f"packed mean loss x (1 - documents/label tokens), comparable to the padded runs: {r['train_loss'] * (1 - len(texts) / label_tokens):.4f}"
        )
        print(
            f"packed documents attend only to themselves: max |logit difference| packed vs alone = {packing_leak(base, tokenizer, texts):.1e}"
        )
    print(f"mean loss difference synthloop - published: {reports['synthloop']['train_loss'] - pub['train_loss']:+.4f}")


if __name__ == "__main__":
    main()
