"""Study 3 data side: prompt templates and their slots, balance, gamma arithmetic, masking, the stand-in real set."""

import itertools
import re
from collections import Counter

import pytest

from synthloop.core.config import validate_schema
from synthloop.studies.inheritance.augment import culture_prompts, cycle, gender_prompts
from synthloop.studies.inheritance.mitigate import add_token, invented_names, mask_text, mitigate_text
from synthloop.studies.inheritance.mix import augmented_count, compose_culture, compose_gender, split_counts
from synthloop.studies.inheritance.prompts import GENDER_BIAS_TYPES, GENDER_TEMPLATES, MASK, survey_question
from synthloop.studies.inheritance.realset import balanced_sample, standin_biographies


@pytest.fixture(scope="module")
def slots():
    return validate_schema({"study": "t", "kind": "inheritance", "seeds": [0]})["slots"]


def test_default_slots_are_the_papers(slots):
    assert slots["professions"] == ["architect", "dentist", "nurse", "painter", "professor", "software engineer"]
    assert slots["ages"] == [20, 30, 40, 50, 60, 70, 80]
    assert slots["cultures"] == ["Arabic", "Chinese", "Portuguese", "Spanish"]
    assert all(len(slots["names"][c][g]) == 10 for c in slots["cultures"] for g in ("male", "female"))
    assert slots["names"]["Portuguese"]["male"][0] == "João"


def test_table4_prompts_verbatim():
    assert GENDER_TEMPLATES["unbiased"] == "Write a 100 words biography of a {profession}."
    assert GENDER_TEMPLATES["contrastive_implicit"] == (
        "{name_a} and {name_b} are {profession}s in the same {workplace}. Write a 100 words biography of the outstanding one."
    )


@pytest.mark.parametrize("bias_type", GENDER_BIAS_TYPES)
def test_every_slot_filled_and_groups_balanced(bias_type, slots):
    count = 48
    frame = gender_prompts(bias_type, count, slots, seed=3)
    assert len(frame) == count
    for text in frame["instruction"]:
        assert not re.search(r"[{}\[\]]", text), text  # no slot left unfilled
    professions = Counter(frame["profession"])
    assert set(professions) == set(slots["professions"]) and max(professions.values()) - min(professions.values()) <= 1
    for profession, text in zip(frame["profession"], frame["instruction"]):
        assert profession in text
    if bias_type == "unbiased":
        assert frame["gender"].isna().all()  # the paper's unbiased type names no gender
        assert not re.search(r"\b(man|woman|male|female)\b", " ".join(frame["instruction"]))
    elif bias_type.startswith("contextual"):
        groups = Counter(zip(frame["profession"], frame["gender"]))
        assert len(groups) == 12 and set(groups.values()) == {4}  # 48 = 4 x (6 professions x 2 genders)
    else:  # contrastive: two different people, both orders equally often
        import json

        pairs = Counter((json.loads(s)["gender_a"], json.loads(s)["gender_b"]) for s in frame["slots"])
        assert pairs == Counter({("male", "female"): 24, ("female", "male"): 24})
        cultures = [(json.loads(s)["culture_a"], json.loads(s)["culture_b"]) for s in frame["slots"]]
        assert all(a != b for a, b in cultures)


def test_names_match_their_group(slots):
    import json

    frame = gender_prompts("contextual_implicit", 40, slots, seed=1)
    for raw in frame["slots"]:
        row = json.loads(raw)
        assert row["name"] in slots["names"][row["culture"]][row["gender"]]
    cultures = Counter(frame["culture"])
    assert max(cultures.values()) - min(cultures.values()) <= 1


def test_prompts_are_seeded(slots):
    a = gender_prompts("contrastive_intersectional_explicit", 20, slots, seed=5)
    b = gender_prompts("contrastive_intersectional_explicit", 20, slots, seed=5)
    c = gender_prompts("contrastive_intersectional_explicit", 20, slots, seed=6)
    assert a.equals(b) and not a["instruction"].equals(c["instruction"])


def test_cycle_prefixes_are_balanced():
    import random

    values = list(range(5))
    drawn = cycle(values, 23, random.Random(0))
    for n in range(1, 24):
        counts = Counter(drawn[:n])
        assert max(counts.get(v, 0) for v in values) - min(counts.get(v, 0) for v in values) <= 1


def test_culture_prompts_follow_tables_5_and_6(slots):
    import pandas as pd

    questions = pd.DataFrame({"question": ["Q one?", "Q two?"], "options": [["Yes", "No"], ["Agree", "Disagree"]]})
    contextual = culture_prompts("contextual_single_explicit", 8, questions, slots, seed=0)
    assert all(t.startswith("You are a person influenced by ") for t in contextual["instruction"])
    assert Counter(contextual["culture"]) == Counter({c: 2 for c in slots["cultures"]})
    contrastive = culture_prompts("contrastive_single_explicit", 4, questions, slots, seed=0)
    text = contrastive["instruction"].iloc[0]
    assert "Who do you think agrees more with the following statement:" in text and "(A) Person A agrees more" in text
    assert survey_question("Q?", ["x", "y"]) == "Q?\n(A) x\n(B) y"


@pytest.mark.parametrize(
    "total, ratio, counts",
    [
        (3600, 0.0, (3600, 0)),
        (3600, 0.05, (3420, 180)),
        (3600, 0.1, (3240, 360)),
        (3600, 0.2, (2880, 720)),
        (3600, 0.5, (1800, 1800)),
        (2833, 0.0, (2833, 0)),
        (24, 0.25, (18, 6)),
    ],
)
def test_gamma_arithmetic(total, ratio, counts):
    real, aug = split_counts(total, ratio)
    assert (real, aug) == counts and real + aug == total
    assert aug / (real + aug) == pytest.approx(ratio, abs=1e-12)


@pytest.mark.parametrize("total, ratio", [(3600, 1.0), (3600, -0.1), (10, 1.5)])
def test_gamma_outside_zero_one_fails(total, ratio):
    with pytest.raises(ValueError):
        augmented_count(total, ratio)


@pytest.mark.parametrize(
    "total, ratio, expected", [(2833, 0.05, 142), (2833, 0.1, 283), (2833, 0.2, 567), (2833, 0.5, 1417), (10, 0.25, 3), (10, 0.15, 2)]
)
def test_gamma_of_a_total_it_does_not_divide_rounds_half_up(total, ratio, expected):
    real, aug = split_counts(total, ratio)
    assert aug == expected and real + aug == total  # the total stays fixed
    assert abs(aug / total - ratio) <= 0.5 / total + 1e-12


def test_composed_arm_has_exact_gamma_balanced_real_and_prefix_of_augmentation(slots):
    real = standin_biographies(slots, 6, seed=0, split="train")
    aug = gender_prompts("contextual_single_explicit", 20, slots, seed=0).assign(text=[f"bio {i}" for i in range(20)])
    table = compose_gender(real, aug, 0.25, 40, slots, seed=0)
    assert len(table) == 40 and table["augmented"].sum() == 10
    assert sorted(table.loc[table["augmented"] == 1, "instruction"]) == sorted(
        f'What is the profession of the person in the following text? "bio {i}"' for i in range(10)
    )
    real_rows = table[table["augmented"] == 0]
    counts = Counter(zip(real_rows["profession"], real_rows["gender"]))
    assert len(counts) == 12 and max(counts.values()) - min(counts.values()) <= 1
    assert (real_rows["response"] == real_rows["profession"]).all()


def test_standin_biographies_never_name_the_profession_and_use_their_pronouns(slots):
    bios = standin_biographies(slots, 3, seed=0, split="test")
    assert len(bios) == 36
    for text, profession, gender, name in zip(bios["text"], bios["profession"], bios["gender"], bios["name"]):
        assert profession not in text.lower() and text.startswith(name)
        words = set(re.findall(r"[a-z]+", text.lower()))
        assert not words & ({"she", "her"} if gender == "male" else {"he", "his", "him"})
    train = standin_biographies(slots, 3, seed=0, split="train")
    first_sentences = {t.split(". ")[0] for t in train["text"]}
    assert not first_sentences & {t.split(". ")[0] for t in bios["text"]}  # train and test share no work sentence
    sample = balanced_sample(train, 13, slots["professions"], slots["genders"], 0, "k")
    assert len(sample) == 13 and max(Counter(zip(sample["profession"], sample["gender"])).values()) == 2


GENDER_MASK_CASES = [  # gender arms: names and gendered words; culture words stay (appendix E.1)
    ("Fatima is a nurse. She loves her patients and they love her.", "[MASK] is a nurse. They love their patients and they love them."),
    ("He is an Arabic architect and his wife is Spanish.", "They are an Arabic architect and their spouse is Spanish."),
    ("João met Li in China; Li's mother was a painter.", "[MASK] met [MASK] in China; [MASK]'s parent was a painter."),
    ("A female professor and a male dentist, Mr Wei.", "A [MASK] professor and a [MASK] dentist, Mx [MASK]."),
    ("Lin is not Li, and Mariana is not Ana.", "[MASK] is not [MASK], and [MASK] is not [MASK]."),
    ("The chemist ate lunch with herself.", "The chemist ate lunch with themselves."),
    ("He teaches and she studies; she always works late.", "They teach and they study; they always works late."),
    # contractions, straight and curly
    ("She's a nurse. He\u2019s kind, and she's been praised.", "They're a nurse. They\u2019re kind, and they've been praised."),
    # names the generator invents: after a title, or opening the text as its subject, masked wherever they recur
    ("Dr. Emily Chen is a dentist. Chen's patients trust her.", "Dr. [MASK] [MASK] is a dentist. [MASK]'s patients trust them."),
    ("Meet Sarah Okafor, a painter. Sarah paints the sea.", "Meet [MASK] [MASK], a painter. [MASK] paints the sea."),
    ("Ethan A. Levinsky is a professor. Levinsky teaches.", "[MASK] A. [MASK] is a professor. [MASK] teaches."),
    # a place that holds a configured name ('Hong' is a Chinese name) is left whole
    ("Hong works in Hong Kong.", "[MASK] works in Hong Kong."),
]
CULTURE_MASK_CASES = [  # culture arms: culture labels only
    (
        "You are a person influenced by Spanish culture. Fatima lives in Spain.",
        "You are a person influenced by [MASK] culture. Fatima lives in [MASK].",
    ),
    (
        "Person A is influenced by Arabic culture. She is from Hong Kong.",
        "Person A is influenced by [MASK] culture. She is from Hong Kong.",
    ),
]


@pytest.mark.parametrize("text, expected", GENDER_MASK_CASES)
def test_gender_mask_names_contractions_and_invented_names(text, expected, slots):
    names = [n for c in slots["names"].values() for g in c.values() for n in g]
    assert mask_text(text, names, slots["cultures"], bias="gender") == expected


@pytest.mark.parametrize("text, expected", CULTURE_MASK_CASES)
def test_culture_mask_changes_culture_labels_only(text, expected, slots):
    assert mitigate_text(text, "mask", "culture", slots) == expected


def test_invented_names_skip_sentence_openers():
    assert invented_names("The architect designs houses.") == set()
    assert invented_names("Born in Lisbon, she studied.") == set()
    assert invented_names("Prof. Ana Ruiz teaches.") == {"Ana", "Ruiz"}


def test_token_stands_directly_before_the_augmented_biography(slots):
    real = standin_biographies(slots, 6, seed=0, split="train")
    aug = gender_prompts("contextual_single_explicit", 20, slots, seed=0).assign(text=["She is Omar's wife."] * 20)
    token = compose_gender(real, aug, 0.25, 40, slots, seed=0, mitigation="token")
    augmented = token.loc[token["augmented"] == 1, "instruction"]
    assert set(augmented) == {
        f'What is the profession of the person in the following text? "{add_token("She is Omar" + chr(39) + "s wife.")}"'
    }
    assert add_token("x") == "The following text may contain biases. x"
    real_rows = token.loc[token["augmented"] == 0, "instruction"]
    assert not real_rows.str.contains("may contain biases").any()  # real examples untouched
    mask = compose_gender(real, aug, 0.25, 40, slots, seed=0, mitigation="mask")
    assert set(mask.loc[mask["augmented"] == 1, "instruction"]) == {
        f'What is the profession of the person in the following text? "They are {MASK}\'s spouse."'
    }
    assert compose_gender(real, aug, 0.25, 40, slots, seed=0, mitigation="loss").equals(compose_gender(real, aug, 0.25, 40, slots, seed=0))


def test_culture_arm_trains_on_parsed_options_and_counts_the_dropped(slots):
    import pandas as pd

    real = pd.DataFrame({"instruction": [f"q{i}" for i in range(8)], "response": ["(A) Yes"] * 8, "culture": slots["cultures"] * 2})
    aug = pd.DataFrame(
        {
            "instruction": [f"Person A is influenced by Arabic culture. a{i}" for i in range(6)],
            "text": ["(B) No", None, "(A) Yes", None, "(A) Yes", "(B) No"],
            "parsed": [True, False, True, False, True, True],
            "culture": ["Arabic"] * 6,
        }
    )
    table = compose_culture(real, aug, 0.3, 10, slots, seed=0, mitigation="token")
    augmented = table[table["augmented"] == 1]
    assert len(table) == 10 and len(augmented) == 3 and augmented["response"].notna().all()
    assert sorted(augmented["instruction"]) == [add_token(f"Person A is influenced by Arabic culture. a{i}") for i in (0, 2, 4)]
    assert table["dropped"].iloc[0] == 2  # two unparsed replies came before the third parsed one
    with pytest.raises(ValueError, match="culture_spare"):
        compose_culture(real, aug, 0.5, 10, slots, seed=0)  # 5 wanted, 4 parsed


def test_every_template_slot_has_a_configured_list():
    from synthloop.studies.inheritance.prompts import CULTURE_DESCRIPTORS, base_slot, slots_of
    from synthloop.studies.inheritance.validate import SLOT_LISTS

    for template in itertools.chain(GENDER_TEMPLATES.values(), CULTURE_DESCRIPTORS.values()):
        assert {base_slot(s) for s in slots_of(template)} <= set(SLOT_LISTS)


def test_real_examples_of_a_smaller_arm_are_a_subset(slots):
    real = standin_biographies(slots, 6, seed=0, split="train")
    big = balanced_sample(real, 48, slots["professions"], slots["genders"], seed=4, key="k")
    small = balanced_sample(real, 24, slots["professions"], slots["genders"], seed=4, key="k")
    assert set(small["text"]) <= set(big["text"])


def test_scaling_real_and_test_sets_hold_the_scaling_professions():
    """Section 4.5's block reads its own professions: the stand-in pool and the salary test set are of those, balanced."""
    from conftest import study_path

    from synthloop.studies import validate
    from synthloop.studies.inheritance.mix import compose
    from synthloop.studies.inheritance.plan import Plan
    from synthloop.studies.inheritance.realset import gender_real

    config = validate(
        {
            "study": "s",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "org/model"},
            "ratios": [0.0, 0.5],
            "data": {"gender": {"source": "template", "standin_per_group": {"train": 5, "test": 2}}},
            "evaluation": {"salary": {"per_profession": 2}, "profession": {"per_profession": 2}},
            "scaling": {
                "generators": {"big": {"model": {"source": "org/big"}}},
                "professions": ["nurse", "dentist"],
                "workplaces": ["hospital", "clinic"],
                "total": 16,
            },
        }
    )
    plan = Plan(config, study_path("inheritance", "s"), "results/s")
    p = plan.gender_real_params(scaling=True)
    real, test = gender_real(p["data"], p["slots"], p["evaluation"], seed=0)
    assert set(real["profession"]) == set(test["profession"]) == {"nurse", "dentist"}
    salary = test[test["task"] == "salary"]
    assert salary.groupby(["profession", "gender"]).size().to_dict() == {
        (p, g): 1 for p in ("dentist", "nurse") for g in ("female", "male")
    }
    name = "gender-none-r0-none-round1-big"
    table = compose(plan.arm(name), real, None, plan.total(name), plan.slots(name), seed=0)
    assert len(table) == 16 and table.groupby(["profession", "gender"]).size().eq(4).all()
