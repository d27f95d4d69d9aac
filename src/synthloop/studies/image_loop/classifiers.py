"""Downstream image classifiers: small torch networks here, torchvision / timm architectures by name.

Every classifier maps (N, C, H, W) images in [-1, 1] to logits and exposes `features(x)`, its
penultimate representation (used for the offline FID). Names: mlp, lenet, cnn, resnet (built
here, any image size >= 8); `torchvision:<name>` and `timm:<name>` build those libraries'
architectures when they are installed (the paper's AlexNet, VGG-19, ResNet-50, MobileNet-V3, DeiT-S).
"""

from __future__ import annotations

import importlib.util

import torch
from torch import nn

BUILT_IN = ("mlp", "lenet", "cnn", "resnet")
LIBRARIES = {"torchvision": "torchvision", "timm": "timm"}


class BodyHead(nn.Module):
    """A feature body and a linear head: `features` is the penultimate representation (the offline FID's)."""

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.features(x))


class MLP(BodyHead):
    def __init__(self, shape, n_classes, hidden=256, dropout=0.2):
        super().__init__()
        c, h, w = shape
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * h * w, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.head = nn.Linear(hidden, n_classes)


class LeNet(BodyHead):
    """LeNet-5 with padded convolutions so that small images (8x8) keep a spatial extent."""

    def __init__(self, shape, n_classes, dropout=0.0):
        super().__init__()
        c, h, w = shape
        self.conv = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 16 * (h // 4) * (w // 4)
        self.body = nn.Sequential(nn.Linear(flat, 120), nn.ReLU(), nn.Dropout(dropout), nn.Linear(120, 84), nn.ReLU())
        self.head = nn.Linear(84, n_classes)

    def features(self, x):
        return self.body(self.conv(x))


class CNN(BodyHead):
    """Two conv blocks with batch norm and global pooling, dropout before the head."""

    def __init__(self, shape, n_classes, width=32, dropout=0.3):
        super().__init__()
        c = shape[0]
        self.body = nn.Sequential(
            nn.Conv2d(c, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(dropout),
        )
        self.head = nn.Linear(2 * width, n_classes)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x):
        return torch.relu(self.main(x) + self.skip(x))


class ResNet(BodyHead):
    """A small ResNet: a stem and three stages of one residual block each (widths w, 2w, 4w)."""

    def __init__(self, shape, n_classes, width=16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(shape[0], width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            Block(width, width, 1),
            Block(width, 2 * width, 2),
            Block(2 * width, 4 * width, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(4 * width, n_classes)


IMAGENET_MEAN, IMAGENET_STD = (
    (0.485, 0.456, 0.406),
    (0.229, 0.224, 0.225),
)  # the statistics torchvision's and timm's ImageNet weights expect


class Library(nn.Module):
    """A torchvision/timm architecture; features are the input of its final linear layer.

    With pre-trained weights (`normalise`), images in [-1, 1] are mapped to [0, 1] and standardised with
    ImageNet's mean and std, as those weights were trained; the statistics are not part of the state dict."""

    def __init__(self, net: nn.Module, head_name: str, normalise: bool = False):
        super().__init__()
        self.net, self.head_name, self.normalise = net, head_name, normalise
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self._captured = None
        self._head().register_forward_hook(lambda module, inputs, output: setattr(self, "_captured", inputs[0]))

    def _head(self):
        return self.net.get_submodule(self.head_name)

    def _input(self, x):
        return ((x + 1) / 2 - self.mean) / self.std if self.normalise else x

    def features(self, x):
        self.net(self._input(x))
        return self._captured

    def forward(self, x):
        return self.net(self._input(x))


def library_available(name: str) -> bool:
    """Whether a `library:arch` classifier name can be built here (its library imports)."""
    library = name.split(":", 1)[0]
    if library not in LIBRARIES or importlib.util.find_spec(LIBRARIES[library]) is None:
        return False
    try:
        importlib.import_module(LIBRARIES[library])
    except Exception:  # e.g. a torchvision whose compiled ops do not match the installed torch
        return False
    return True


def _last_linear(net: nn.Module) -> str:
    return [name for name, module in net.named_modules() if isinstance(module, nn.Linear)][-1]


def build(name: str, shape, n_classes: int, options: dict | None = None, download: bool = True) -> nn.Module:
    """A freshly initialised classifier; `options` are the architecture's keyword arguments (hidden, width, dropout).

    A library classifier with pre-trained weights (`weights` for torchvision, `pretrained` for timm) gets them with a
    new final layer for this task when `download`; without it (reloading a trained one) the same architecture is built
    empty, so a later job loading its saved weights fetches nothing."""
    options = options or {}
    local = {"mlp": MLP, "lenet": LeNet, "cnn": CNN, "resnet": ResNet}
    if name in local:
        return local[name](shape, n_classes, **options)
    library, _, arch = name.partition(":")
    if library in LIBRARIES and not library_available(name):
        raise RuntimeError(
            f"classifier {name!r} needs {library}, which does not import here: install a {library} built for this torch "
            f"(torch {torch.__version__}; pip install -e '.[vision]' or the conda environment envs/synthloop.yaml)"
        )
    pretrained = bool(options.get("weights") or options.get("pretrained"))
    fetch = pretrained and download
    if library == "torchvision":
        import torchvision

        weights = options.get("weights") if fetch else None
        net = torchvision.models.get_model(arch, weights=weights, num_classes=1000 if fetch else n_classes)
    elif library == "timm":
        import timm

        net = timm.create_model(arch, pretrained=fetch, num_classes=n_classes, in_chans=shape[0])
    else:
        raise ValueError(f"unknown classifier {name!r}; allowed: {', '.join(BUILT_IN)}, torchvision:<name>, timm:<name>")
    head = _last_linear(net)
    if fetch and library == "torchvision":  # pre-trained on ImageNet: a new final layer for this task
        old = net.get_submodule(head)
        parent, _, leaf = head.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, leaf, nn.Linear(old.in_features, n_classes))
    return Library(net, head, normalise=pretrained)


def has_dropout(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules())
