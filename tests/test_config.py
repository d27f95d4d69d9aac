"""The config is validated before any job starts, with messages that name the key."""

import pytest
import yaml
from conftest import ROOT, validation_error

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed
from synthloop.studies import validate
from synthloop.studies.text_loop import chains as tl


@pytest.fixture
def default():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults(default):
    validated = validate(default)
    assert validated["chains"]["init"] == "continue"
    assert validated["trust_remote_code"] is False
    assert validated["strategies"]["replace"]["real_fraction"] == 0.1  # schema default filled in


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c["chains"]["strategies"].append("nonsense"), "chains.strategies[3]': unknown strategy 'nonsense'"),
        (
            lambda c: c["strategies"]["replace"].update(compose="shuffle"),
            "strategies.replace.compose': 'shuffle' is not allowed; allowed values: ['replace', 'preserve', 'accumulate', 'pool']",
        ),
        (lambda c: c.pop("generations"), "'generations' is a required property"),
        (lambda c: c["finetune"].update(epochz=3), "config key 'finetune': unknown key(s) ['epochz']"),
        (lambda c: c["chains"].update(dataset="missing"), "chains.dataset': 'missing' is not defined"),
        (
            lambda c: c["datasets"].update(center={"source": "label_subset", "from": "sotu", "keep_labels": ["center"]}),
            "datasets.center.keep_labels[0]': unknown label 'center'; labels of dataset 'sotu'",
        ),
        (lambda c: c["scorers"]["lean"].update(kind="vibes"), "scorers.lean.kind': unknown scorer kind 'vibes'"),
        (
            lambda c: c["scorers"].update(meaning={"kind": "lean_embedding", "embedder": "nope"}),
            "scorers.meaning.embedder': 'nope' is not defined; defined embedders: ['minilm']",
        ),
        (lambda c: c["scorers"].update(meaning={"kind": "lean_embedding"}), "scorers.meaning': 'embedder' is a required property"),
        (lambda c: c["datasets"]["sotu"].update(source="file"), "datasets.sotu.path': required when source is 'file'"),
        (lambda c: c.update(generations=0), "config key 'generations': 0 is less than the minimum of 1"),
    ],
)
def test_bad_config_names_the_key(default, edit, message):
    assert message in validation_error(default, edit)


def test_chain_ids_cover_strategies_and_seeds(default):
    default["seeds"] = [0, 1]
    chains = tl.chains(validate(default))
    assert sorted(chains) == sorted(f"sotu-{s}-s{seed}" for s in ["replace", "preserve", "accumulate"] for seed in (0, 1))


def test_strategy_overrides_the_finetune_recipe(default):
    validated = validate(default)
    assert tl.finetune_params(validated, "overfit")["epochs"] == 25
    assert tl.finetune_params(validated, "overfit")["weight_decay"] == 0.0
    assert tl.finetune_params(validated, "replace")["epochs"] == validated["finetune"]["epochs"]


def test_pool_chains_expand_over_clusters_and_ratios(default):
    default["strategies"]["pool"] = {"compose": "pool", "pool": {"n0": 8, "n": 4}}
    default["chains"].update(
        strategies=["pool", "replace"], ratios=[0.25, 1.0], clusters={"n": 2, "min_size": 17}
    )  # n0 + 3 x n(1-r) real texts at r = 0.25
    chains = tl.chains(validate(default))
    assert "sotu-c001-pool-r0.25-s0" in chains and "sotu-c000-replace-s0" in chains
    assert len(chains) == 2 * (2 + 1)  # clusters x (pool ratios + replace)
    del default["chains"]["ratios"]
    with pytest.raises(ConfigError, match="chains.ratios"):
        validate(default)


def test_stable_seed_is_stable_and_distinct():
    assert stable_seed(0, "a", 1) == stable_seed(0, "a", 1)
    assert stable_seed(0, "a", 1) != stable_seed(1, "a", 1)


def test_label_subsets_and_dataset_strategies_name_the_key(default):
    """A label subset draws from a loaded dataset; chains.dataset_strategies names chain datasets; the removed
    chains.generation0_labels (a third of the balanced set, not the published center-only setup) is refused."""
    default["datasets"]["left"] = {"source": "label_subset", "from": "sotu", "keep_labels": ["left"]}
    default["datasets"]["left2"] = {"source": "label_subset", "from": "left", "keep_labels": ["left"]}
    with pytest.raises(ConfigError, match=r"datasets.left2.from': 'left' is not a loaded dataset"):
        validate(default)
    del default["datasets"]["left2"]
    default["chains"]["dataset_strategies"] = {"tweets": ["replace"]}
    with pytest.raises(ConfigError, match=r"chains.dataset_strategies.tweets': not a chain dataset"):
        validate(default)
    default["chains"].update(dataset=["sotu", "left"], dataset_strategies={"left": ["nonsense"]})
    with pytest.raises(ConfigError, match=r"chains.dataset_strategies.left\[0\]': unknown strategy 'nonsense'"):
        validate(default)
    default["chains"]["dataset_strategies"] = {"left": ["replace"]}
    assert sorted(tl.chains(validate(default))) == sorted(
        [*(f"sotu-{s}-s0" for s in ["replace", "preserve", "accumulate"]), "left-replace-s0"]
    )
    default["chains"]["generation0_labels"] = ["left"]
    with pytest.raises(ConfigError, match="generation0_labels"):
        validate(default)
