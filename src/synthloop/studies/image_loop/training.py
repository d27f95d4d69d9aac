"""Training loops for the image loop's classifiers: Adam, early stopping, checkpoints and resume.

`stop_after` ends a call after that many epochs of this call (a checkpoint is written after
every epoch but the last), which is how tests interrupt training; calling again with the same
checkpoint directory, parameters and inputs resumes and ends with the same weights as an
uninterrupted run (checkpoints.run_steps).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
import torch.nn.functional as F

from synthloop.core.seeds import stable_seed
from synthloop.lm.models import pick_device
from synthloop.studies.image_loop import checkpoints

log = logging.getLogger(__name__)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float (N, C, H, W) in [-1, 1]."""
    return torch.from_numpy(np.array(images, copy=True)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def as_images(x: torch.Tensor) -> np.ndarray:
    """float (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C)."""
    return x.clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices for early stopping (a random `fraction` held out)."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(fraction * n))) if fraction > 0 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _loss(model, x, y, batch_size):
    model.eval()
    device = device_of(model)
    with torch.no_grad():
        return float(
            sum(
                F.cross_entropy(model(x[i : i + batch_size].to(device)), y[i : i + batch_size].to(device), reduction="sum")
                for i in range(0, len(x), batch_size)
            )
            / len(x)
        )


def train_classifier(
    model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, params: dict, seed: int, checkpoint_dir, stop_after: int | None = None
) -> dict:
    """Train with Adam on cross-entropy, early stopping on a held-out share of the training set.

    Ends after `params['epochs']` epochs or `patience` epochs without a better validation loss, with
    the best epoch's weights. Returns a summary; `complete` is False when `stop_after` cut the call short.
    """
    torch.manual_seed(stable_seed(seed, "init-rng"))
    device = pick_device()  # the GPU on clusters (a job that asked for one and sees none stops)
    weights = list(model.state_dict().values())
    fingerprint = checkpoints.fingerprint(params, seed, images, labels, *weights[:1], *weights[-1:], model=repr(model))
    model.to(device)
    x, y = as_tensor(images), torch.tensor(np.asarray(labels), dtype=torch.long)
    train_idx, val_idx = validation_split(len(x), params["validation_fraction"], stable_seed(seed, "validation"))
    optimizer = torch.optim.Adam(model.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"])
    best = copy.deepcopy(model)
    state = {"step": 0, "best_loss": float("inf"), "best_epoch": -1, "since_best": 0}

    def epoch(state: dict) -> dict:
        shuffle = torch.Generator().manual_seed(stable_seed(seed, "epoch", state["step"]))
        order = train_idx[torch.randperm(len(train_idx), generator=shuffle).numpy()]
        model.train()
        for start in range(0, len(order), params["batch_size"]):
            batch = torch.from_numpy(order[start : start + params["batch_size"]])
            optimizer.zero_grad()
            F.cross_entropy(model(x[batch].to(device)), y[batch].to(device)).backward()
            optimizer.step()
        held_out = val_idx if len(val_idx) else train_idx
        loss = _loss(model, x[held_out], y[held_out], 4 * params["batch_size"])
        if loss < state["best_loss"]:
            state.update(best_loss=loss, best_epoch=state["step"], since_best=0)
            best.load_state_dict(model.state_dict())
        else:
            state["since_best"] += 1
        return {"validation_loss": loss}

    def finish() -> dict:
        model.load_state_dict(best.state_dict())
        log.info("classifier: %d epochs, best epoch %d, validation loss %.4f", state["step"], state["best_epoch"], state["best_loss"])
        return {**state, "complete": True}

    summary = checkpoints.run_steps(
        checkpoint_dir,
        fingerprint,
        params["epochs"],
        epoch,
        finish,
        modules={"model": model, "best": best},
        optimizers={"adam": optimizer},
        state=state,
        what="classifier",
        unit="epochs",
        stop_after=stop_after,
        stop_early=lambda state: state["since_best"] >= params["patience"],
    )
    return summary if summary is not None else {**state, "complete": False}


def predict_proba(model: torch.nn.Module, images: np.ndarray, batch_size: int = 256, mc_samples: int = 1, seed: int = 0) -> np.ndarray:
    """Class probabilities; with mc_samples > 1, the mean over that many passes with dropout on (MC dropout)."""
    x = as_tensor(images)
    model.eval()
    if mc_samples > 1:
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.train()
    generator_state = torch.get_rng_state()
    torch.manual_seed(stable_seed(seed, "mc-dropout"))
    with torch.no_grad():
        passes = [
            torch.cat([F.softmax(model(x[i : i + batch_size].to(device_of(model))), dim=1).cpu() for i in range(0, len(x), batch_size)])
            for _ in range(mc_samples)
        ]
    torch.set_rng_state(generator_state)
    model.eval()
    return torch.stack(passes).mean(0).numpy()


def features(model: torch.nn.Module, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Penultimate-layer features (the offline FID's representation)."""
    x = as_tensor(images)
    model.eval()
    with torch.no_grad():
        return torch.cat([model.features(x[i : i + batch_size].to(device_of(model))).cpu() for i in range(0, len(x), batch_size)]).numpy()
