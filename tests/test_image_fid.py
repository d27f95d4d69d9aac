"""FID on features: about 0 for two samples of one distribution, growing with a mean shift, equal to an independent computation."""

import numpy as np
import pytest
from scipy import linalg

from synthloop.scorers.fid import frechet_distance


def reference_fid(a, b):
    """Eq. 1 of the paper computed independently with scipy's matrix square root."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa + sb - 2 * linalg.sqrtm(sa @ sb).real))


def test_same_features_give_zero():
    x = np.random.default_rng(0).normal(size=(400, 6))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_two_samples_of_one_distribution_are_close():
    rng = np.random.default_rng(1)
    assert frechet_distance(rng.normal(size=(5000, 4)), rng.normal(size=(5000, 4))) < 0.02


def test_grows_with_a_mean_shift():
    x = np.random.default_rng(2).normal(size=(500, 8))
    values = [frechet_distance(x, x + s) for s in (0.5, 1.0, 2.0)]
    assert values == pytest.approx([8 * 0.25, 8 * 1.0, 8 * 4.0])  # a shift moves only the mean term: d * s^2


def test_matches_an_independent_computation():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 0.3
    assert frechet_distance(a, b) == pytest.approx(reference_fid(a, b), rel=1e-6)


def test_mismatched_features_are_refused():
    with pytest.raises(ValueError, match="same d"):
        frechet_distance(np.zeros((3, 2)), np.zeros((3, 4)))


def test_inception_path_feeds_uint8_channels_first_in_batches():
    """The Inception-V3 code path with a stand-in network (its weights cannot be downloaded here): what reaches the
    network is each image as uint8 (N, 3, H, W), grayscale repeated to three channels, in batches, and the distance is
    the Fréchet distance of the network's features."""
    import torch

    from synthloop.scorers.fid import inception_fid

    seen = []

    class StandIn(torch.nn.Module):
        num_features = 3

        def forward(self, x):
            seen.append((x.dtype, tuple(x.shape)))
            return x.double().mean(dim=(2, 3))  # the channel means: a 3-d feature

    rng = np.random.default_rng(4)
    real, fake = rng.integers(0, 256, (10, 4, 4, 1), dtype=np.uint8), rng.integers(0, 128, (7, 4, 4, 1), dtype=np.uint8)
    value = inception_fid(real, fake, batch_size=4, feature=StandIn())
    assert seen == [
        (torch.uint8, (4, 3, 4, 4)),
        (torch.uint8, (4, 3, 4, 4)),
        (torch.uint8, (2, 3, 4, 4)),
        (torch.uint8, (4, 3, 4, 4)),
        (torch.uint8, (3, 3, 4, 4)),
    ]
    means = lambda images: np.repeat(images.reshape(len(images), -1).mean(1, keepdims=True), 3, axis=1)  # noqa: E731
    assert value == pytest.approx(frechet_distance(means(real) + 0, means(fake)), rel=1e-5, abs=1e-3)
