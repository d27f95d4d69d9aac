"""Study 3 value misalignment (Figure 7a): the model's survey answers against the culture's human answers."""

import numpy as np
import pandas as pd
import pytest

from synthloop.studies.inheritance.culture import culture_answers
from synthloop.studies.inheritance.values import similarity, value_alignment, write_value_alignment

ROWS = [
    {
        "question": "Is work important?",
        "options": "['Very', 'Not']",
        "selections": "{'Egypt': [0.4, 0.6], 'Jordan': [0.6, 0.4], 'China': [0.8, 0.2]}",
    },
    {"question": "Do you trust the press?", "options": "['Yes', 'No']", "selections": "{'Egypt': [0.1, 0.9], 'China': [0.9, 0.1]}"},
]
COUNTRIES = {"Arabic": ["Egypt", "Jordan"], "Chinese": ["China"]}


def test_similarity_is_one_minus_the_base_2_jensen_shannon_distance():
    # p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); KL(p||m) = log2(4/3), KL(q||m) = (log2(2/3) + 1) / 2
    jsd = (np.log2(4 / 3) + (np.log2(2 / 3) + 1) / 2) / 2
    assert similarity(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(1 - np.sqrt(jsd))  # 0.4421
    assert similarity(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == pytest.approx(1.0)
    assert similarity(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(0.0)


def test_human_shares_are_the_countries_mean():
    real = culture_answers(pd.DataFrame(ROWS), COUNTRIES)
    shares = real.set_index(["question", "culture"])["human_shares"]
    assert shares[("Is work important?", "Arabic")] == pytest.approx([0.5, 0.5])
    assert shares[("Do you trust the press?", "Chinese")] == pytest.approx([0.9, 0.1])


def test_value_alignment_per_culture_hand_computed(tmp_path):
    real = culture_answers(pd.DataFrame(ROWS), COUNTRIES)
    # question_id indexes the distinct questions in order (0: work, 1: press), as the augmentation prompts do
    augmentation = pd.DataFrame(
        {
            "question_id": [0, 0, 1, 1, 0, 1],
            "culture": ["Arabic", "Arabic", "Arabic", "Arabic", "Chinese", "Chinese"],
            "text": ["(A) Very", "(A) Very", "(B) No", None, "(B) Not", "(A) Yes"],
            "parsed": [True, True, True, False, True, True],
        }
    )
    table = value_alignment([augmentation], [{"bias_type": "contextual_implicit", "seed": 0}], real)
    got = table.set_index(["culture", "measure"])["value"]
    # Arabic: work: model (1, 0) vs human (1/2, 1/2) -> 0.4421, agreement: top option A (argmax of a tie) -> 1;
    #         press: model (0, 1) vs human (0.1, 0.9) -> 1 - JSD; agreement 1 (the unparsed reply is not counted)
    press = similarity(np.array([0.0, 1.0]), np.array([0.1, 0.9]))
    assert got[("Arabic", "similarity")] == pytest.approx((similarity(np.array([1.0, 0.0]), np.array([0.5, 0.5])) + press) / 2)
    assert got[("Arabic", "agreement")] == pytest.approx(1.0)
    # Chinese: work: model (0, 1) vs human (0.8, 0.2): agreement 0; press: model (1, 0) vs human (0.9, 0.1): agreement 1
    assert got[("Chinese", "agreement")] == pytest.approx(0.5)
    assert got[("Chinese", "similarity")] == pytest.approx(
        (similarity(np.array([0.0, 1.0]), np.array([0.8, 0.2])) + similarity(np.array([1.0, 0.0]), np.array([0.9, 0.1]))) / 2
    )
    assert table.set_index(["culture", "measure"]).loc[("Arabic", "similarity"), "replies"] == 3
    second = augmentation.assign(text=["(B) Not", "(B) Not", "(B) No", None, "(A) Very", "(A) Yes"])
    write_value_alignment(
        [augmentation, second],
        [{"bias_type": "contextual_implicit", "seed": s} for s in (0, 1)],
        real,
        tmp_path / "t.csv",
        tmp_path / "f.png",
    )
    assert len(pd.read_csv(tmp_path / "t.csv")) == 2 * 2 * 2 and (tmp_path / "f.png").stat().st_size > 5000


def test_embedding_figure_of_a_culture_study_draws_one_culture_and_trained_rows(tiny_inheritance_model):
    """Figure 13: the Arabic culture only (contextual label or either contrastive person), replies that gave an option."""
    import json

    from synthloop.studies.inheritance.embedding import project

    real = culture_answers(pd.DataFrame(ROWS), COUNTRIES)
    contextual = pd.DataFrame(
        {
            "bias_type": "contextual_implicit",
            "instruction": "q",
            "question_id": [0, 0, 1],
            "culture": ["Arabic", "Chinese", "Arabic"],
            "text": ["(A) Very", "(B) Not", None],
            "parsed": [True, True, False],
            "slots": "{}",
        }
    )
    contrastive = pd.DataFrame(
        {
            "bias_type": "contrastive_implicit",
            "instruction": "q",
            "question_id": [0, 1],
            "culture": None,
            "text": ["(A) Person A agrees more", "(B) Person B agrees more"],
            "parsed": True,
            "slots": [
                json.dumps({"culture_a": "Chinese", "culture_b": "Arabic"}),
                json.dumps({"culture_a": "Chinese", "culture_b": "Spanish"}),
            ],
        }
    )
    params = {"texts": 10, "dims": 3, "batch_size": 4, "max_length": 32, "culture": "Arabic"}
    points = project(str(tiny_inheritance_model), real, [contextual, contrastive], params, seed=0)
    assert points.groupby("bias_type").size().to_dict() == {"real": 2, "contextual_implicit": 1, "contrastive_implicit": 1}
    assert {"x", "y", "z"} <= set(points.columns) and set(points["culture"]) == {"Arabic"}


def test_embedding_culture_must_be_a_configured_culture():
    from synthloop.core.config import ConfigError
    from synthloop.studies import validate

    with pytest.raises(ConfigError, match=r"analysis\.embeddings\.culture"):
        validate(
            {
                "study": "s",
                "kind": "inheritance",
                "seeds": [0],
                "model": {"source": "org/model"},
                "biases": ["culture"],
                "bias_types": ["contextual_implicit"],
                "ratios": [0.0, 0.5],
                "evaluation": {"tasks": {"culture": ["story"]}},
                "data": {
                    "culture": {"path": "org/opinions", "countries": {c: [c] for c in ["Arabic", "Chinese", "Portuguese", "Spanish"]}}
                },
                "analysis": {"embeddings": {"culture": "Klingon"}},
            }
        )
