"""Training checkpoints for the image models: safetensors only, complete only when their marker exists.

A checkpoint is a directory `step-<n>/` holding `tensors.safetensors` (model weights, optimizer
moments, random-generator states) and `state.json` (step counters, optimizer hyper-parameters,
anything else small, and the fingerprint of what the job trains from), then the marker `COMPLETE`,
written last. A job killed while saving leaves a directory without the marker, which `latest`
ignores and removes; a job that completes deletes the whole checkpoint directory. Nothing is
unpickled. `run_steps` is the resumable step loop the image trainers share.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from synthloop.core.progress import Progress

log = logging.getLogger(__name__)
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
            pid, entry = key[len(prefix) :].split(".", 1)
            state.setdefault(int(pid), {})[entry] = value
    for pid, entries in plain["state"].items():
        state.setdefault(int(pid), {}).update(entries)
    optimizer.load_state_dict({"state": state, "param_groups": plain["param_groups"]})


def save(
    directory,
    step: int,
    modules: dict,
    optimizers: dict,
    generators: dict,
    extra: dict | None = None,
    keep: int = 1,
    fingerprint: str | None = None,
) -> Path:
    """Write checkpoint `step` under `directory` and drop older complete ones beyond `keep`."""
    directory = Path(directory)
    target = directory / f"step-{step:08d}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    tensors = {f"model.{name}.{k}": v.detach().cpu().contiguous() for name, m in modules.items() for k, v in m.state_dict().items()}
    plain = {"step": step, "extra": extra or {}, "optimizers": {}, "fingerprint": fingerprint}
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
        module.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    for name, optimizer in optimizers.items():
        _restore_optimizer(name, optimizer, tensors, plain["optimizers"][name])
    for name, generator in generators.items():
        generator.set_state(tensors[f"rng.{name}"])
    torch.set_rng_state(tensors["rng.torch"])
    return {"step": plain["step"], **plain["extra"]}


def clear(directory) -> None:
    """Remove a job's checkpoints once its outputs are written."""
    shutil.rmtree(directory, ignore_errors=True)


def fingerprint(params: dict, seed: int, *arrays, **extra) -> str:
    """What a job trains from: its parameters, seed, input arrays (dtype, shape and bytes) and any extras.

    A checkpoint records it, so that a job re-run after a parameter or input edit starts over
    instead of resuming the old run and recording its result under the new parameters.
    """
    digest = hashlib.sha256(json.dumps({"params": params, "seed": seed, "extra": extra}, sort_keys=True, default=repr).encode())
    for array in arrays:
        array = np.ascontiguousarray(array.detach().cpu().numpy() if torch.is_tensor(array) else np.asarray(array))
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def recorded_fingerprint(checkpoint: Path) -> str | None:
    """The fingerprint a checkpoint was saved with; None for one saved without (or unreadable)."""
    try:
        return json.loads((checkpoint / "state.json").read_text()).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


def matching_latest(directory, fingerprint: str) -> Path | None:
    """The newest complete checkpoint if it was made from the same parameters and inputs; otherwise
    every checkpoint in `directory` is discarded (with a warning) and None returned."""
    found = latest(directory)
    if found is None:
        return None
    recorded = recorded_fingerprint(found)
    if recorded == fingerprint:
        return found
    log.warning(
        "discarding checkpoints in %s: made with other parameters or inputs (fingerprint %s, now %s)", directory, recorded, fingerprint
    )
    clear(directory)
    return None


def run_steps(
    directory,
    fingerprint: str,
    total: int,
    step: Callable[[dict], dict | None],
    finish: Callable[[], Any],
    *,
    modules: dict,
    optimizers: dict,
    generators: dict | None = None,
    state: dict | None = None,
    what: str = "training",
    unit: str = "steps",
    checkpoint_every: int = 1,
    log_every: int = 1,
    stop_after: int | None = None,
    stop_early: Callable[[dict], bool] | None = None,
) -> Any:
    """The image trainers' resumable loop: resume, run `step` until `total`, checkpoint, finish, clear.

    Resumes the latest complete checkpoint under `directory` made with the same `fingerprint`
    (others are discarded), then calls `step(state)` with `state['step']` the steps done so far
    (it may update the other entries of `state`, which the checkpoints keep) until `total` steps or
    `stop_early(state)`. Saves every `checkpoint_every` steps unless the loop is about to end, logs
    a progress line every `log_every` steps with whatever `step` returned, then calls `finish()`,
    clears the checkpoints (after `finish`, so a kill while sampling still resumes) and returns its
    result. `stop_after` ends the call after that many steps of this call and returns None: tests
    interrupt with it. `state` is updated in place, so a caller sees where an interrupted run got to.
    """
    state = state if state is not None else {}
    state.setdefault("step", 0)
    generators = generators or {}
    found = matching_latest(directory, fingerprint)
    if found is not None:
        state.update(restore(found, modules, optimizers, generators))
        log.info("resumed %s after %d %s from %s", what, state["step"], unit, found)

    def finished() -> bool:
        return state["step"] >= total or (stop_early is not None and stop_early(state))

    progress = Progress(what, total, unit, logger=log, already=state["step"], every=log_every)
    done_this_call = 0
    while not finished():
        if stop_after is not None and done_this_call >= stop_after:
            return None
        logged = step(state) or {}
        state["step"] += 1
        done_this_call += 1
        progress.step(**logged)
        if state["step"] % checkpoint_every == 0 and not finished():
            save(
                directory,
                state["step"],
                modules,
                optimizers,
                generators,
                extra={k: v for k, v in state.items() if k != "step"},
                fingerprint=fingerprint,
            )
    result = finish()
    clear(directory)
    return result
