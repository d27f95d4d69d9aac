"""Fréchet distance between the features of real and generated images, computed by torchmetrics.

The offline default takes the penultimate-layer features of a classifier trained once on the real
data (as the self-correcting self-consuming peer uses LeNet features for MNIST), so its values are
not comparable with Inception-V3 FIDs in papers; `inception_fid` gives those where torch-fidelity
and its weights are available (clusters). The tables name which of the two
they hold (`studies.image_loop.plan.fid_features`).
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


def inception_fid(real_images: np.ndarray, generated_images: np.ndarray, batch_size: int = 64, feature=2048) -> float:
    """Inception-V3 FID (torchmetrics, the pool3 features of torch-fidelity's network) of uint8 (N, H, W, C) images.

    torchmetrics resizes to 299 x 299 itself; grayscale images are repeated to three channels. `feature`
    is torchmetrics' argument: 2048 (Inception-V3, whose weights torch-fidelity downloads once: clusters),
    or a module standing in for the network."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=feature)
    for images, real in ((real_images, True), (generated_images, False)):
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size])).permute(0, 3, 1, 2)
            metric.update(batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch, real=real)
    return float(metric.compute())
