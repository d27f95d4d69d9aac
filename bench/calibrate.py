"""One calibration entry for `python -m synthloop.estimate`, measured on the device this runs on.

Measures, with a randomly initialised GPT-2 (no download) on real SOTU paragraphs: fine-tuning tokens/s
(synthloop.lm.training.fine_tune, as the finetune rule runs it), batched block-generation tokens/s
(synthloop.lm.generation.continue_batched), the import start-up of each kind of job (each in a fresh
process) and the model-load rate. Writes the shipped calibration with this entry added (an entry of the
same device and size replaced), in the same format:

    python bench/calibrate.py                                   # CPU, tiny GPT-2, ~1-2 min: calibration-cpu.yaml
    python bench/calibrate.py --device cuda --size gpt2 --out calibration-h100.yaml   # on a cluster's GPU node
    python -m synthloop.estimate presets/kovac2025-recursive-loops.yaml --gpu h100 --calibration calibration-h100.yaml
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if "--device" not in sys.argv or sys.argv[sys.argv.index("--device") + 1] == "cpu":
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # synthloop picks the device itself (pick_device)

import torch  # noqa: E402
import yaml  # noqa: E402

IMPORTS = {  # what each kind of job imports before its first token (the calibration's startup.imports_s)
    "finetune": "import torch; from transformers import Trainer",
    "lora": "import peft",
    "generate": "import torch, transformers",
    "score": "import torch, sentence_transformers",
    "analysis": "import pandas, synthloop.core.config",
}


def device_kind(device: str) -> str:
    if device == "cpu":
        return "cpu"
    name = torch.cuda.get_device_name().upper()
    return next((kind for kind in ("h200", "h100", "a100") if kind.upper() in name), name.split()[-1].lower())


def import_seconds(statement: str, base: str = "") -> float:
    """Seconds a fresh Python takes to run `statement` after `base` (peft after Trainer: what LoRA adds)."""
    code = "; ".join(filter(None, ["import time", base, "t = time.perf_counter()", statement, "print(time.perf_counter() - t)"]))
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[-1])


def measure(args) -> tuple[dict, dict]:
    sys.path.insert(0, str(Path(__file__).parent))
    from block_generation import timed
    from finetune import build_model, paragraphs

    from synthloop.lm.generation import block_prompts, continue_batched
    from synthloop.lm.models import load_causal_lm, pick_device
    from synthloop.lm.training import fine_tune

    device = pick_device()
    model, tokenizer = build_model(SimpleNamespace(size=args.size, seed=0))
    params = sum(p.numel() for p in model.parameters())
    texts = paragraphs(args.docs)
    with tempfile.TemporaryDirectory(prefix="calibrate-") as tmp:
        settings = {"epochs": 1, "batch_size": args.batch_size, "learning_rate": 5e-5, "weight_decay": 0.0, "max_length": 512}
        report = fine_tune(model, tokenizer, texts, Path(tmp) / "model", settings, seed=0)
        finetune_rate = report["tokens"] / report["seconds"]
        (loaded, tok), load_s = timed(lambda: load_causal_lm(str(Path(tmp) / "model"), device=device))
        size_gb = sum(f.stat().st_size for f in (Path(tmp) / "model").glob("*.safetensors")) / 1e9
    loaded.eval()
    prompts = block_prompts(tok, texts[: args.prompt_docs], 64)
    ids = dict(pad_id=tok.pad_token_id, eos_id=tok.eos_token_id)
    continue_batched(loaded, prompts[:2], 4, 2, **ids, do_sample=False, min_new_tokens=4)  # warm-up
    out, seconds = timed(lambda: continue_batched(loaded, prompts, 64, 256, **ids, do_sample=False, min_new_tokens=64))
    generate_rate = sum(map(len, out)) / seconds
    kind = device_kind(args.device)
    name = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    entry = {
        "device": kind,
        "params": params,
        "finetune_tokens_per_s": round(finetune_rate),
        "generate_tokens_per_s": round(generate_rate),
        "source": "measured",
        "basis": f"python bench/calibrate.py --device {args.device} --size {args.size} on {name}, torch {torch.__version__}, "
        f"{date.today().isoformat()}: fine_tune of {len(texts)} SOTU paragraphs (1 epoch, batch {args.batch_size}); "
        f"continue_batched of {len(prompts)} prompts x 64 new tokens",
    }
    startup = {
        "imports_s": {k: round(import_seconds(s, IMPORTS["finetune"] if k == "lora" else ""), 2) for k, s in IMPORTS.items()},
        # a load rate only from a model large enough for bytes to dominate (GPT-2 small: ~0.4 GB; the tiny one is all overhead)
        "model_load_gb_per_s": round(size_gb / load_s, 3) if size_gb >= 0.1 else None,
    }
    return entry, startup


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--size", choices=["tiny", "gpt2"], default=None, help="random-init model: tiny (CPU default) or GPT-2 small (CUDA default)"
    )
    parser.add_argument("--docs", type=int, default=None, help="SOTU paragraphs fine-tuned on (default: 96 on CPU, 512 on CUDA)")
    parser.add_argument(
        "--prompt-docs", type=int, default=None, help="paragraphs whose 64-token blocks are generation prompts (12 CPU, 64 CUDA)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--calibration", help="the calibration to add the entry to (default: the shipped one)")
    parser.add_argument("--out", type=Path, help="where to write it (default: calibration-<device>.yaml)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible")
    gpu = args.device == "cuda"
    args.size = args.size or ("gpt2" if gpu else "tiny")
    args.docs = args.docs or (512 if gpu else 96)
    args.prompt_docs = args.prompt_docs or (64 if gpu else 12)

    from synthloop.estimate.calibration import check, load

    entry, startup = measure(args)
    data = load(args.calibration).data
    data["entries"] = [e for e in data["entries"] if not (e["device"] == entry["device"] and e["params"] == entry["params"])] + [entry]
    if gpu:
        data["devices"].setdefault(entry["device"], {"memory_gb": round(torch.cuda.mem_get_info()[1] / 2**30)})
    else:
        data["devices"].setdefault("cpu", {"memory_gb": 0})
    data["startup"]["imports_s"] = startup["imports_s"]
    if startup["model_load_gb_per_s"]:
        data["startup"]["model_load_gb_per_s"] = startup["model_load_gb_per_s"]
    data["date"] = date.today().isoformat()
    check(data, "measured")  # the file written is one the estimate accepts
    out = args.out or Path(f"calibration-{entry['device']}.yaml")
    out.write_text(yaml.safe_dump(data, sort_keys=False, width=160))
    print(yaml.safe_dump({"entry": entry, "startup": startup}, sort_keys=False, width=160), end="")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
