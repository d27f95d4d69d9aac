"""The plan of an image-loop study: its chains, which jobs exist, what each reads, and the targets.

A chain is (generator, ratio p, seed). Generation 0 trains the classifiers on real data only, which
does not depend on the generator or the ratio: every chain of a seed shares one generation-0 run,
the chain `real-s<seed>`. Generation g >= 1 has two jobs per chain: `synthesize` (train a fresh
generator on g-1's training set, sample, score, filter, push to the FIFO: g's training set) and
`classify` (all classifiers on g's training set, predictions on the test set). One job for all
classifiers of a generation keeps the miniature's job count (and its torch start-up cost) small.
Nothing here imports torch or reads data: every SLURM job re-parses the workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthloop.studies.base import REAL, chain_id, flatten, local_files, ratio_id, seed_id, stable_seed

METRIC_FIGURES = ("accuracy", "meo", "di", "md")


@dataclass(frozen=True)
class Chain:
    generator: str | None  # None: the shared real-data generation 0
    ratio: float | None
    seed: int


def image_chain_id(generator: str, ratio: float, seed: int) -> str:
    return chain_id(generator, ratio_id(ratio), seed_id(seed))


def baseline_id(seed: int) -> str:
    return chain_id(REAL, seed_id(seed))


class Plan:
    def __init__(self, config: dict, path: Callable[..., str]):
        self.config, self.path = config, path
        self.generations = list(range(config["generations"]))
        self.chains = {image_chain_id(g, r, s): Chain(g, r, s) for g in config["generators"] for r in config["ratios"] for s in config["seeds"]}
        self.baselines = {baseline_id(s): Chain(None, None, s) for s in config["seeds"]}

    def chain(self, name: str) -> Chain:
        return self.chains.get(name) or self.baselines[name]

    def data_seed(self) -> int:
        """Data splits and colours: from the first configured seed, shared by every chain."""
        return stable_seed(self.config["seeds"][0], "data")

    def seed(self, name: str, *parts) -> int:
        return stable_seed(self.chain(name).seed, name, *parts)

    # -- where a (chain, generation) reads from ------------------------------------------------
    def run_of(self, name: str, gen: int) -> tuple[str, int]:
        """The chain whose files hold (chain, gen): generation 0 of every chain is its seed's real-data run."""
        return (baseline_id(self.chain(name).seed), 0) if gen == 0 else (name, gen)

    def train_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.path("train_g0") if gen == 0 else self.path("image_train", chain=run, gen=gen)

    def classifiers_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.path("classifiers", chain=run, gen=gen)

    def predictions_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.path("predictions", chain=run, gen=gen)

    def filter_classifier(self) -> str | None:
        """The classifier whose uncertainty filters synthetic samples (None: no filtering)."""
        filt = self.config["filter"]
        return (filt["classifier"] or self.config["classifiers"][0]) if filt["enabled"] and filt["scorer"] == "classifier" else None

    # -- inputs of each job ----------------------------------------------------------------
    def data_inputs(self) -> dict:
        """The local files a Hugging Face image dataset is read from (its directory and data_files); none for digits or a hub id."""
        data = self.config["data"]
        if data["source"] != "hf":
            return {}
        within = [f"{data['path']}/{f}" for f in flatten(data["data_files"])] if data["path"] and Path(data["path"]).is_dir() else []
        return {"local": local_files(data["path"], data["data_files"], within)}

    def synthesize_inputs(self, name: str, gen: int) -> dict:
        inputs = {"previous": self.train_path(name, gen - 1), "real_train": self.path("real_train")}
        generator = self.chains[name].generator
        models = [self.config["generator_params"][generator].get("model")] if generator == "sd_lora" else []
        if self.config["filter"]["enabled"] and self.config["filter"]["scorer"] == "clip":
            models.append(self.config["filter"]["clip_model"])
        if local := local_files([m for m in models if m]):
            inputs["local_models"] = local
        if self.config["fid"]["features"] == "classifier":
            inputs["feature_net"] = self.path("feature_net")
        if self.filter_classifier():
            inputs["filter_net"] = self.classifiers_path(name, gen - 1)
        return inputs

    def classify_inputs(self, name: str, gen: int) -> dict:
        return {"train": self.train_path(name, gen), "test": self.path("real_test")}

    def synthesis_config(self, name: str) -> dict:
        """Only what a synthesize job reads (its own generator's settings), so other edits re-run nothing."""
        generator = self.chains[name].generator
        return {"fifo": self.config["fifo"], "filter": self.config["filter"], "generator_params": {generator: self.config["generator_params"][generator]}}

    def classify_config(self) -> dict:
        return {k: self.config[k] for k in ("classifiers", "classifier_options", "training")}

    def runs(self) -> list[tuple[str, int]]:
        """Every (chain, generation) whose classifiers are trained: each seed's generation 0 and every chain's g >= 1."""
        return [(b, 0) for b in self.baselines] + [(c, g) for c in self.chains for g in self.generations if g > 0]

    def metrics_inputs(self) -> dict:
        runs = [(c, g) for c in self.chains for g in self.generations]
        return {"predictions": [self.predictions_path(c, g) for c, g in runs], "test": self.path("real_test"),
                "synthesis": [self.path("synthesis", chain=c, gen=g) for c, g in runs if g > 0]}

    def _key(self, c: str, g: int) -> dict:
        return {"chain": c, "generator": self.chains[c].generator, "ratio": self.chains[c].ratio, "seed": self.chains[c].seed, "generation": g}

    def metrics_keys(self) -> list[dict]:
        """The chain keys of each predictions file in metrics_inputs()['predictions'], in the same order."""
        return [self._key(c, g) for c in self.chains for g in self.generations]

    def synthesis_keys(self) -> list[dict]:
        """The chain keys of each summary in metrics_inputs()['synthesis'], in the same order."""
        return [self._key(c, g) for c in self.chains for g in self.generations if g > 0]

    # -- figures and targets --------------------------------------------------------------------
    def figures(self) -> list[str]:
        names = list(METRIC_FIGURES) if self.config["fairness"]["enabled"] else ["accuracy"]
        if len(self.generations) > 1:
            names.append("fid")
        if self.config["fairness"]["enabled"]:
            names += [f"acc_k_{g}" for g in self.config["generators"]]
        return names

    def figure_reports(self) -> list[tuple[str, str, str]]:
        """(figure, caption file stem under report/image_loop/, report subcategory) for each figure."""
        def caption(name):
            if name == "fid":
                return "fid", "generators"
            return ("acc_k", "subgroups") if name.startswith("acc_k_") else (name, "classifiers")
        return [(name, *caption(name)) for name in self.figures()]

    def targets(self) -> list[str]:
        return [self.path("image_metrics"), self.path("table", table="fid_by_generation"), *[self.path("image_figure", figure=f) for f in self.figures()]]
