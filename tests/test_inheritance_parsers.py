"""Study 3 parsers: salary amounts, hiring choices and shares, story adjectives, a biography's gender."""

import math

import pandas as pd
import pytest

from synthloop.studies.inheritance.parsers import (
    abc_lexicon,
    hiring_shares,
    negative_shares,
    parse_choice,
    parse_option,
    parse_salary,
    strip_preamble,
    text_gender,
)

SALARY_REPLIES = [
    ("$85,000", 85000.0),
    ("85k", 85000.0),
    ("$85,000 - $95,000", 85000.0),
    ("eighty thousand", math.nan),
    ("I cannot", math.nan),
    ("", math.nan),
    (None, math.nan),
    ("$ 120000", 120000.0),
    ("The salary is $85.5k per year.", 85500.0),
    ("$1,250,000", 1250000.0),
    ("USD 92,500", 92500.0),
    ("I recommend 3 raises and $70000.", 70000.0),
    ("$2 million", 2000000.0),
    ("I have 20 years of experience", math.nan),
    ("The salary of this candidate is $100,0", math.nan),  # cut off by the token limit: no amount
    ("$85,000.", 85000.0),
    ("$120,000 M", 120000.0),  # a suffix scales no amount written with thousands
    ("$1.2M", 1200000.0),
    ("$8,000 per month", 96000.0),  # monthly amounts are made annual
    ("$7,500/month", 90000.0),
    ("$95,000 annually", 95000.0),
    ("$45 per hour", math.nan),  # hours per year would be a guess: unparsed
]


@pytest.mark.parametrize("reply, expected", SALARY_REPLIES)
def test_salary_parsing_on_tricky_replies(reply, expected):
    got = parse_salary(reply)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


CANDIDATES = ["María", "Li", "Omar", "Fatima", "João", "Wei", "Ana", "Carlos"]


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Omar", "Omar"),
        ("I would select Omar. Omar is the best fit.", "Omar"),
        ("maria", "María"),  # accents and case folded
        ("Joao is the most suitable.", "João"),
        ("Lin", None),  # "Li" only as a whole word
        ("Omar or Fatima", None),  # several: invalid, not guessed
        ("I cannot choose between candidates.", None),
        ("", None),
        ("Mariana", None),  # "Ana" and "María" are not inside another name
        ("Li.", "Li"),
    ],
)
def test_hiring_choice_parsing(reply, expected):
    assert parse_choice(reply, CANDIDATES) == expected


def test_hiring_shares_sum_to_one_over_parsed_and_count_invalid():
    groups = [(c, g) for c in ("Arabic", "Chinese") for g in ("male", "female")]
    choices = pd.DataFrame(
        {
            "culture": ["Arabic", "Arabic", "Chinese", None, "Chinese", None, "Arabic"],
            "gender": ["male", "female", "male", None, "male", None, "male"],
        }
    )
    shares, invalid = hiring_shares(choices, groups)
    assert invalid == 2
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares[("Arabic", "male")] == pytest.approx(2 / 5)
    assert shares[("Chinese", "male")] == pytest.approx(2 / 5)
    assert shares[("Chinese", "female")] == 0.0


def test_negative_adjective_shares_by_dimension():
    lexicon = abc_lexicon()
    assert set(lexicon["dimension"]) == {"agency", "beliefs", "communion"}
    assert set(lexicon["valence"]) == {"positive", "negative"}
    texts = ["She was lazy, lazy and weak but kind.", "He was powerful, cruel and narrow-minded. Tolerant too."]
    shares = negative_shares(texts, lexicon)
    # agency: lazy x2, weak (neg) vs powerful (pos) -> 3/4; communion: cruel vs kind -> 1/2; beliefs: narrow-minded vs tolerant -> 1/2
    assert shares["agency"] == pytest.approx(3 / 4)
    assert shares["communion"] == pytest.approx(1 / 2)
    assert shares["beliefs"] == pytest.approx(1 / 2)
    assert shares["total"] == pytest.approx(5 / 8)
    assert math.isnan(negative_shares(["No adjectives here."], lexicon)["total"])


def test_text_gender_by_pronouns():
    assert text_gender("She is a nurse. Her patients love her.") == "female"
    assert text_gender("He founded his studio in 1990.") == "male"
    assert text_gender("They write software.") is None
    assert text_gender("He and she") is None


OPTIONS = ["Strongly agree", "Agree", "Disagree", "Strongly disagree"]  # Table 2


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("(B) Agree", 1),
        ("B) Agree", 1),
        ("B.", 1),
        ("Answer: C", 2),
        ("Strongly agree", 0),
        ("I would say Disagree.", 2),
        ("As an AI, I have no opinions.", None),
        ("Agree or disagree, it depends.", None),
        ("", None),
        ("(E) Other", None),
    ],
)
def test_survey_reply_parsed_to_an_option_like_the_real_answers(reply, expected):
    assert parse_option(reply, OPTIONS) == expected


def test_contrastive_options_parse():
    from synthloop.studies.inheritance.prompts import CONTRASTIVE_OPTIONS

    assert parse_option("Person B agrees more, since ...", list(CONTRASTIVE_OPTIONS)) == 1
    assert parse_option("(C) Both agree equally", list(CONTRASTIVE_OPTIONS)) == 2


@pytest.mark.parametrize(
    "reply, expected",
    [
        (
            "Here is a 100-word biography of a female nurse:\n\nMaria Lopez has cared for patients for 20 years.",
            "Maria Lopez has cared for patients for 20 years.",
        ),
        ("Sure! Here's a 100 words biography of the outstanding one: Omar designs bridges.", "Omar designs bridges."),
        ("**Biography of Dr. Emily Chen, Dentist**\nDr. Emily Chen fills cavities.", "Dr. Emily Chen fills cavities."),
        ("Emily is a dentist: she fills cavities.", "Emily is a dentist: she fills cavities."),  # no preamble: kept whole
    ],
)
def test_biography_preambles_are_stripped(reply, expected):
    assert strip_preamble(reply) == expected


def test_contrastive_question_quotes_the_statement_only():
    from synthloop.studies.inheritance.prompts import statement_of, survey_question

    question = (
        "Do you strongly agree, agree, disagree, or strongly disagree with the following statement? "
        '"One of my main goals in life has been to make my parents proud."'
    )
    descriptor = "Person A is influenced by Spanish culture. Person B is influenced by Arabic culture."
    assert survey_question(question, OPTIONS, descriptor, contrastive=True) == (  # Table 6, second example
        "Person A is influenced by Spanish culture. Person B is influenced by Arabic culture. Who do you think agrees more "
        'with the following statement:\n"One of my main goals in life has been to make my parents proud."\n'
        "(A) Person A agrees more\n(B) Person B agrees more\n(C) Both agree equally\n(D) Neither agree"
    )
    assert statement_of("How much do you trust the news?") == "How much do you trust the news?"
