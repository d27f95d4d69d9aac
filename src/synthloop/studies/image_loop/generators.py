"""Class-conditional image generators, retrained from scratch every generation: a DCGAN and a DDPM.

dcgan: the paper's generator for MNIST and CIFAR (Radford et al.), conditioned by a label
embedding in the generator and a projection discriminator. ddpm: diffusers' UNet2DModel with a
class embedding (`num_class_embeds`) and a DDPMScheduler; sampling may use fewer denoising steps
than training (`inference_steps`), which the CPU miniatures do. control: no model, the positive control
(control_sample). Both train for a fixed number of
steps with checkpoints every `checkpoint_every` steps, resumable like the classifiers
(checkpoints.run_steps).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthloop.core.seeds import stable_seed
from synthloop.lm.models import pick_device
from synthloop.studies.image_loop import checkpoints
from synthloop.studies.image_loop.plan import CONTROL
from synthloop.studies.image_loop.training import as_images, as_tensor

GENERATORS = ("dcgan", "ddpm", "sd_lora", "control")


class Generator(nn.Module):
    """Latent + label embedding -> 4x4 map -> transposed convolutions up to the image size -> tanh."""

    def __init__(self, shape, n_classes, latent=64, width=64):
        super().__init__()
        c, size, _ = shape
        self.latent, n_up = latent, int(math.log2(size)) - 2
        self.top = width * 2 ** (n_up - 1)
        self.embed = nn.Embedding(n_classes, latent)
        self.fc = nn.Sequential(nn.Linear(2 * latent, self.top * 16), nn.BatchNorm1d(self.top * 16), nn.ReLU())
        layers, ch = [], self.top
        for _ in range(n_up):
            layers += [nn.ConvTranspose2d(ch, max(ch // 2, width), 4, 2, 1), nn.BatchNorm2d(max(ch // 2, width)), nn.ReLU()]
            ch = max(ch // 2, width)
        self.up = nn.Sequential(*layers, nn.Conv2d(ch, c, 3, 1, 1), nn.Tanh())

    def forward(self, z, y):
        h = self.fc(torch.cat([z, self.embed(y)], 1)).view(len(z), self.top, 4, 4)
        return self.up(h)


class Discriminator(nn.Module):
    """The image with its label as an extra embedded plane -> strided convolutions down to 4x4 -> a logit."""

    def __init__(self, shape, n_classes, width=64):
        super().__init__()
        c, size, _ = shape
        self.size = size
        self.embed = nn.Embedding(n_classes, size * size)
        layers, ch = [nn.Conv2d(c + 1, width, 3, 1, 1), nn.LeakyReLU(0.2)], width
        for i in range(int(math.log2(size)) - 2):
            layers += [nn.Conv2d(ch, width * 2 ** (i + 1), 4, 2, 1), nn.BatchNorm2d(width * 2 ** (i + 1)), nn.LeakyReLU(0.2)]
            ch = width * 2 ** (i + 1)
        self.body = nn.Sequential(*layers, nn.Flatten(), nn.Linear(ch * 16, 1))

    def forward(self, x, y):
        plane = self.embed(y).view(len(x), 1, self.size, self.size)
        return self.body(torch.cat([x, plane], 1)).squeeze(1)


def _check_size(shape):
    size = shape[1]
    if size < 8 or size & (size - 1) or shape[1] != shape[2]:
        raise ValueError(f"generators need square images with a power-of-two side >= 8; got {shape}")


def _dcgan(shape, n_classes, params):
    return Generator(shape, n_classes, params["latent"], params["width"]), Discriminator(shape, n_classes, params["width"])


def _ddpm(shape, n_classes, params):
    from diffusers import DDPMScheduler, UNet2DModel

    widths = tuple(params["widths"])
    unet = UNet2DModel(
        sample_size=shape[1],
        in_channels=shape[0],
        out_channels=shape[0],
        layers_per_block=params["layers_per_block"],
        block_out_channels=widths,
        down_block_types=("DownBlock2D",) * len(widths),
        up_block_types=("UpBlock2D",) * len(widths),
        num_class_embeds=n_classes,
        class_embed_type=None,
        norm_num_groups=min(8, widths[0]),
    )
    return unet, DDPMScheduler(num_train_timesteps=params["train_timesteps"])


def train_and_sample(
    kind: str,
    images: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    sample_labels: np.ndarray,
    params: dict,
    seed: int,
    checkpoint_dir,
    stop_after: int | None = None,
) -> np.ndarray | None:
    """Train a fresh generator of `kind` on (images, labels), then sample one image per entry of `sample_labels`.

    Returns uint8 (N, H, W, C) samples, or None when `stop_after` steps of this call ended it early.
    """
    shape = (images.shape[3], images.shape[1], images.shape[2])
    _check_size(shape)
    if kind == "sd_lora":
        from synthloop.studies.image_loop import sd_lora

        return sd_lora.train_and_sample(images, labels, sample_labels, params, seed, checkpoint_dir, stop_after)
    torch.manual_seed(stable_seed(seed, kind, "init"))
    x, y = as_tensor(images), torch.tensor(np.asarray(labels), dtype=torch.long)
    rng = torch.Generator().manual_seed(stable_seed(seed, kind, "train"))
    if kind == "dcgan":
        g, d = _dcgan(shape, n_classes, params)
        modules = {"g": g, "d": d}
        optimizers = {
            "g": torch.optim.Adam(g.parameters(), lr=params["learning_rate"], betas=(0.5, 0.999)),
            "d": torch.optim.Adam(d.parameters(), lr=params["learning_rate"], betas=(0.5, 0.999)),
        }
        step_fn = _gan_step
    elif kind == "ddpm":
        unet, scheduler = _ddpm(shape, n_classes, params)
        modules = {"unet": unet}
        optimizers = {"unet": torch.optim.AdamW(unet.parameters(), lr=params["learning_rate"])}
        step_fn = _diffusion_step(scheduler)
    else:
        raise ValueError(f"unknown generator {kind!r}; allowed: {', '.join(GENERATORS)}")
    device = pick_device()
    for module in modules.values():
        module.to(device)

    def one_step(state: dict) -> dict:
        batch = torch.randint(len(x), (params["batch_size"],), generator=rng)
        return step_fn(modules, optimizers, x[batch].to(device), y[batch].to(device), rng)

    def sample() -> np.ndarray:
        sample_rng = torch.Generator().manual_seed(stable_seed(seed, kind, "sample"))
        labels_t = torch.as_tensor(sample_labels, dtype=torch.long)
        if kind == "dcgan":
            return _sample_gan(modules["g"], labels_t, sample_rng, params)
        return _sample_ddpm(modules["unet"], scheduler, labels_t, sample_rng, params, shape)

    for module in modules.values():
        module.train()
    fingerprint = checkpoints.fingerprint(params, seed, images, labels, kind=kind, n_classes=n_classes)
    return checkpoints.run_steps(
        checkpoint_dir,
        fingerprint,
        params["steps"],
        one_step,
        sample,
        modules=modules,
        optimizers=optimizers,
        generators={"train": rng},
        what=kind,
        checkpoint_every=params["checkpoint_every"],
        log_every=params["log_every"],
        stop_after=stop_after,
    )


def _gan_step(modules, optimizers, real, y, rng):
    g, d = modules["g"], modules["d"]
    z = torch.randn(len(real), g.latent, generator=rng).to(real.device)  # noise from the CPU generator: the same on any device
    fake = g(z, y)
    ones, zeros = torch.ones(len(real), device=real.device), torch.zeros(len(real), device=real.device)
    optimizers["d"].zero_grad()
    loss_d = F.binary_cross_entropy_with_logits(d(real, y), ones) + F.binary_cross_entropy_with_logits(d(fake.detach(), y), zeros)
    loss_d.backward()
    optimizers["d"].step()
    optimizers["g"].zero_grad()
    loss_g = F.binary_cross_entropy_with_logits(d(fake, y), ones)
    loss_g.backward()
    optimizers["g"].step()
    return {"d": loss_d.item(), "g": loss_g.item()}


def _diffusion_step(scheduler):
    def step(modules, optimizers, clean, y, rng):
        unet = modules["unet"]
        noise = torch.randn(clean.shape, generator=rng).to(clean.device)
        t = torch.randint(scheduler.config.num_train_timesteps, (len(clean),), generator=rng).to(clean.device)
        optimizers["unet"].zero_grad()
        loss = F.mse_loss(unet(scheduler.add_noise(clean, noise, t), t, class_labels=y).sample, noise)
        loss.backward()
        optimizers["unet"].step()
        return {"mse": loss.item()}

    return step


def _sample_gan(g, labels, rng, params):
    g.eval()
    with torch.no_grad():
        device = next(g.parameters()).device
        return np.concatenate(
            [
                as_images(g(torch.randn(len(chunk), g.latent, generator=rng).to(device), chunk.to(device)).cpu())
                for chunk in labels.split(params["sample_batch_size"])
            ]
        )


def _sample_ddpm(unet, scheduler, labels, rng, params, shape):
    unet.eval()
    scheduler.set_timesteps(params["inference_steps"])
    chunks = []
    device = next(unet.parameters()).device
    with torch.no_grad():
        for chunk in labels.split(params["sample_batch_size"]):
            x, chunk = torch.randn((len(chunk), *shape), generator=rng).to(device), chunk.to(device)
            for t in scheduler.timesteps:  # the scheduler draws its noise from the CPU generator, then moves it to the device
                x = scheduler.step(unet(x, t, class_labels=chunk).sample, t, x, generator=rng).prev_sample
            chunks.append(as_images(x.cpu()))
    return np.concatenate(chunks)


def control_colour(params: dict, colours: list[str]) -> str:
    """The colour the control paints: its configured one, or the colour after the class's dominant one (colours[(class + 1) % n])."""
    return params["colour"] or colours[(params["class"] + 1) % len(colours)]


def control_sample(
    images: np.ndarray, labels: np.ndarray, sample_labels: np.ndarray, params: dict, colours: list[str], seed: int
) -> np.ndarray:
    """The positive control's samples: real images of each requested class, a planted share of one class repainted.

    Each class's samples cycle through seeded permutations of its real images (so their colours follow
    the real data's), then exactly round(n * share) of the `class` samples not already in the painted
    colour are repainted in it. That colour's share of the class moves by exactly round(n * share) / n
    (fewer when not enough samples are in other colours), measured by images.colour_shares.
    """
    from synthloop.data.images import colour_index, repaint

    rng = np.random.default_rng(stable_seed(seed, CONTROL))
    out = np.empty((len(sample_labels), *images.shape[1:]), dtype=np.uint8)
    for c in np.unique(sample_labels):
        slots, members = np.flatnonzero(sample_labels == c), np.flatnonzero(labels == c)
        if not len(members):
            raise ValueError(f"the control generator has no real image of class {c} to sample")
        picks = np.concatenate([rng.permutation(members) for _ in range(-(-len(slots) // len(members)))])[: len(slots)]
        out[slots] = images[picks]
    colour = control_colour(params, colours)
    target = np.flatnonzero(sample_labels == params["class"])
    others = target[np.asarray(colours)[colour_index(out[target], colours)] != colour] if len(target) else target
    painted = rng.permutation(others)[: min(len(others), int(np.floor(len(target) * params["share"] + 0.5)))]
    out[painted] = repaint(out[painted], colour)
    return out
