"""What an image-loop config must satisfy beyond its schema: references between keys, data with subgroups."""

from __future__ import annotations

import importlib
import importlib.util

from synthloop.core.config import ConfigError
from synthloop.studies.base import check_job_count

BUILT_IN = ("mlp", "lenet", "cnn", "resnet")
LIBRARIES = ("torchvision", "timm")


def check(config: dict) -> None:
    check_fifo(config)
    check_classifiers(config)
    check_filter(config)
    check_data(config)
    check_arms(config)
    check_job_count(config, job_factors(config), extra=len(config["seeds"]) + 5)  # + generation 0 per seed, data and tables


def check_fifo(config: dict) -> None:
    fifo = config["fifo"]
    if fifo["enabled"] and fifo["capacity"] < 1:
        raise ConfigError(
            f"config key 'fifo.capacity': {fifo['capacity']:g} generations is below one generation's synthetic data "
            f"(D < S); allowed: a number >= 1 (D/S, the paper: 3)"
        )


def _library_arch_known(library: str, arch: str) -> bool | None:
    """Whether the library knows the architecture; None when the library does not import here (checked in the job)."""
    if importlib.util.find_spec(library) is None:
        return None
    try:
        module = importlib.import_module(library)
    except Exception:  # installed but broken (e.g. a torchvision built for another torch): the job reports it
        return None
    if library == "torchvision":
        return arch in module.models.list_models()
    return arch in module.list_models()


def check_classifiers(config: dict) -> None:
    allowed = f"{', '.join(BUILT_IN)}, torchvision:<architecture>, timm:<architecture>"
    for i, name in enumerate(config["classifiers"]):
        library, sep, arch = name.partition(":")
        if not sep and name not in BUILT_IN or sep and library not in LIBRARIES:
            raise ConfigError(f"config key 'classifiers[{i}]': unknown classifier {name!r}; allowed: {allowed}")
        if sep and _library_arch_known(library, arch) is False:
            raise ConfigError(f"config key 'classifiers[{i}]': {library} has no architecture {arch!r}")
    for name in config["classifier_options"]:
        if name not in config["classifiers"]:
            raise ConfigError(f"config key 'classifier_options.{name}': not a configured classifier; allowed: {config['classifiers']}")


def check_filter(config: dict) -> None:
    chosen = config["filter"]["classifier"]
    if chosen is not None and chosen not in config["classifiers"]:
        raise ConfigError(f"config key 'filter.classifier': {chosen!r} is not a configured classifier; allowed: {config['classifiers']}")
    if config["filter"].get("mode") == "threshold" and config["filter"].get("threshold") is None:
        raise ConfigError("config key 'filter.threshold': filter mode threshold needs the largest entropy (nats) a kept sample may have")


def check_data(config: dict) -> None:
    data = config["data"]
    if data["source"] == "hf" and not data["path"]:
        raise ConfigError("config key 'data.path': a Hugging Face dataset (source: hf) needs its id or local path")
    if config["fairness"]["enabled"] and not data["colourise"] and not (data["source"] == "hf" and data["subgroup_column"]):
        key = "data.subgroup_column" if data["source"] == "hf" else "data.colourise"
        raise ConfigError(
            f"config key '{key}': fairness metrics are asked for (fairness.enabled) but the dataset has no subgroups; "
            "allowed: a subgroup column (hf), colourise (the colour is the subgroup), or fairness.enabled: false"
        )
    colourise = data["colourise"]
    if colourise:
        n = len(colourise["colours"])
        for cls, weights in colourise["ratios"].items():
            if len(weights) != n or sum(weights) <= 0:
                raise ConfigError(
                    f"config key 'data.colourise.ratios.{cls}': needs {n} non-negative weights (one per colour) with a positive sum"
                )
    if "control" in config["generators"]:
        control = config["generator_params"]["control"]
        if not colourise:
            raise ConfigError(
                "config key 'generators': the control generator repaints coloured digits; set data.colourise or remove 'control'"
            )
        if control["colour"] is not None and control["colour"] not in colourise["colours"]:
            raise ConfigError(
                f"config key 'generator_params.control.colour': {control['colour']!r} is not one of data.colourise.colours {colourise['colours']}"
            )
        if data["source"] == "digits" and control["class"] > 9:
            raise ConfigError(f"config key 'generator_params.control.class': the digits have classes 0-9, not {control['class']}")
    if "sd_lora" in config["generators"] and data["size"] < 64:
        raise ConfigError(f"config key 'data.size': {data['size']} is too small for Stable Diffusion (sd_lora); allowed: >= 64")


def check_arms(config: dict) -> None:
    arms = config["arms"]
    if arms["bias"] and not config["data"]["colourise"]:
        raise ConfigError(
            "config key 'arms.bias': bias arms colour the data differently, but data.colourise is not set; "
            "allowed: data.colourise (grayscale images painted per class) or arms.bias: []"
        )
    if "pretrained" in arms["weights"] and not any(":" in name for name in config["classifiers"]):
        raise ConfigError(
            f"config key 'arms.weights': a pretrained arm needs a torchvision:/timm: classifier (the built-in ones have no "
            f"pre-trained weights); configured: {config['classifiers']}"
        )


def job_factors(config: dict) -> list[tuple[str, int]]:
    """Two jobs (synthesize, classify) per chain (arm x generator x ratio x seed) and generation >= 1."""
    return [
        ("arms", max(len(config["arms"]["bias"]), 1) * max(len(config["arms"]["weights"]), 1)),
        ("generators", len(config["generators"])),
        ("ratios", len(config["ratios"])),
        ("seeds", len(config["seeds"])),
        ("generations after 0", config["generations"] - 1),
        ("jobs per generation", 2),
    ]
