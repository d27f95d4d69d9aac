"""Study 4's positive control at data level: the `control` generator's planted colour share against the synthesize job's own measure.

Generation 1 of a chain is synthesized twice from the real data, as the synthesize job does, once with
the configured `generator_params.control` and once with share 0, and the job's `colour_shares` (the
colour read from the pixels, images.colour_shares) of the painted class compared: the painted colour's
share must move by exactly round(n * share) / n of the class's n samples (planted), and no other class
may move. Run: python -m synthloop.studies.image_loop.control <config> (every seed of the config).
"""

from __future__ import annotations

import math
import tempfile

import pandas as pd
import torch

from synthloop.data import images as im
from synthloop.loop import fifo
from synthloop.studies.control_check import command_line
from synthloop.studies.image_loop import classifiers, steps
from synthloop.studies.image_loop.generators import CONTROL, control_colour


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


def planted_and_recovered(config: dict, seed: int) -> pd.DataFrame:
    """One row per ratio above 0: the painted class's samples, the planted and the recovered move of the painted colour's share."""
    params, colours = config["generator_params"][CONTROL], config["data"]["colourise"]["colours"]
    colour, label = control_colour(params, colours), str(params["class"])
    real_train, _ = im.prepare(config["data"], seed)
    rows = []
    for ratio in [r for r in config["ratios"] if r > 0]:
        _, before = generation_one(config, real_train, 0.0, ratio, seed)
        generated, after = generation_one(config, real_train, params["share"], ratio, seed)
        n = int((generated["label"] == params["class"]).sum())
        others = max(
            abs(after["colour_shares"][k][c] - before["colour_shares"][k][c])
            for k in before["colour_shares"]
            if k != label
            for c in colours
        )
        start = before["colour_shares"][label][colour]
        rows.append(
            {
                "seed": seed,
                "ratio": ratio,
                "class": params["class"],
                "colour": colour,
                "samples": n,
                "share without paint": start,
                "planted move": min(math.floor(n * params["share"] + 0.5), round(n * (1 - start))) / n,
                "recovered move": after["colour_shares"][label][colour] - start,
                "largest move of another class": others,
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    command_line(planted_and_recovered, __doc__, "planted move", "recovered move", ".4f")
