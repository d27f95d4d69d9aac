"""Expert-guided filtering: drop the synthetic samples the previous generation's classifier is least sure of.

The score is the predictive entropy of the classifier's class probabilities (averaged over MC-dropout
passes when the classifier has dropout and `mc_samples` > 1, Gal & Ghahramani). A generation samples
n = ceil(S / (1 - r)) images and keeps the S with the lowest entropy, so the bottom r% by confidence
are dropped and every generation still adds S images to the queue (its capacity in generations stays
D/S): the loop's `top_fraction` selection (synthloop.loop.select) keeping the lowest 1 - r, oversampled. With `scorer: clip` the score is the entropy of CLIP's zero-shot class probabilities over one
prompt per class (the paper's other expert; a CLIP model from the hub or a local path, clusters).
With `scorer: combined` both experts score, and a sample's score is the mean of their two entropies
(the paper names both experts without saying how their scores combine).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy import special


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Predictive entropy (nats) of each row of class probabilities."""
    return special.entr(np.asarray(probabilities, dtype=float)).sum(axis=1)  # entr(0) = 0


def selection(filt: dict) -> dict | None:
    """The configured filter as a selection step: keep the 1 - r of lowest entropy, oversampled, or (mode
    threshold) every sample of entropy at most the threshold (None: no filter)."""
    if not filt["enabled"]:
        return None
    if filt.get("mode") == "threshold":
        if filt.get("threshold") is None:
            raise ValueError("filter mode threshold needs filter.threshold")
        return {"mode": "threshold", "threshold": float(filt["threshold"]), "keep": "lowest"}
    if not 0 <= filt["share"] < 1:
        raise ValueError(f"filter share {filt['share']} must lie in [0, 1)")
    return {"mode": "top_fraction", "fraction": 1.0 - filt["share"], "keep": "lowest", "oversample": True}


def classifier_uncertainty(model, mc_samples: int, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Entropy of a classifier's probabilities, over MC-dropout passes where the model has dropout."""
    from synthloop.studies.image_loop.classifiers import has_dropout
    from synthloop.studies.image_loop.training import predict_proba

    passes = mc_samples if has_dropout(model) else 1
    return lambda images: entropy(predict_proba(model, images, mc_samples=passes, seed=seed))


def mean_uncertainty(experts: list[Callable[[np.ndarray], np.ndarray]]) -> Callable[[np.ndarray], np.ndarray]:
    """The equal-weight mean of several experts' entropies (nats over the same classes), image by image."""
    return lambda images: np.mean([expert(images) for expert in experts], axis=0)


def class_prompts(n_classes: int, names: list[str], prompt: str) -> list[str]:
    return [prompt.format(name=names[c] if c < len(names) else str(c)) for c in range(n_classes)]


def clip_uncertainty(source: str, prompts: list[str], batch_size: int = 64) -> Callable[[np.ndarray], np.ndarray]:
    """Entropy of CLIP's zero-shot probabilities over the class prompts (softmax of its image-text logits)."""
    from transformers import CLIPModel, CLIPProcessor

    model, processor = CLIPModel.from_pretrained(source).eval(), CLIPProcessor.from_pretrained(source)

    def score(images: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                inputs = processor(
                    text=prompts, images=list(images[start : start + batch_size]), return_tensors="pt", padding=True, truncation=True
                )
                out.append(model(**inputs).logits_per_image.softmax(dim=1).numpy())
        return entropy(np.concatenate(out))

    return score
