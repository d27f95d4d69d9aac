"""Loading causal LMs from a Hugging Face id or a local directory, on the device the job was given."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import torch

from synthloop.core.hub import ModelRef
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
    """Enable TF32 on Ampere+ and return bf16 where the GPU supports it, float32 elsewhere.

    cuDNN's attention is off: it builds a plan for every new sequence length, which cost 4 s of a
    0.4 s batched generation and seconds per fine-tune on an H200 (bench/gpu.sh); flash attention does not.
    """
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cuda.enable_cudnn_sdp(False)
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
            raise OSError(
                f"model directory {str(directory)!r}: {weights.name} is truncated or damaged ({problem}). Re-make it: delete "
                f"{str(directory)!r} and re-run the workflow (Snakemake re-runs the job that writes it; add --rerun-incomplete "
                "after a killed run)"
            )


def load_tokenizer(model: ModelRef | str):
    """The tokenizer of a model reference (a source string is read as `ModelRef.of(source)`): its revision
    pins a hub model to a commit, tag or branch (ignored for local directories)."""
    from transformers import AutoTokenizer

    model = ModelRef.of(model)
    kwargs = {"gguf_file": model.gguf_file} if model.gguf_file else {}
    with hub_errors(model.source, model.revision):
        tokenizer = AutoTokenizer.from_pretrained(model.source, trust_remote_code=model.trusted(), revision=model.revision, **kwargs)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


@contextmanager
def hub_errors(source: str, revision: str | None):
    """A hub id that cannot be loaded (offline and not in the cache, unknown, gated): say which, and how to pre-download it.

    from_pretrained reads the local cache first and honours HF_HUB_OFFLINE itself; its own error
    does not say what to do on a compute node without internet.
    """
    try:
        yield
    except OSError as error:
        if is_local(source):
            raise
        at = f" --revision {revision}" if revision else ""
        offline = " (HF_HUB_OFFLINE=1: only the local cache is read)" if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
        raise OSError(
            f"model {source!r}{f' at revision {revision!r}' if revision else ''} could not be loaded{offline}: {error}. "
            f"Pre-download it on a machine with internet into the cache the jobs read (the same HF_HOME): `hf download {source}{at}` "
            "(gated models: accept the licence on the hub and set HF_TOKEN first), or download it to a directory "
            f"(`hf download {source}{at} --local-dir <dir>`) and give that directory as the model source (docs/cluster.md)"
        ) from error


def adapter_base(adapter_dir: str | Path) -> str:
    """The model a LoRA adapter was trained on, as fine_tune recorded it: a hub id (`id@revision` when pinned),
    or a local path, the workflow's relative to the folder that holds results/ (results/<study>/chains/...).

    A relative path that is not there from the working directory is looked up from each folder above the
    adapter, so a results tree that moved (or is read from elsewhere) still finds its bases.
    """
    adapter_dir = Path(adapter_dir)
    base = json.loads((adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"]
    if Path(base).is_absolute() or Path(base).exists():
        return base
    for root in adapter_dir.resolve().parents:
        if (root / base).exists():
            return str(root / base)
    return base


def load_causal_lm(model: ModelRef | str, device=None, dtype=None):
    """Model and tokenizer of a model reference (a source string is read as `ModelRef.of(source)`): a hub id at
    its revision or a local directory; weights only from safetensors (or the reference's GGUF file).

    A LoRA adapter directory is loaded onto the model it was trained from (recursively, for a
    chain of adapters) and merged, so callers always get a plain model. A hub id is read from the
    local cache when it is there (also under HF_HUB_OFFLINE=1); failures name the id and how to pre-download it.
    """
    from transformers import AutoModelForCausalLM

    ref = ModelRef.of(model)
    check_weights(ref.source)
    if (Path(ref.source) / "adapter_config.json").exists():
        from peft import PeftModel

        base, _ = load_causal_lm(
            replace(ModelRef.of(adapter_base(ref.source)), gguf_file=ref.gguf_file, trust_remote_code=ref.trust_remote_code), device, dtype
        )
        return PeftModel.from_pretrained(base, ref.source).merge_and_unload(), load_tokenizer(replace(ref, gguf_file=None))

    device = device or pick_device()
    preferred = fast_math(device)  # also sets the device's math modes (TF32, attention backends)
    dtype = dtype or preferred
    kwargs = {"gguf_file": ref.gguf_file} if ref.gguf_file else {"use_safetensors": True}
    with hub_errors(ref.source, ref.revision):
        loaded = AutoModelForCausalLM.from_pretrained(
            ref.source, dtype=dtype, trust_remote_code=ref.trusted(), revision=ref.revision, **kwargs
        )
    return loaded.to(device), load_tokenizer(ref)
