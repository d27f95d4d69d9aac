"""Training checkpoints for the image models: safetensors only, complete only when their marker exists.

A checkpoint is a directory `step-<n>/` holding `tensors.safetensors` (model weights, optimizer
moments, random-generator states) and `state.json` (step counters, optimizer hyper-parameters,
anything else small), then the marker `COMPLETE`, written last. A job killed while saving leaves a
directory without the marker, which `latest` ignores and removes; a job that completes deletes
the whole checkpoint directory. Nothing is unpickled.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

MARKER = "COMPLETE"


def _optimizer_tensors(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    state = optimizer.state_dict()
    tensors, plain = {}, {"param_groups": state["param_groups"], "state": {}}
    for pid, entries in state["state"].items():
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"optim.{name}.{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                plain["state"].setdefault(str(pid), {})[key] = value
    return tensors, plain


def _restore_optimizer(name: str, optimizer: torch.optim.Optimizer, tensors: dict, plain: dict) -> None:
    state: dict = {}
    prefix = f"optim.{name}."
    for key, value in tensors.items():
        if key.startswith(prefix):
            pid, entry = key[len(prefix):].split(".", 1)
            state.setdefault(int(pid), {})[entry] = value
    for pid, entries in plain["state"].items():
        state.setdefault(int(pid), {}).update(entries)
    optimizer.load_state_dict({"state": state, "param_groups": plain["param_groups"]})


def save(directory, step: int, modules: dict, optimizers: dict, generators: dict, extra: dict | None = None, keep: int = 1) -> Path:
    """Write checkpoint `step` under `directory` and drop older complete ones beyond `keep`."""
    directory = Path(directory)
    target = directory / f"step-{step:08d}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    tensors = {f"model.{name}.{k}": v.detach().cpu().contiguous() for name, m in modules.items() for k, v in m.state_dict().items()}
    plain = {"step": step, "extra": extra or {}, "optimizers": {}}
    for name, optimizer in optimizers.items():
        opt_tensors, opt_plain = _optimizer_tensors(name, optimizer)
        tensors.update(opt_tensors)
        plain["optimizers"][name] = opt_plain
    for name, generator in generators.items():
        tensors[f"rng.{name}"] = generator.get_state()
    tensors["rng.torch"] = torch.get_rng_state()
    save_file(tensors, str(target / "tensors.safetensors"))
    (target / "state.json").write_text(json.dumps(plain))
    (target / MARKER).write_text("")
    for old in complete(directory)[:-keep]:
        shutil.rmtree(old)
    return target


def complete(directory) -> list[Path]:
    """Complete checkpoints, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("step-*") if (p / MARKER).exists())


def latest(directory) -> Path | None:
    """The newest complete checkpoint; incomplete ones (a kill while saving) are removed."""
    directory = Path(directory)
    if directory.is_dir():
        for partial in directory.glob("step-*"):
            if not (partial / MARKER).exists():
                shutil.rmtree(partial)
    found = complete(directory)
    return found[-1] if found else None


def restore(checkpoint: Path, modules: dict, optimizers: dict, generators: dict) -> dict:
    """Load a checkpoint into the given objects; returns its step and extra state."""
    tensors = load_file(str(checkpoint / "tensors.safetensors"))
    plain = json.loads((checkpoint / "state.json").read_text())
    for name, module in modules.items():
        prefix = f"model.{name}."
        module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, optimizer in optimizers.items():
        _restore_optimizer(name, optimizer, tensors, plain["optimizers"][name])
    for name, generator in generators.items():
        generator.set_state(tensors[f"rng.{name}"])
    torch.set_rng_state(tensors["rng.torch"])
    return {"step": plain["step"], **plain["extra"]}


def clear(directory) -> None:
    """Remove a job's checkpoints once its outputs are written."""
    shutil.rmtree(directory, ignore_errors=True)
