"""The plan of an image-loop study: its chains, which jobs exist, what each reads, and the targets.

A chain is (arm, generator, ratio p, seed). An arm is one of the paper's initialisations, the
product of two optional axes (`arms.bias`: the colouring of the real data, Figs. 3-4 and Table 1's
two MNIST rows; `arms.weights`: classifiers from scratch or pre-trained, Figs. 5-6); a config
without them has one unnamed arm, and its chain ids and files are those of a study without axes.
A bias arm has its own real data (`data/<bias>/...`) and FID feature net; a weights arm changes
only the classifiers' initialisation. Generation 0 trains the classifiers on real data only, which
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

CONTROL = "control"  # the positive control's generator (generators.control_sample)

METRIC_FIGURES = ("accuracy", "meo", "di", "md")
ARM_AXES = ("bias", "weights")  # the arm columns of the tables, in chain-id order
PRETRAINED = {"torchvision": {"weights": "DEFAULT"}, "timm": {"pretrained": True}}  # a library classifier's ImageNet weights


@dataclass(frozen=True)
class Arm:
    bias: str | None = None  # data.colourise.bias of this arm; None: the configured one (no bias axis)
    weights: str | None = None  # scratch | pretrained; None: classifier_options as configured (no weights axis)

    @property
    def id(self) -> str | None:
        return chain_id(self.bias, self.weights) or None


@dataclass(frozen=True)
class Chain:
    generator: str | None  # None: the shared real-data generation 0
    ratio: float | None
    seed: int
    arm: Arm = Arm()


def image_chain_id(generator: str, ratio: float, seed: int, arm: Arm = Arm()) -> str:
    return chain_id(arm.bias, arm.weights, generator, ratio_id(ratio), seed_id(seed))


def baseline_id(seed: int, arm: Arm = Arm()) -> str:
    return chain_id(arm.bias, arm.weights, REAL, seed_id(seed))


def fid_features(spec: dict) -> str:
    """What the study's FID values are computed on, as its tables name them (fid.features, fid.network)."""
    return (
        "inception-v3 pool3 (2048)"
        if spec["features"] == "inception"
        else f"classifier {spec['network']} penultimate (trained on real data)"
    )


def arms_of(config: dict) -> list[Arm]:
    """The arms: the product of the configured axes (bias first), or one unnamed arm without axes."""
    axes = config["arms"]
    return [Arm(b, w) for b in axes["bias"] or [None] for w in axes["weights"] or [None]]


class Plan:
    def __init__(self, config: dict, path: Callable[..., str]):
        self.config, self.path = config, path
        self.generations = list(range(config["generations"]))
        self.arms = arms_of(config)
        self.bias_arms = list(config["arms"]["bias"])
        self.chains = {
            image_chain_id(g, r, s, a): Chain(g, r, s, a)
            for a in self.arms
            for g in config["generators"]
            for r in config["ratios"]
            for s in config["seeds"]
        }
        self.baselines = {baseline_id(s, a): Chain(None, None, s, a) for a in self.arms for s in config["seeds"]}

    def chain(self, name: str) -> Chain:
        return self.chains.get(name) or self.baselines[name]

    def data_seed(self) -> int:
        """Data splits and colours: from the first configured seed, shared by every chain and arm (the repeats share one colouring)."""
        return stable_seed(self.config["seeds"][0], "data")

    # -- an arm's data and classifiers -----------------------------------------------------------
    def data_path(self, name: str, bias: str | None) -> str:
        """real_train, real_test, train_g0 or feature_net of a bias arm (`data/<bias>/...`; the study's own without a bias axis)."""
        return self.path(f"arm_{name}", bias=bias) if bias else self.path(name)

    def data_config(self, bias: str | None) -> dict:
        """The data settings of a bias arm: data.colourise.bias replaced by the arm's."""
        data = self.config["data"]
        return {**data, "colourise": {**data["colourise"], "bias": bias}} if bias else data

    def classifier_options(self, weights: str | None) -> dict:
        """classifier_options of a weights arm: library classifiers with ImageNet weights (pretrained) or without (scratch).

        The built-in classifiers have no pre-trained weights: they start from scratch in both arms."""
        options = self.config["classifier_options"]
        if weights is None:
            return options
        out = {}
        for name in self.config["classifiers"]:
            own = {k: v for k, v in options.get(name, {}).items() if k not in ("weights", "pretrained")}
            library = name.partition(":")[0]
            out[name] = {**own, **PRETRAINED[library]} if weights == "pretrained" and library in PRETRAINED else own
        return {k: v for k, v in out.items() if v}

    def seed(self, name: str, *parts) -> int:
        """A job's seed, from the chain's id without its arm: the arms of a study are paired (the same random draws,
        only the initialisation differs), and the jobs of a study without arms keep their seeds."""
        chain = self.chain(name)
        plain = image_chain_id(chain.generator, chain.ratio, chain.seed) if chain.generator else baseline_id(chain.seed)
        return stable_seed(chain.seed, plain, *parts)

    # -- where a (chain, generation) reads from ------------------------------------------------
    def run_of(self, name: str, gen: int) -> tuple[str, int]:
        """The chain whose files hold (chain, gen): generation 0 of every chain is its seed's real-data run."""
        chain = self.chain(name)
        return (baseline_id(chain.seed, chain.arm), 0) if gen == 0 else (name, gen)

    def train_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.data_path("train_g0", self.chain(name).arm.bias) if gen == 0 else self.path("image_train", chain=run, gen=gen)

    def classifiers_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.path("classifiers", chain=run, gen=gen)

    def predictions_path(self, name: str, gen: int) -> str:
        run, gen = self.run_of(name, gen)
        return self.path("predictions", chain=run, gen=gen)

    def filter_classifier(self) -> str | None:
        """The classifier whose uncertainty filters synthetic samples (None: no filtering)."""
        filt = self.config["filter"]
        return (
            (filt["classifier"] or self.config["classifiers"][0])
            if filt["enabled"] and filt["scorer"] in ("classifier", "combined")
            else None
        )

    # -- inputs of each job ----------------------------------------------------------------
    def data_inputs(self) -> dict:
        """The local files a Hugging Face image dataset is read from (its directory and data_files); none for digits or a hub id."""
        data = self.config["data"]
        if data["source"] != "hf":
            return {}
        within = [f"{data['path']}/{f}" for f in flatten(data["data_files"])] if data["path"] and Path(data["path"]).is_dir() else []
        return {"local": local_files(data["path"], data["data_files"], within)}

    def synthesize_inputs(self, name: str, gen: int) -> dict:
        bias = self.chains[name].arm.bias
        inputs = {"previous": self.train_path(name, gen - 1), "real_train": self.data_path("real_train", bias)}
        generator = self.chains[name].generator
        models = [self.config["generator_params"][generator].get("model")] if generator == "sd_lora" else []
        if self.config["filter"]["enabled"] and self.config["filter"]["scorer"] in ("clip", "combined"):
            models.append(self.config["filter"]["clip_model"])
        if local := local_files([m for m in models if m]):
            inputs["local_models"] = local
        if self.config["fid"]["features"] == "classifier":
            inputs["feature_net"] = self.data_path("feature_net", bias)
        if self.filter_classifier():
            inputs["filter_net"] = self.classifiers_path(name, gen - 1)
        return inputs

    def classify_inputs(self, name: str, gen: int) -> dict:
        return {"train": self.train_path(name, gen), "test": self.data_path("real_test", self.chain(name).arm.bias)}

    def synthesis_config(self, name: str) -> dict:
        """Only what a synthesize job reads (its own generator's settings), so other edits re-run nothing."""
        generator, colourise = self.chains[name].generator, self.config["data"]["colourise"]
        return {
            "fifo": self.config["fifo"],
            "filter": self.config["filter"],
            "generator_params": {generator: self.config["generator_params"][generator]},
            "colours": colourise["colours"] if colourise else None,
        }

    def classify_config(self, name: str) -> dict:
        """Only what a classify job reads: the classifiers, their options in this chain's weights arm, and training."""
        return {
            "classifiers": self.config["classifiers"],
            "classifier_options": self.classifier_options(self.chain(name).arm.weights),
            "training": self.config["training"],
        }

    def runs(self) -> list[tuple[str, int]]:
        """Every (chain, generation) whose classifiers are trained: each seed's generation 0 and every chain's g >= 1."""
        return [(b, 0) for b in self.baselines] + [(c, g) for c in self.chains for g in self.generations if g > 0]

    def metrics_inputs(self) -> dict:
        runs = [(c, g) for c in self.chains for g in self.generations]
        return {
            "predictions": [self.predictions_path(c, g) for c, g in runs],
            "test": [self.data_path("real_test", b) for b in self.bias_arms or [None]],
            "synthesis": [self.path("synthesis", chain=c, gen=g) for c, g in runs if g > 0],
        }

    def test_keys(self) -> list[str | None]:
        """The bias arm of each test table in metrics_inputs()['test'], in the same order (None: no bias axis)."""
        return list(self.bias_arms or [None])

    def arm_columns(self) -> list[str]:
        """The arm axes a study has: its tables get one column each (none without axes, as before)."""
        return [axis for axis in ARM_AXES if self.config["arms"][axis]]

    def _key(self, c: str, g: int) -> dict:
        chain = self.chains[c]
        arm = {axis: getattr(chain.arm, axis) for axis in self.arm_columns()}
        return {"chain": c, **arm, "generator": chain.generator, "ratio": chain.ratio, "seed": chain.seed, "generation": g}

    def metrics_keys(self) -> list[dict]:
        """The chain keys of each predictions file in metrics_inputs()['predictions'], in the same order."""
        return [self._key(c, g) for c in self.chains for g in self.generations]

    def synthesis_keys(self) -> list[dict]:
        """The chain keys of each summary in metrics_inputs()['synthesis'], in the same order."""
        return [self._key(c, g) for c in self.chains for g in self.generations if g > 0]

    def conjecture_enabled(self) -> bool:
        """Eq. 6 is fitted where there is a bias series (fairness on) of at least two steps."""
        return self.config["fairness"]["enabled"] and len(self.generations) >= 3

    def conjecture_inputs(self) -> dict:
        runs = [(c, g) for c in self.chains for g in self.generations if g > 0]
        return {
            "metrics": self.path("image_metrics"),
            "fid": self.path("fid_metrics"),
            "generated": [self.path("image_generated", chain=c, gen=g) for c, g in runs],
        }

    # -- the positive control -----------------------------------------------------------------
    def is_control(self) -> bool:
        """The positive control: the `control` generator paints a planted colour share into real digits."""
        return CONTROL in self.config["generators"]

    def control_runs(self) -> list[dict]:
        """The control chains' synthesize jobs the control table reads (every generation >= 1, ratio > 0): their
        generated table, summary and real training set, and the keys of the table's row with the job's seed."""
        return [
            {
                "generated": self.path("image_generated", chain=c, gen=g),
                "summary": self.path("synthesis", chain=c, gen=g),
                "real_train": self.data_path("real_train", chain.arm.bias),
                "keys": {**self._key(c, g), "job_seed": self.seed(c, g, "synthesize")},
            }
            for c, chain in self.chains.items()
            if chain.generator == CONTROL and chain.ratio > 0
            for g in self.generations
            if g > 0
        ]

    # -- figures and targets --------------------------------------------------------------------
    def figures(self) -> list[str]:
        names = list(METRIC_FIGURES) if self.config["fairness"]["enabled"] else ["accuracy"]
        if len(self.generations) > 1:
            names.append("fid")
        if self.config["fairness"]["enabled"]:
            names += [f"acc_k_{chain_id(a.id, g)}" for a in self.arms for g in self.config["generators"]]
        return names

    def figure_reports(self) -> list[tuple[str, str, str]]:
        """(figure, caption file stem under report/image_loop/, report subcategory) for each figure."""

        def caption(name):
            if name == "fid":
                return "fid", "generators"
            return ("acc_k", "subgroups") if name.startswith("acc_k_") else (name, "classifiers")

        return [(name, *caption(name)) for name in self.figures()]

    def targets(self) -> list[str]:
        conjecture = (
            [
                self.path("table", table="conjecture_fit"),
                self.path("table", table="conjecture_amplification"),
                self.path("image_figure", figure="conjecture"),
            ]
            if self.conjecture_enabled()
            else []
        )
        return [
            self.path("image_metrics"),
            self.path("table", table="fid_by_generation"),
            *[self.path("image_figure", figure=f) for f in self.figures()],
            *conjecture,
            *([self.path("table", table="control")] if self.is_control() and self.control_runs() else []),
        ]
