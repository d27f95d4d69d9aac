"""Study 4's positive control at data level: the `control` generator's planted colour share against the synthesize job's own measure.

Generation 1 of a chain is synthesized twice from the real data, as the synthesize job does, once with
the configured `generator_params.control` and once with share 0, and the job's `colour_shares` (the
colour read from the pixels, images.colour_shares) of the painted class compared: the painted colour's
share must move by exactly round(n * share) / n of the class's n samples (planted), and no other class
may move. Run: python -m synthloop.studies.image_loop.control <config> (every seed of the config). In a run of
such a config, rule `control_table` writes the same table from the run's own synthesize jobs (`run_table`).
"""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pandas as pd
import torch

from synthloop.core.seeds import stable_seed
from synthloop.data import images as im
from synthloop.loop import fifo
from synthloop.studies.control_check import command_line
from synthloop.studies.image_loop import classifiers, steps
from synthloop.studies.image_loop.generators import CONTROL, control_colour, control_sample


def generation_one(config: dict, real_train: pd.DataFrame, share: float, ratio: float, seed: int) -> tuple[pd.DataFrame, dict]:
    """(generated samples, summary) of the control's generation 1 at `share`; the FID's features come from a fixed untrained network."""
    params = {**config["generator_params"][CONTROL], "share": share}
    job = {
        "fifo": config["fifo"],
        "filter": {**config["filter"], "enabled": False},
        "generator_params": {CONTROL: params},
        "colours": config["data"]["colourise"]["colours"],
    }
    torch.manual_seed(seed)
    h, w, c = real_train.attrs["shape"]
    net = classifiers.build("mlp", (c, h, w), int(real_train["label"].max()) + 1, {}).eval()
    with tempfile.TemporaryDirectory() as scratch:
        _, generated, summary = steps.synthesize(
            fifo.training_set(real_train, real_train.iloc[:0]), real_train, CONTROL, 1, ratio, job, seed, net, None, scratch
        )
    return generated, summary


def move_row(before: dict, after: dict, n: int, params: dict, colours: list[str]) -> dict:
    """The painted class's n samples, its painted colour's share without paint, the planted and the recovered move, and the largest
    move of any other class's colour shares; `before` and `after` are colour_shares by class (str) and colour."""
    colour, label = control_colour(params, colours), str(params["class"])
    start = before[label][colour]
    others = max((abs(after[k][c] - before[k][c]) for k in before if k != label for c in colours), default=0.0)
    return {
        "class": params["class"],
        "colour": colour,
        "samples": n,
        "share without paint": start,
        "planted move": min(math.floor(n * params["share"] + 0.5), round(n * (1 - start))) / n,
        "recovered move": after[label][colour] - start,
        "largest move of another class": others,
    }


def planted_and_recovered(config: dict, seed: int) -> pd.DataFrame:
    """One row per ratio above 0: the painted class's samples, the planted and the recovered move of the painted colour's share."""
    params, colours = config["generator_params"][CONTROL], config["data"]["colourise"]["colours"]
    real_train, _ = im.prepare(config["data"], seed)
    rows = []
    for ratio in [r for r in config["ratios"] if r > 0]:
        _, before = generation_one(config, real_train, 0.0, ratio, seed)
        generated, after = generation_one(config, real_train, params["share"], ratio, seed)
        n = int((generated["label"] == params["class"]).sum())
        rows.append({"seed": seed, "ratio": ratio, **move_row(before["colour_shares"], after["colour_shares"], n, params, colours)})
    return pd.DataFrame(rows)


def measured_move(real_train: pd.DataFrame, generated: pd.DataFrame, summary: dict, params: dict, colours: list[str], seed: int) -> dict:
    """The control as a synthesize job measured it: its summary's colour_shares against the same samples unpainted.

    The job's samples are drawn again from its real training set with its seed and its sampled labels (the
    `generated` table) and share 0: control_sample picks every image before it paints any, so these are the
    job's own samples before the paint. `seed` is the synthesize job's seed (its params.seed)."""
    labels = generated["label"].to_numpy()
    unpainted = control_sample(
        im.images_of(real_train),
        real_train["label"].to_numpy(),
        labels,
        {**params, "share": 0.0},
        colours,
        stable_seed(seed, CONTROL, int(summary["generation"])),  # as steps.synthesize seeds the generator
    )
    kept = generated["kept"].to_numpy(dtype=bool) if "kept" in generated else np.ones(len(generated), dtype=bool)
    shares = im.colour_shares(im.to_table(unpainted[kept], labels[kept]), colours)
    before = {str(k): v for k, v in shares.to_dict("index").items()}
    n = int((labels[kept] == params["class"]).sum())
    return move_row(before, summary["colour_shares"], n, params, colours)


def run_table(runs: list[tuple[dict, pd.DataFrame, pd.DataFrame, dict]], params: dict, colours: list[str]) -> pd.DataFrame:
    """Per (chain keys with the job's seed, real training set, generated table, summary) of the run's control synthesize
    jobs: the keys (without the job's seed) and measured_move's row."""
    rows = [
        {**{k: v for k, v in keys.items() if k != "job_seed"}, **measured_move(real, generated, summary, params, colours, keys["job_seed"])}
        for keys, real, generated, summary in runs
    ]
    return pd.DataFrame(rows)


if __name__ == "__main__":
    command_line(planted_and_recovered, __doc__, "planted move", "recovered move", ".4f")
