"""Study 3 plan: which arms exist, what each reads, the augmentation set sizes, the rounds' models."""

import pytest
from conftest import study_path

from synthloop.studies import validate
from synthloop.studies.inheritance.plan import Plan, arms

path = study_path("inheritance", "s")


@pytest.fixture
def config():
    return validate(
        {
            "study": "s",
            "kind": "inheritance",
            "seeds": [0, 1],
            "model": {"source": "org/model"},
            "biases": ["gender"],
            "bias_types": ["unbiased", "contrastive_implicit"],
            "ratios": [0.0, 0.05, 0.5],
            "total": {"gender": 3600},
            "mitigations": {"methods": ["token", "loss"], "bias_types": ["contrastive_implicit"], "ratios": [0.05]},
            "rounds": {"count": 3, "bias_type": "unbiased", "ratio": 0.5},
        }
    )


def test_arms_of_a_config(config):
    names = list(arms(config))
    assert names == [
        "gender-none-r0-none-round1",
        "gender-unbiased-r0.05-none-round1",
        "gender-unbiased-r0.5-none-round1",
        "gender-contrastive_implicit-r0.05-none-round1",
        "gender-contrastive_implicit-r0.5-none-round1",
        "gender-contrastive_implicit-r0.05-token-round1",
        "gender-contrastive_implicit-r0.05-loss-round1",
        "gender-unbiased-r0.5-none-round2",
        "gender-unbiased-r0.5-none-round3",
    ]  # the round-1 arm of the multi-round experiment is the grid's own (not repeated)


def test_augmentation_sets_hold_what_the_largest_ratio_needs(config):
    plan = Plan(config, path, "results/s")
    sets = plan.augment_sets()
    assert sets["gender-unbiased-round1"]["count"] == 1800 and sets["gender-contrastive_implicit-round1"]["count"] == 1800
    assert sets["gender-unbiased-round2"] == {"bias": "gender", "bias_type": "unbiased", "round": 2, "count": 1800}
    assert "gender-none-round1" not in sets
    assert plan.compose_inputs("gender-none-r0-none-round1", 0) == {"real": path("real", bias="gender")}
    assert plan.compose_inputs("gender-unbiased-r0.05-none-round1", 1)["augmentation"] == path(
        "augmentation", key="gender-unbiased-round1", seed=1
    )


def test_rounds_read_the_previous_rounds_model(config):
    plan = Plan(config, path, "results/s")
    assert plan.init_model("gender-unbiased-r0.5-none-round1", 0) == "org/model"  # a hub id: not a workflow input
    assert plan.finetune_inputs("gender-unbiased-r0.5-none-round1", 0)["init"] == []
    assert plan.init_model("gender-unbiased-r0.5-none-round3", 1) == path("model", arm="gender-unbiased-r0.5-none-round2", seed=1)
    assert plan.generator("gender-unbiased-round2", 0) == path("model", arm="gender-unbiased-r0.5-none-round1", seed=0)
    assert plan.generator("gender-unbiased-round1", 0) == "org/model"


def test_evaluations_and_rows_align_and_targets(config):
    plan = Plan(config, path, "results/s")
    assert len(plan.evaluations()) == len(plan.evaluation_rows()) == 9 * 2
    for file, row in zip(plan.evaluations(), plan.evaluation_rows()):
        assert file == path("evaluation", arm=row["arm"], seed=row["seed"])
    figures = plan.figures()
    assert {
        "gender_profession_by_ratio",
        "gender_hiring_by_ratio",
        "gender_salary_by_ratio",
        "gender_hiring_by_type_average",
        "rounds",
        "mitigations",
    } == set(figures)


def test_smollm2_is_converted_once():
    plan = Plan(validate({"study": "s", "kind": "inheritance", "seeds": [0]}), path, "results/s")
    assert plan.converts_model() and plan.base_model() == path("base_model")
    assert plan.finetune_inputs("gender-none-r0-none-round1", 0)["init"] == [path("base_model")]


def test_arms_of_one_round_and_seed_draw_the_same_real_examples(config):
    plan = Plan(config, path, "results/s")
    same = {plan.compose_seed(name, 0) for name in plan.arms if plan.arms[name].round == 1}
    assert len(same) == 1
    assert plan.compose_seed("gender-unbiased-r0.5-none-round2", 0) not in same  # each round samples afresh
    assert plan.compose_seed("gender-none-r0-none-round1", 1) not in same


def test_mitigated_types_per_bias():
    from synthloop.core.config import ConfigError

    base = {
        "study": "s",
        "kind": "inheritance",
        "seeds": [0],
        "model": {"source": "org/model"},
        "biases": ["gender", "culture"],
        "bias_types": ["unbiased", "contextual_single_explicit", "contrastive_implicit"],
        "ratios": [0.0, 0.5],
        "data": {"culture": {"path": "org/opinions", "countries": {c: [c] for c in ["Arabic", "Chinese", "Portuguese", "Spanish"]}}},
        "evaluation": {"tasks": {"culture": ["story"]}},
    }
    config = validate(
        {**base, "mitigations": {"methods": ["mask"], "bias_types": {"gender": ["unbiased"], "culture": ["contextual_single_explicit"]}}}
    )
    mitigated = sorted(name for name, arm in arms(config).items() if arm.mitigation == "mask")
    assert mitigated == ["culture-contextual_single_explicit-r0.5-mask-round1", "gender-unbiased-r0.5-mask-round1"]
    with pytest.raises(ConfigError, match=r"mitigations\.bias_types\.culture\[0\]"):
        validate({**base, "mitigations": {"methods": ["mask"], "bias_types": {"culture": ["contextual_implicit"]}}})


def scaling_config(**scaling):
    return validate(
        {
            "study": "s",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "org/model"},
            "bias_types": ["unbiased", "contrastive_implicit"],
            "ratios": [0.0, 0.5],
            "total": {"gender": 24},
            "data": {"gender": {"source": "template"}},
            "scaling": {
                "generators": {
                    "big": {"model": {"source": "org/big"}},
                    "api": {
                        "model": {"source": "org/learner"},
                        "backend": "openai",
                        "endpoint": {"url": "http://h/v1", "model": "gpt-4o-mini"},
                    },
                },
                "professions": ["nurse", "dentist"],
                "workplaces": ["hospital", "clinic"],
                "total": 40,
                "ratio": 0.5,
                **scaling,
            },
        }
    )


def test_scaling_generators_add_their_own_arms_learner_data_and_augmentation():
    config = scaling_config()
    plan = Plan(config, path, "results/s")
    big = sorted(name for name, arm in plan.arms.items() if arm.generator == "big")
    assert big == [
        "gender-contrastive_implicit-r0.5-mask-round1-big",
        "gender-contrastive_implicit-r0.5-none-round1-big",
        "gender-contrastive_implicit-r0.5-token-round1-big",
        "gender-none-r0-none-round1-big",
        "gender-unbiased-r0.5-mask-round1-big",
        "gender-unbiased-r0.5-none-round1-big",
        "gender-unbiased-r0.5-token-round1-big",
    ]
    assert "gender-unbiased-r0.5-none-round1" in plan.arms  # the study's own arms stay as they are
    name = "gender-unbiased-r0.5-token-round1-big"
    assert plan.init_model(name, 0) == "org/big" and plan.total(name) == 40 and plan.tasks(name) == ["hiring", "salary"]
    assert plan.slots(name)["professions"] == ["nurse", "dentist"] and plan.slots(name)["workplaces"] == ["hospital", "clinic"]
    assert plan.compose_inputs(name, 0) == {
        "real": path("real", bias="gender-scaling"),
        "augmentation": path("augmentation", key="gender-unbiased-round1-big", seed=0),
    }
    assert plan.evaluate_inputs(name, 0)["test"] == path("test", bias="gender-scaling")
    assert plan.augment_set("gender-unbiased-round1-big") == {
        "bias": "gender",
        "bias_type": "unbiased",
        "round": 1,
        "count": 20,
        "generator": "big",
    }
    assert plan.generator("gender-unbiased-round1-big", 0) == "org/big" and plan.backend("gender-unbiased-round1-big") == "hf"
    assert plan.backend("gender-unbiased-round1-api") == "openai"
    assert plan.augment_params("gender-unbiased-round1-api")["endpoint"]["model"] == "gpt-4o-mini"
    assert plan.augment_params("gender-unbiased-round1")["endpoint"]["model"] is None  # the study's own sets: augment.endpoint
    assert plan.arm("gender-unbiased-r0.5-none-round1") == {
        "bias": "gender",
        "bias_type": "unbiased",
        "ratio": 0.5,
        "mitigation": "none",
        "round": 1,
    }
    assert {"scaling_big", "scaling_api"} <= set(plan.figures())
    assert plan.unbiased_sets() == [path("augmentation", key="gender-unbiased-round1", seed=0)]  # Figure 7b: the study's model only


@pytest.mark.parametrize(
    "change, key",
    [
        ({"generators": {"a-b": {"model": {"source": "org/m"}}}}, r"scaling\.generators\.a-b'"),
        ({"generators": {"g": {"model": {"source": "smollm2"}}}}, r"scaling\.generators\.g\.model"),
        ({"generators": {"g": {"model": {"source": "org/m"}, "backend": "openai"}}}, r"scaling\.generators\.g\.endpoint\.url"),
        ({"workplaces": ["hospital"]}, r"scaling\.workplaces"),
        ({"professions": ["nurse", "astronaut"], "workplaces": ["a", "b"]}, r"scaling\.professions"),
        ({"total": 1}, r"scaling\.ratio"),
    ],
)
def test_bad_scaling_config_names_the_key(change, key):
    from synthloop.core.config import ConfigError

    with pytest.raises(ConfigError, match=key):
        scaling_config(**change)


def test_full_preset_plans_both_generators_arms():
    import yaml
    from conftest import ROOT

    config = validate(yaml.safe_load((ROOT / "presets" / "li2025-bias-inheritance.yaml").read_text()))
    plan = Plan(config, study_path("inheritance", config["study"]), "results/x")
    generators = {arm.generator for arm in plan.arms.values()}
    assert generators == {None, "qwen7b"}
    scaling = [arm for arm in plan.arms.values() if arm.generator]
    assert {arm.ratio for arm in scaling} == {0.0, 0.5} and {arm.mitigation for arm in scaling} == {"none", "token", "mask"}
    assert len({arm.bias_type for arm in scaling}) == 8 and plan.total(scaling[0].name) == 7 * 2 * 6400
