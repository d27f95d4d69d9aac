"""Bad config input is refused before any job starts, naming the key."""

import pytest
import yaml
from conftest import TINY_CONFIG, validation_error

from synthloop.studies import validate
from synthloop.studies.text_loop.validate import job_factors


@pytest.fixture
def tiny():
    return yaml.safe_load(TINY_CONFIG.read_text())


# -- resource keys reach sbatch through a shell ---------------------------------------------------


def test_shell_metacharacters_in_slurm_extra_are_refused_naming_the_key(tiny):
    message = validation_error(
        tiny, lambda c: c.update(resources={"finetune": {"slurm_extra": "--hint=nomultithread ; touch pwned ; echo"}})
    )
    assert "resources.finetune.slurm_extra" in message


@pytest.mark.parametrize("value", ["a|b", "a && b", "$(id)", "`id`", "a > /tmp/x", "it's", 'a"b', "a\nb"])
def test_every_shell_metacharacter_is_refused(tiny, value):
    assert "resources.score.slurm_account" in validation_error(tiny, lambda c: c.update(resources={"score": {"slurm_account": value}}))


def test_an_unknown_resource_key_is_refused_naming_it(tiny):
    message = validation_error(tiny, lambda c: c.update(resources={"generate": {"slurm_extr": "--exclusive"}}))
    assert "resources.generate" in message and "'slurm_extr'" in message and "did you mean 'slurm_extra'" in message
    assert "resources" in validation_error(tiny, lambda c: c.update(resources={"evil": {"mem_mb": 1}}))


def test_plain_slurm_values_are_accepted(tiny):
    tiny["resources"] = {"finetune": {"slurm_extra": "--hint=nomultithread --exclusive", "slurm_partition": "gpu-a100", "gpu": 1}}
    assert validate(tiny)["resources"]["finetune"]["slurm_extra"] == "--hint=nomultithread --exclusive"


# -- bounds and the job-count estimate ----------------------------------------------------------


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda c: c.update(generations=1000000), "generations"),
        (lambda c: c.update(seeds=list(range(101))), "seeds"),
        (lambda c: c["chains"].update(ratios=[i / 100 for i in range(1, 101)]), "chains.ratios"),
        (lambda c: c["chains"].update(clusters={"n": 100000, "min_size": 2}), "chains.clusters.n"),
    ],
)
def test_sizes_are_bounded_in_the_schema(tiny, edit, key):
    assert f"config key '{key}'" in validation_error(tiny, edit)


def test_a_study_above_max_jobs_is_refused_naming_the_product(tiny):
    def edit(c):
        c.update(generations=1000, seeds=list(range(100)))
        c["strategies"].update({f"copy{i}": {"compose": "replace"} for i in range(4)})
        c["chains"]["strategies"] += [f"copy{i}" for i in range(4)]

    message = validation_error(tiny, edit)
    # 100 seeds x 1 start x 6 strategies x 1000 generations x 4 jobs, counted by hand
    assert "about 2400000 jobs" in message and "seeds (100)" in message and "generations (1000)" in message
    assert "chains.strategies (6)" in message and "max_jobs (2000000)" in message
    edit(tiny)
    tiny["max_jobs"] = 2400000
    assert validate(tiny)["generations"] == 1000  # raised deliberately: allowed


def test_the_estimate_counts_the_chains_the_plan_builds(tiny):
    from synthloop.studies.text_loop.chains import chains

    tiny["seeds"] = [0, 1, 2]
    config = validate(tiny)
    factors = dict(job_factors(config))
    assert (
        factors["seeds"] * factors["chain starts (chains.dataset x chains.clusters.n + chains.mixed.count)"] * factors["chains.strategies"]
        == len(chains(config))
        == 6
    )


# -- integer keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda c: c.update(generations=2.0), "generations"),
        (lambda c: c.update(seeds=[0.0]), "seeds[0]"),
        (lambda c: c["finetune"].update(batch_size=8.0), "finetune.batch_size"),
        (lambda c: c.update(generations=True), "generations"),
    ],
)
def test_integer_keys_must_be_integers(tiny, edit, key):
    message = validation_error(tiny, edit)
    assert f"config key '{key}'" in message and "not an integer" in message


# -- plain names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".", "..", ".hidden", "a/b", "../x", "", "a b"])
def test_study_names_are_plain_names(tiny, name):
    assert "config key 'study'" in validation_error(tiny, lambda c: c.update(study=name))


@pytest.mark.parametrize("name", ["..", ".", ".x", "a/b"])
def test_dataset_and_strategy_names_are_plain_names(tiny, name):
    def dataset(c):
        c["datasets"][name] = c["datasets"]["sotu"]

    def strategy(c):
        c["strategies"][name] = {"compose": "replace"}

    assert "config key 'datasets'" in validation_error(tiny, dataset)
    assert "config key 'strategies'" in validation_error(tiny, strategy)


def test_names_with_inner_dots_stay_allowed(tiny):
    tiny["study"] = "kovac2025.v2"
    assert validate(tiny)["study"] == "kovac2025.v2"


# -- misspelt keys everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, key, wrong, right",
    [
        (lambda c: c["scorers"]["perplexity"].update(modle="base"), "scorers.perplexity", "modle", "model"),
        (lambda c: c["scorers"]["perplexity"].update(batch_sise=4), "scorers.perplexity", "batch_sise", "batch_size"),
        (lambda c: c["datasets"]["sotu"].update(min_wrods=3), "datasets.sotu", "min_wrods", "min_words"),
        (lambda c: c.update(generatoins=3), "<top level>", "generatoins", "generations"),
        (lambda c: c["finetune"].update(learning_rte=0.1), "finetune", "learning_rte", "learning_rate"),
    ],
)
def test_misspelt_keys_are_errors_with_the_closest_key(tiny, edit, key, wrong, right):
    message = validation_error(tiny, edit)
    assert f"config key '{key}'" in message and f"{wrong!r} (did you mean {right!r}?)" in message


def test_a_renamed_backend_value_is_refused_naming_the_new_one(tiny):
    """The local-model backend is `hf` in every key; a config written for the judge's old name is told the new one."""
    message = validation_error(
        tiny,
        lambda c: c["scorers"].update(judge={"kind": "llm_judge", "backend": "transformers", "model": "smollm2", "aspects": ["quality"]}),
    )
    assert message == "config key 'scorers.judge.backend': 'transformers' is now called 'hf'; allowed values: ['hf', 'openai']"
