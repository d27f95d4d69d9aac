"""Fréchet distance between the features of real and generated images, computed by torchmetrics.

The offline default takes the penultimate-layer features of a classifier trained once on the real
data (as the self-correcting self-consuming peer uses LeNet features for MNIST), so its values are
not comparable with Inception-V3 FIDs in papers; `inception_fid` gives those where torch-fidelity
and its weights are available (clusters).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class _Given(nn.Module):
    """Passes precomputed features through, so torchmetrics' FID can take them as its 'images'."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x):
        return x


def frechet_distance(real_features, generated_features) -> float:
    """FID (eq. 1) between two sets of feature vectors (n, d), by torchmetrics' FrechetInceptionDistance."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    real = torch.as_tensor(np.asarray(real_features), dtype=torch.float64)
    fake = torch.as_tensor(np.asarray(generated_features), dtype=torch.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature arrays must be (n, d) with the same d; got {tuple(real.shape)} and {tuple(fake.shape)}")
    metric = FrechetInceptionDistance(feature=_Given(real.shape[1]))
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return float(metric.compute())


def inception_fid(real_images: np.ndarray, generated_images: np.ndarray, batch_size: int = 64) -> float:
    """Inception-V3 FID of uint8 (N, H, W, 3) images (needs torch-fidelity and its weights: clusters)."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=2048)
    for images, real in ((real_images, True), (generated_images, False)):
        for start in range(0, len(images), batch_size):
            metric.update(torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size])).permute(0, 3, 1, 2), real=real)
    return float(metric.compute())
