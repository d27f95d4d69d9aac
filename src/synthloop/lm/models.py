"""Loading causal LMs from a Hugging Face id or a local directory, on the device the job was given."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from synthloop.core.jobs import gpu_request


def pick_device() -> torch.device:
    """The GPU SLURM assigned (CUDA_VISIBLE_DEVICES makes it cuda:0), else the CPU.

    A job whose rule asked for a GPU (resources: gpu) stops instead of falling back to the CPU:
    a fine-tune silently running on CPU takes days and its timings are meaningless.
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    request = gpu_request()
    if request:
        rule, count = request
        raise RuntimeError(
            f"rule {rule!r} asked for resources gpu={count}, but this job sees no CUDA GPU "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none: a CPU-only build'}; "
            f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}). Run it on a GPU node "
            "with a CUDA build of PyTorch (docs/cluster.md), or drop gpu from resources.<kind> in the config to run on the CPU."
        )
    return torch.device("cpu")


def fast_math(device: torch.device) -> torch.dtype:
    """Enable TF32 on Ampere+ and return bf16 where the GPU supports it, float32 elsewhere."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if torch.cuda.is_bf16_supported():
            return torch.bfloat16
    return torch.float32


def set_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(int(threads))


def context_length(model) -> int:
    """How many positions the model can attend to (GPT-2: n_positions; Llama-style: max_position_embeddings)."""
    config = model.config
    return getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None) or 2**31


def is_local(source: str) -> bool:
    return Path(source).exists()


def check_weights(directory: str | Path) -> None:
    """Every .safetensors file of a local model directory is whole: its header parses and the file is as long as it says.

    A killed job or a full disk leaves a truncated file; loading it fails with a SafetensorError
    that names no path. This reads only the headers.
    """
    for weights in sorted(Path(directory).glob("*.safetensors")) if Path(directory).is_dir() else []:
        size, problem = weights.stat().st_size, None
        try:
            with weights.open("rb") as handle:
                length = int.from_bytes(handle.read(8), "little")
                header = json.loads(handle.read(length)) if 8 <= size and length <= size - 8 else None
            if header is None:
                problem = "its header is cut off"
            else:
                end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
                if size < 8 + length + end:
                    problem = f"it has {size} bytes, its header says {8 + length + end}"
        except (ValueError, KeyError, TypeError, IndexError) as error:
            problem = f"its header is unreadable ({error})"
        if problem:
            raise OSError(f"model directory {str(directory)!r}: {weights.name} is truncated or damaged ({problem}). Re-make it: delete "
                          f"{str(directory)!r} and re-run the workflow (Snakemake re-runs the job that writes it; add --rerun-incomplete "
                          "after a killed run)")


def load_tokenizer(source: str, trust_remote_code: bool = False, gguf_file: str | None = None, revision: str | None = None):
    """`revision` pins a hub model to a commit, tag or branch (ignored for local directories)."""
    from transformers import AutoTokenizer

    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code, revision=revision, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(source: str, trust_remote_code: bool = False, gguf_file: str | None = None, device=None, dtype=None,
                   revision: str | None = None):
    """Model and tokenizer from a hub id (at `revision`, if given) or a local directory; weights only from safetensors (or GGUF).

    A LoRA adapter directory is loaded onto the model it was trained from (recursively, for a
    chain of adapters) and merged, so callers always get a plain model.
    """
    from transformers import AutoModelForCausalLM

    check_weights(source)
    adapter = Path(source) / "adapter_config.json"
    if adapter.exists():
        from peft import PeftModel

        base, _ = load_causal_lm(json.loads(adapter.read_text())["base_model_name_or_path"], trust_remote_code, gguf_file, device, dtype)
        return PeftModel.from_pretrained(base, source).merge_and_unload(), load_tokenizer(source, trust_remote_code)

    if not is_local(source) and os.environ.get("HF_HUB_OFFLINE") == "1":
        raise FileNotFoundError(f"model {source!r} is neither a local directory nor reachable (HF_HUB_OFFLINE=1)")
    device = device or pick_device()
    dtype = dtype or fast_math(device)
    kwargs = {"gguf_file": gguf_file} if gguf_file else {"use_safetensors": True}
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, trust_remote_code=trust_remote_code, revision=revision, **kwargs).to(device)
    return model, load_tokenizer(source, trust_remote_code, gguf_file, revision)
