"""Image data for the image loop: colourised digits (offline default) and Hugging Face image datasets.

Images travel as Parquet tables, one row per image: `image_id`, `pixels` (the uint8 HWC bytes),
`label` and, in the real tables only, `subgroup`. The image shape is kept in the table's attrs
(stored in the Parquet metadata), so a table describes itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.core.vocabulary import REAL

COLOURS = {
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "yellow": (1.0, 1.0, 0.0),
    "cyan": (0.0, 1.0, 1.0),
    "magenta": (1.0, 0.0, 1.0),
    "white": (1.0, 1.0, 1.0),
}


# -- tables ------------------------------------------------------------------------------------


def to_table(images: np.ndarray, labels, image_ids=None, **columns) -> pd.DataFrame:
    """A table of uint8 images (N, H, W, C) with their labels and any extra columns."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"images must be uint8 (N, H, W, C); got {images.dtype} {images.shape}")
    ids = np.arange(len(images)).astype(str) if image_ids is None else np.asarray(image_ids).astype(str)  # str: real and synthetic ids mix
    table = pd.DataFrame(
        {
            "image_id": ids,
            "pixels": [img.tobytes() for img in images],
            "label": np.asarray(labels, dtype=np.int64),
            **{k: np.asarray(v) for k, v in columns.items()},
        }
    )
    table.attrs["shape"] = [int(s) for s in images.shape[1:]]
    return table


def images_of(table: pd.DataFrame) -> np.ndarray:
    """The (N, H, W, C) uint8 array of a table's images."""
    shape = tuple(table.attrs["shape"])
    if len(table) == 0:
        return np.zeros((0, *shape), dtype=np.uint8)
    return np.frombuffer(b"".join(table["pixels"]), dtype=np.uint8).reshape(len(table), *shape)


def concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate image tables of one shape, keeping the shape."""
    shapes = {tuple(t.attrs["shape"]) for t in tables}
    if len(shapes) != 1:
        raise ValueError(f"image tables of different shapes: {sorted(shapes)}")
    out = pd.concat(tables, ignore_index=True)
    out.attrs["shape"] = list(shapes.pop())
    return out


def write(table: pd.DataFrame, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False)


def read(path) -> pd.DataFrame:
    table = pd.read_parquet(path)
    if "shape" not in table.attrs:
        raise ValueError(f"{path}: not an image table (no image shape in its metadata)")
    return table


# -- colourising ---------------------------------------------------------------------------------


def colour_ratios(spec: dict, n_classes: int) -> np.ndarray:
    """Per-class colour shares (n_classes, n_colours) from the config's colourise block.

    unbiased: every colour equally likely in every class. biased: class c's dominant colour is
    colours[c % n_colours] with share `dominant_share`, the rest split evenly; `ratios` (class -> weights)
    overrides single classes.
    """
    n = len(spec["colours"])
    if spec["bias"] == "unbiased":
        ratios = np.full((n_classes, n), 1.0 / n)
    else:
        share = spec["dominant_share"]
        ratios = np.full((n_classes, n), (1.0 - share) / (n - 1) if n > 1 else 1.0)
        for c in range(n_classes):
            ratios[c, c % n] = share if n > 1 else 1.0
    for cls, weights in (spec.get("ratios") or {}).items():
        weights = np.asarray(weights, dtype=float)
        ratios[int(cls)] = weights / weights.sum()
    return ratios


def quota(n: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to n closest to n * shares (largest remainder), so realised ratios match the config."""
    raw = n * np.asarray(shares, dtype=float)
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def assign_colours(labels: np.ndarray, ratios: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A colour index per image: each class's images split by its ratios exactly (up to rounding), in random order."""
    colours = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        pool = np.repeat(np.arange(ratios.shape[1]), quota(len(members), ratios[c]))
        colours[members] = rng.permutation(pool)
    return colours


def colourise(gray: np.ndarray, colour_index: np.ndarray, colours: list[str]) -> np.ndarray:
    """Paint grayscale strokes (N, H, W) in [0, 1] with one colour each: uint8 (N, H, W, 3), black background."""
    rgb = np.array([COLOURS[c] for c in colours])[colour_index]  # (N, 3)
    return np.round(255 * gray[..., None] * rgb[:, None, None, :]).astype(np.uint8)


def colour_index(images: np.ndarray, colours: list[str]) -> np.ndarray:
    """The palette colour each painted image (N, H, W, 3) is in: the colour closest in direction to its summed pixels.

    Inverts colourise exactly (its pixels are a stroke intensity times the colour), so a synthetic image's
    subgroup can be read from the image itself.
    """
    palette = np.array([COLOURS[c] for c in colours], dtype=float)
    palette /= np.linalg.norm(palette, axis=1, keepdims=True)
    totals = np.asarray(images, dtype=float).reshape(len(images), -1, 3).sum(axis=1)
    totals /= np.maximum(np.linalg.norm(totals, axis=1, keepdims=True), 1e-12)
    return (totals @ palette.T).argmax(axis=1)


def colour_shares(table: pd.DataFrame, colours: list[str]) -> pd.DataFrame:
    """Per class, the share of a table's images in each colour, read from the pixels (colour_index): the dataset bias."""
    read = np.asarray(colours)[colour_index(images_of(table), colours)] if len(table) else np.array([], dtype=str)
    counts = pd.crosstab(table["label"].to_numpy(), read).reindex(columns=colours, fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0).rename_axis(index="label", columns="colour")


def repaint(images: np.ndarray, colour: str) -> np.ndarray:
    """Painted images (N, H, W, 3) in another colour: the stroke is the brightest channel, painted again by colourise."""
    gray = np.asarray(images, dtype=float).max(axis=-1) / 255.0
    return colourise(gray, np.zeros(len(images), dtype=np.int64), [colour])


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of uint8 (N, H, W, C) images to size x size (no-op at the native size)."""
    if images.shape[1] == size and images.shape[2] == size:
        return images
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2)
    y = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


# -- sources --------------------------------------------------------------------------------------


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits: grayscale in [0, 1] (1,797 images) and labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images / 16.0, bunch.target.astype(np.int64)


def load_hf(spec: dict, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Images, labels and subgroups (or None) of one split of a Hugging Face image dataset (a hub id or a local path)."""
    import datasets

    kwargs = {"name": spec["name"]} if spec.get("name") else {}
    if spec.get("data_files"):
        kwargs["data_files"] = spec["data_files"]
    data = datasets.load_dataset(spec["path"], split=split, **kwargs)
    mode = "L" if spec.get("colourise") else "RGB"
    images = np.stack([np.asarray(img.convert(mode).resize((spec["size"], spec["size"]))) for img in data[spec["image_column"]]])
    labels = np.asarray(data[spec["label_column"]], dtype=np.int64)
    column = spec.get("subgroup_column")
    subgroups = np.asarray(data[column]).astype(str) if column else None
    return images, labels, subgroups


def cap_per_class(labels: np.ndarray, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices keeping at most `cap` random images per class (all when cap is None), in original order."""
    if cap is None:
        return np.arange(len(labels))
    keep = [rng.permutation(np.flatnonzero(labels == c))[:cap] for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def stratified_split(labels: np.ndarray, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices with the same class shares."""
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _colourised(gray: np.ndarray, labels: np.ndarray, ratios: np.ndarray, colours: list[str], rng) -> tuple[np.ndarray, np.ndarray]:
    index = assign_colours(labels, ratios, rng)
    return colourise(gray, index, colours), np.asarray(colours)[index]


def prepare(spec: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real training and test tables (with subgroups) of the configured dataset.

    digits: scikit-learn's digits, split stratified, then colourised: the training split with the
    configured (possibly biased) colour ratios, the test split with `test_bias` ratios (unbiased by
    default, so every subgroup is measured). hf: the dataset's own splits; grayscale ones may be colourised.
    """
    rng = np.random.default_rng(seed)
    colourise_spec = spec.get("colourise")
    if spec["source"] == "digits":
        gray, labels = digits()
        train_idx, test_idx = stratified_split(labels, spec["test_fraction"], rng)
        parts = {"train": (gray[train_idx], labels[train_idx], None), "test": (gray[test_idx], labels[test_idx], None)}
    else:
        parts = {}
        for part in ("train", "test"):
            images, labels, subgroups = load_hf(spec, spec["splits"][part])
            keep = cap_per_class(labels, spec.get(f"max_{part}_per_class"), rng)
            images = images[keep] / 255.0 if colourise_spec else images[keep]
            parts[part] = (images, labels[keep], None if subgroups is None else subgroups[keep])
    tables = []
    for part, (images, labels, subgroups) in parts.items():
        n_classes = int(max(p[1].max() for p in parts.values())) + 1
        if colourise_spec:
            # a biased test split has the training ratios, overrides included; an unbiased one has none
            test = {
                **colourise_spec,
                "bias": colourise_spec["test_bias"],
                "ratios": colourise_spec.get("ratios") if colourise_spec["test_bias"] == "biased" else {},
            }
            bias = colourise_spec if part == "train" else test
            images, subgroups = _colourised(images, labels, colour_ratios(bias, n_classes), colourise_spec["colours"], rng)
        images = resize(images, spec["size"])
        extra = {} if subgroups is None else {"subgroup": subgroups}
        tables.append(
            to_table(images, labels, image_ids=[f"{part}-{i}" for i in range(len(labels))], origin=np.full(len(labels), REAL), **extra)
        )
    return tables[0], tables[1]
