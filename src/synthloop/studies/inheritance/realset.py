"""The real biographies (D_o): BiasinBios through `datasets` or a file, or an offline stand-in built from templates.

The stand-in exists because no real biographies ship offline. Each one is three sentences about a
named person in one of the six professions: what they do at work, their training, and one
personal detail, with pronouns of their gender. Like BiasinBios' `hard_text` (the biography minus
its first sentence), it never names the profession itself, so classifying it takes the
activities, not the title. Train and test draw from disjoint sentence variants.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from synthloop.core.config import ConfigError
from synthloop.core.seeds import stable_seed

PRONOUNS = {"male": ("He", "his", "him"), "female": ("She", "her", "her")}

WORK = {
    "architect": [
        "{name} designs homes and public buildings at a {workplace}, turning site surveys into detailed drawings.",
        "{name} leads the design of a new library, from the first sketches to the construction documents.",
        "{name} works on sustainable housing projects and reviews blueprints with engineers and builders.",
        "{name} draws plans for schools and offices and visits each construction site every week.",
    ],
    "dentist": [
        "{name} treats patients at a {workplace}, filling cavities, fitting crowns and cleaning teeth.",
        "{name} performs root canals and extractions and teaches children how to brush and floss.",
        "{name} runs a practice that focuses on gum health, braces and preventive oral care.",
        "{name} examines x-rays of teeth and jaws and plans implants for patients who lost a tooth.",
    ],
    "nurse": [
        "{name} cares for patients on the night shift at a {workplace}, giving medication and checking vital signs.",
        "{name} works in the emergency ward, dressing wounds and supporting families of patients.",
        "{name} coordinates patient care on a surgical ward and trains new staff in infection control.",
        "{name} looks after newborns and their mothers in the maternity unit, around the clock.",
    ],
    "painter": [
        "{name} works in a {workplace}, making large oil paintings of landscapes and city streets.",
        "{name} paints portraits and abstract canvases that have been shown in several galleries.",
        "{name} mixes pigments by hand and is known for bold colours and thick brushwork.",
        "{name} exhibits watercolours of the sea and teaches an evening class on colour and light.",
    ],
    "professor": [
        "{name} teaches undergraduate courses at a {workplace} and supervises doctoral students.",
        "{name} leads a research group, publishes papers in academic journals and lectures on history.",
        "{name} holds a chair in chemistry, writes grant proposals and mentors young researchers.",
        "{name} gives lectures on economics, grades exams and serves on the faculty senate.",
    ],
    "software engineer": [
        "{name} writes code for web services at a {workplace} and reviews pull requests from the team.",
        "{name} builds mobile apps, fixes bugs and designs the databases behind them.",
        "{name} develops backend systems in Python and Java and automates testing and deployment.",
        "{name} works on machine learning infrastructure and maintains open source libraries.",
    ],
}
TRAINING = [
    "{subject} studied at a university abroad and has {years} years of experience.",
    "{subject} completed {possessive} degree in {year} and has worked in the field for {years} years.",
    "{subject} trained for several years before opening {possessive} own office.",
    "{subject} holds a master's degree and keeps up with the latest methods through courses.",
]
PERSONAL = [
    "In {possessive} free time {subject_lower} enjoys hiking with {possessive} family.",
    "Colleagues describe {object} as patient, careful and generous with {possessive} time.",
    "{subject} lives in the city with {possessive} two children and a dog.",
    "Outside work {subject_lower} plays the piano and volunteers at a local shelter.",
]


def _variants(sentences: list[str], split: str) -> list[str]:
    """Train uses the even-numbered variants, test the odd ones: no sentence appears in both."""
    return sentences[0::2] if split == "train" else sentences[1::2]


def standin_biography(profession: str, gender: str, name: str, workplace: str, rng: random.Random, split: str = "train") -> str:
    subject, possessive, obj = PRONOUNS[gender]
    values = {
        "name": name,
        "workplace": workplace,
        "subject": subject,
        "subject_lower": subject.lower(),
        "possessive": possessive,
        "object": obj,
        "years": rng.randint(3, 30),
        "year": rng.randint(1980, 2020),
    }
    parts = [rng.choice(_variants(WORK[profession], split)), rng.choice(_variants(TRAINING, split)), rng.choice(_variants(PERSONAL, split))]
    return " ".join(part.format(**values) for part in parts)


def standin_biographies(slots: dict, per_group: int, seed, split: str) -> pd.DataFrame:
    """`per_group` biographies for each profession x gender; names drawn across cultures."""
    rng = random.Random(stable_seed(seed, "standin", split))
    workplaces = dict(zip(slots["professions"], slots["workplaces"]))
    rows = []
    for profession in slots["professions"]:
        if profession not in WORK:
            raise ConfigError(
                f"config key 'slots.professions': the template stand-in has no biographies for {profession!r}; it has: {sorted(WORK)}"
            )
        for gender in slots["genders"]:
            if gender not in PRONOUNS:
                raise ConfigError(f"config key 'slots.genders': the template stand-in knows {sorted(PRONOUNS)}, not {gender!r}")
            for _ in range(per_group):
                culture = rng.choice(slots["cultures"])
                name = rng.choice(slots["names"][culture][gender])
                text = standin_biography(profession, gender, name, workplaces[profession], rng, split)
                rows.append({"text": text, "profession": profession, "gender": gender, "name": name, "culture": culture})
    return pd.DataFrame(rows)


def read_table(path: str, split: str | None = None) -> pd.DataFrame:
    """A local csv/tsv/parquet/json(l) file, or a Hugging Face dataset id (one split)."""
    local = Path(path)
    if local.exists():
        suffix = local.suffix.lower()
        if suffix == ".parquet":
            return pd.read_parquet(local)
        if suffix in (".jsonl", ".json"):
            return pd.read_json(local, lines=suffix == ".jsonl")
        return pd.read_csv(local, sep="\t" if suffix == ".tsv" else ",")
    from datasets import load_dataset

    return load_dataset(path, split=split).to_pandas()


def table_columns(path: str) -> list[str] | None:
    """Column names of a local table without reading its rows (None for a hub id: checked when loaded)."""
    local = Path(path)
    if not local.exists():
        return None
    if local.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(local).names)
    return (
        list(read_table(path).head(1).columns)
        if local.suffix.lower() in (".jsonl", ".json")
        else list(pd.read_csv(local, nrows=0, sep="\t" if local.suffix.lower() == ".tsv" else ",").columns)
    )


def require_columns(columns, wanted: dict, key: str) -> None:
    """Each configured column must exist; the error names the config key and the columns there are."""
    for role, column in wanted.items():
        if column not in columns:
            raise ConfigError(f"config key '{key}.columns.{role}': column {column!r} is not in the dataset; its columns: {sorted(columns)}")


def load_biographies(spec: dict, split: str, key: str = "data.gender") -> pd.DataFrame:
    """Columns text, profession, gender (names as in slots), from the configured dataset and split."""
    frame = read_table(spec["path"], spec["splits"][split])
    require_columns(frame.columns, spec["columns"], key)
    frame = frame.rename(columns={column: role for role, column in spec["columns"].items()})[list(spec["columns"])]
    for role in ("profession", "gender"):
        codes = spec.get(f"{role}_values") or {}
        if codes:
            inverse = {value: name for name, value in codes.items()}
            frame[role] = frame[role].map(inverse)
    return frame.dropna(subset=["profession", "gender"]).reset_index(drop=True)


def group_counts(total: int, groups: list, seed) -> dict:
    """`total` split over groups as evenly as possible; which groups get the remainder comes from the seed."""
    base, extra = divmod(total, len(groups))
    lucky = set(random.Random(stable_seed(seed, "remainder")).sample(range(len(groups)), extra))
    return {group: base + (i in lucky) for i, group in enumerate(groups)}


def balanced_sample(frame: pd.DataFrame, total: int, professions: list[str], genders: list[str], seed, key: str) -> pd.DataFrame:
    """`total` rows spread evenly over profession x gender (the paper's gender-balanced sets), seeded.

    Each group's rows are a prefix of one seeded shuffle, so arms of one seed that need fewer real
    examples (a higher ratio) train on a subset of those that need more.
    """
    groups = [(p, g) for p in professions for g in genders]
    parts = []
    for (profession, gender), n in group_counts(total, groups, seed).items():
        pool = frame[(frame["profession"] == profession) & (frame["gender"] == gender)]
        if len(pool) < n:
            raise ConfigError(f"config key '{key}': {n} biographies of {gender} {profession}s wanted, the data has {len(pool)}")
        parts.append(
            pool.sample(frac=1.0, random_state=stable_seed(seed, profession, gender) % 2**32).head(n)
        )  # nested: a smaller n is a prefix
    return pd.concat(parts).sample(frac=1.0, random_state=stable_seed(seed, "order") % 2**32).reset_index(drop=True)


def gender_real(spec: dict, slots: dict, evaluation: dict, seed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real training pool and the gender-balanced test sets (profession classification and salary, column `task`)."""
    if spec["source"] == "template":
        train = standin_biographies(slots, spec["standin_per_group"]["train"], seed, "train")
        test_pool = standin_biographies(slots, spec["standin_per_group"]["test"], seed, "test")
    else:
        train, test_pool = load_biographies(spec, "train"), load_biographies(spec, "test")
    n = len(slots["professions"])
    profession = balanced_sample(
        test_pool,
        evaluation["profession"]["per_profession"] * n,
        slots["professions"],
        slots["genders"],
        (seed, "profession"),
        "evaluation.profession.per_profession",
    )
    salary = balanced_sample(
        test_pool,
        evaluation["salary"]["per_profession"] * n,
        slots["professions"],
        slots["genders"],
        (seed, "salary"),
        "evaluation.salary.per_profession",
    )
    return train, pd.concat([profession.assign(task="profession"), salary.assign(task="salary")], ignore_index=True)
