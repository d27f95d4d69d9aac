"""The image loop's jobs, one function each: what a workflow script calls between reading and writing.

prepare_data    -> the real training table (with subgroups), the real test table, generation 0's training set
train_feature_net -> the classifier trained once on real data whose penultimate features the FID uses
synthesize      -> generation g >= 1: a fresh generator trained on g-1's training set samples, is scored
                   (FID) and filtered, and its images enter the FIFO; g's training set is real + FIFO
classify        -> every configured classifier trained from scratch on a training set and run on the test set
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file

from synthloop.core.seeds import stable_seed
from synthloop.data import images as im
from synthloop.loop import fifo, select
from synthloop.scorers.fid import frechet_distance, inception_fid
from synthloop.studies.image_loop import classifiers, filtering, generators, training

log = logging.getLogger(__name__)


def prepare_data(spec: dict, seed: int, train_out, test_out, g0_out) -> None:
    train, test = im.prepare(spec, seed)
    im.write(train, train_out)
    im.write(test, test_out)
    im.write(fifo.training_set(train, train.iloc[:0]), g0_out)
    log.info("real data: %d training and %d test images of shape %s", len(train), len(test), train.attrs["shape"])


def _shape(table: pd.DataFrame) -> tuple[int, int, int]:
    h, w, c = table.attrs["shape"]
    return (c, h, w)


def weights_name(classifier: str) -> str:
    """The weights file of a classifier in a generation's classifiers/ directory ('torchvision:vgg19' -> torchvision-vgg19)."""
    return classifier.replace(":", "-") + ".safetensors"


def save_classifier(model: torch.nn.Module, meta: dict, path) -> None:
    """Weights as safetensors, with what rebuilds the architecture in a JSON beside them."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    Path(str(path) + ".json").write_text(json.dumps(meta))


def load_classifier(path) -> torch.nn.Module:
    meta = json.loads(Path(str(path) + ".json").read_text())
    model = classifiers.build(meta["name"], tuple(meta["shape"]), meta["n_classes"], meta["options"], download=False)  # weights: the file's
    model.load_state_dict(load_file(str(path)))
    return model.eval()


def fit(name: str, options: dict, table: pd.DataFrame, n_classes: int, params: dict, seed: int, out) -> torch.nn.Module:
    """Train one classifier on a training table (which must not carry subgroups) and save it to `out`."""
    hidden = [c for c in fifo.HIDDEN if c in table.columns]
    if hidden:
        raise ValueError(f"a training table carries evaluation-only column(s) {hidden}: subgroups must stay hidden from training")
    torch.manual_seed(stable_seed(seed, name, "init"))
    model = classifiers.build(name, _shape(table), n_classes, options)
    training.train_classifier(
        model, im.images_of(table), table["label"].to_numpy(), params, stable_seed(seed, name, "train"), Path(str(out) + ".checkpoints")
    )
    save_classifier(model, {"name": name, "options": options, "shape": list(_shape(table)), "n_classes": n_classes}, out)
    return model


def train_feature_net(real_train: pd.DataFrame, spec: dict, n_classes: int, params: dict, seed: int, out) -> None:
    """The offline FID's feature extractor: a classifier trained once on the real training data."""
    fit(spec["network"], spec.get("options") or {}, fifo.training_set(real_train, real_train.iloc[:0]), n_classes, params, seed, out)


def sample_labels(labels: np.ndarray, n: int, n_classes: int) -> np.ndarray:
    """n class labels with the training set's class shares (largest remainder), in class order."""
    shares = np.bincount(labels, minlength=n_classes) / len(labels)
    return np.repeat(np.arange(n_classes), im.quota(n, shares))


def synthesize(
    previous: pd.DataFrame,
    real_train: pd.DataFrame,
    generator: str,
    gen: int,
    ratio: float,
    config: dict,
    seed: int,
    feature_net,
    uncertainty,
    checkpoint_dir,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Generation `gen`'s synthetic data and training set from generation gen-1's training set.

    `uncertainty` maps images to a score per image (higher: less certain), or is None without filtering.
    Returns (training set of gen, every sampled image with its uncertainty and whether it was kept, summary).
    """
    n_classes = int(real_train["label"].max()) + 1
    per_generation = int(round(ratio * len(real_train)))
    step = filtering.selection(config["filter"])
    n = select.candidates(step, per_generation)
    labels = sample_labels(previous["label"].to_numpy(), n, n_classes)
    if n == 0:  # p = 0: the control chain, no synthetic data
        images = np.zeros((0, *real_train.attrs["shape"]), dtype=np.uint8)
    elif generator == generators.CONTROL:  # the positive control samples the real data, never its own output
        images = generators.control_sample(
            im.images_of(real_train),
            real_train["label"].to_numpy(),
            labels,
            config["generator_params"][generator],
            config["colours"],
            stable_seed(seed, generator, gen),
        )
    else:
        images = generators.train_and_sample(
            generator,
            im.images_of(previous),
            previous["label"].to_numpy(),
            n_classes,
            labels,
            config["generator_params"][generator],
            stable_seed(seed, generator, gen),
            checkpoint_dir,
        )
    scores = uncertainty(images) if uncertainty is not None and n else np.zeros(n)
    kept = select.copies(scores, step, per_generation, None) > 0 if step else np.ones(n, dtype=bool)
    ids = np.array([f"g{gen}-{i}" for i in range(n)])
    generated = im.to_table(images, labels, image_ids=ids, entropy=scores, kept=kept, source_generation=np.full(n, gen))
    batch = generated[kept].drop(columns=["entropy", "kept"]).reset_index(drop=True)
    batch.attrs = dict(generated.attrs)
    capacity = fifo.capacity_rows(config["fifo"]["capacity"] if config["fifo"]["enabled"] else None, per_generation)
    queue = fifo.push(fifo.queue_of(previous), batch, capacity)
    train = fifo.training_set(real_train, queue)
    fid = _fid(im.images_of(real_train), images, feature_net)
    summary = {
        "generation": gen,
        "generator": generator,
        "ratio": ratio,
        "sampled": n,
        "kept": int(kept.sum()),
        "fid": fid,
        "queue_rows": len(queue),
        "queue_generations": sorted(int(g) for g in queue["source_generation"].unique()),
        "train_rows": len(train),
    }
    if config.get("colours"):  # the dataset bias of what entered: per class, the kept samples' colour shares read from their pixels
        summary["colour_shares"] = {str(k): v for k, v in im.colour_shares(batch, config["colours"]).to_dict("index").items()}
    log.info("generation %d: %s", gen, summary)
    return train, generated, summary


def filter_scorer(filt: dict, filter_net_path, n_classes: int, seed: int):
    """The uncertainty scorer of the configured filter: the previous generation's classifier, CLIP, both, or none.

    `combined` (section 3.2: "the CLIP and our trained classification model of the last generation") scores
    each sample by the mean of the two experts' predictive entropies (nats, over the same classes): the paper
    does not say how it combines them, and an equal-weight mean keeps the score an entropy."""
    if not filt["enabled"]:
        return None
    experts = []
    if filt["scorer"] in ("clip", "combined"):
        experts.append(
            filtering.clip_uncertainty(filt["clip_model"], filtering.class_prompts(n_classes, filt["class_names"], filt["prompt"]))
        )
    if filt["scorer"] in ("classifier", "combined"):
        experts.append(filtering.classifier_uncertainty(load_classifier(filter_net_path), filt["mc_samples"], seed))
    return experts[0] if len(experts) == 1 else filtering.mean_uncertainty(experts)


def _fid(real: np.ndarray, generated: np.ndarray, feature_net) -> float:
    """FID on the feature net's penultimate features, or Inception-V3's when there is no feature net (fid.features: inception)."""
    if len(generated) < 2:
        return float("nan")
    if feature_net is None:
        return inception_fid(real, generated)
    return frechet_distance(training.features(feature_net, real), training.features(feature_net, generated))


def classify(train: pd.DataFrame, test: pd.DataFrame, config: dict, seed: int, out_dir) -> pd.DataFrame:
    """Train every configured classifier on `train`, save each, and predict the test images: one row per classifier x test image."""
    n_classes = int(max(train["label"].max(), test["label"].max())) + 1
    test_images = im.images_of(test)
    rows = []
    for name in config["classifiers"]:
        model = fit(
            name,
            config["classifier_options"].get(name, {}),
            train,
            n_classes,
            config["training"],
            stable_seed(seed, name),
            Path(out_dir) / weights_name(name),
        )
        probabilities = training.predict_proba(model, test_images)
        rows.append(
            pd.DataFrame(
                {
                    "classifier": name,
                    "image_id": test["image_id"].to_numpy(),
                    "label": test["label"].to_numpy(),
                    "prediction": probabilities.argmax(1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
