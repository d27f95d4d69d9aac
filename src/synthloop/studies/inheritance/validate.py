"""What an inheritance config must satisfy beyond its schema; every error names the key, before any job starts."""

from __future__ import annotations

from synthloop.core.config import ConfigError
from synthloop.studies.base import check_job_count, check_local_model
from synthloop.studies.inheritance.mix import augmented_count
from synthloop.studies.inheritance.plan import arms
from synthloop.studies.inheritance.prompts import CULTURE_BIAS_TYPES, CULTURE_DESCRIPTORS, GENDER_TEMPLATES, base_slot, slots_of
from synthloop.studies.inheritance.realset import PRONOUNS, WORK, require_columns, table_columns

JOBS_PER_ARM = 3  # compose, fine-tune, evaluate; plus one augmentation set per (bias type, round) and seed
SLOT_LISTS = {  # a template slot -> the slots.* list it draws from
    "profession": "professions",
    "workplace": "workplaces",
    "age": "ages",
    "culture": "cultures",
    "gender_noun": "genders",
    "gender_adjective": "genders",
    "name": "names",
}


def check(config: dict) -> None:
    check_ratios(config)
    check_local_model("model.source", config["model"]["source"])
    every = arms(config).values()
    check_job_count(
        config,
        [("arms", len(every)), ("seeds", len(config["seeds"])), ("jobs per arm", JOBS_PER_ARM)],
        extra=len(config["seeds"]) * len({a.augment_key for a in every if a.ratio > 0}) + 10,
    )
    check_bias_types(config)
    check_template(config)
    check_slots(config)
    check_data(config)
    check_evaluation(config)
    if config["augment"]["backend"] == "openai":
        for key in ("url", "model"):
            if not config["augment"]["endpoint"][key]:
                raise ConfigError(f"config key 'augment.endpoint.{key}': required when augment.backend is 'openai'")
    check_scaling(config)


def check_template(config: dict) -> None:
    """The template backend (positive control) writes stand-in biographies only: gender, known professions and genders."""
    if config["augment"]["backend"] != "template":
        return
    if "culture" in config["biases"]:
        raise ConfigError(
            "config key 'augment.backend': 'template' writes gender biographies only; remove 'culture' from biases or use hf, vllm or openai"
        )
    slots = config["slots"]
    for key, values, known in (("slots.professions", slots["professions"], WORK), ("slots.genders", slots["genders"], PRONOUNS)):
        missing = [v for v in values if v not in known]
        if missing:
            raise ConfigError(f"config key '{key}': augment.backend 'template' has no biographies for {missing}; it has {sorted(known)}")
    for profession, gender in config["augment"]["template"]["stereotypes"].items():
        if profession not in slots["professions"]:
            raise ConfigError(
                f"config key 'augment.template.stereotypes.{profession}': not one of slots.professions {slots['professions']}"
            )
        if gender not in slots["genders"]:
            raise ConfigError(
                f"config key 'augment.template.stereotypes.{profession}': {gender!r} is not one of slots.genders {slots['genders']}"
            )
        if len(slots["genders"]) < 2:
            raise ConfigError("config key 'slots.genders': a planted skew needs at least two genders")


def check_scaling(config: dict) -> None:
    """Scaling generators: a plain model each (no GGUF conversion), an endpoint where they write through one, their
    professions' workplaces, stand-in texts or dataset codes, and a ratio that leaves real and augmented examples."""
    scaling = config["scaling"]
    for name, spec in scaling["generators"].items():
        key = f"scaling.generators.{name}"
        if not name.isalnum() or not name.isascii():
            raise ConfigError(f"config key '{key}': a scaling generator's name is letters and digits only (it ends its arms' names)")
        if spec["model"]["source"] == "smollm2" or spec["model"]["gguf_file"]:
            raise ConfigError(f"config key '{key}.model': a scaling learner is a hub id or a local model directory, not a GGUF file")
        check_local_model(f"{key}.model.source", spec["model"]["source"])
        if spec["backend"] == "openai":
            endpoint = {**config["augment"]["endpoint"], **spec["endpoint"]}
            for field in ("url", "model"):
                if not endpoint.get(field):
                    raise ConfigError(
                        f"config key '{key}.endpoint.{field}': required when its backend is 'openai' (or set augment.endpoint.{field})"
                    )
    if not scaling["generators"]:
        return
    if len(scaling["workplaces"]) != len(scaling["professions"]):
        raise ConfigError(
            f"config key 'scaling.workplaces': one per profession ({len(scaling['professions'])}), got {len(scaling['workplaces'])}"
        )
    if augmented_count(scaling["total"], scaling["ratio"]) in (0, scaling["total"]):
        raise ConfigError(f"config key 'scaling.ratio': {scaling['ratio']} of {scaling['total']} leaves no augmented or no real example")
    spec = config["data"]["gender"]
    if spec["source"] == "template":
        missing = [p for p in scaling["professions"] if p not in WORK]
        if missing:
            raise ConfigError(
                f"config key 'scaling.professions': the stand-in biographies have no texts for {missing} (they have {sorted(WORK)})"
            )
    elif spec["profession_values"]:
        missing = [p for p in scaling["professions"] if p not in spec["profession_values"]]
        if missing:
            raise ConfigError(f"config key 'data.gender.profession_values': no value for the scaling professions {missing}")


def check_ratios(config: dict) -> None:
    """Every ratio above 0 must give at least one augmented example (and leave one real one)."""
    used = [
        ("ratios", config["ratios"]),
        ("mitigations.ratios", config["mitigations"]["ratios"] or []),
        ("rounds.ratio", [config["rounds"]["ratio"]]),
    ]
    for bias in config["biases"]:
        total = config["total"][bias]
        for key, ratios in used:
            for i, ratio in enumerate(ratios):
                where = key if key == "rounds.ratio" else f"{key}[{i}]"
                count = augmented_count(total, ratio)
                if ratio > 0 and count == 0:
                    raise ConfigError(
                        f"config key '{where}': bias ratio {ratio} of total.{bias} = {total} examples is no augmented example at all"
                    )
                if count == total:
                    raise ConfigError(f"config key '{where}': bias ratio {ratio} of total.{bias} = {total} examples leaves no real example")
    if config["mitigations"]["methods"] and not [r for r in (config["mitigations"]["ratios"] or config["ratios"]) if r > 0]:
        raise ConfigError("config key 'mitigations.ratios': mitigations need a ratio above 0 (there is nothing to mitigate at 0)")


def check_bias_types(config: dict) -> None:
    if "culture" in config["biases"] and not set(config["bias_types"]) & set(CULTURE_BIAS_TYPES):
        raise ConfigError(f"config key 'bias_types': culture has no 'unbiased' type; add one of {list(CULTURE_BIAS_TYPES)}")
    spec = config["mitigations"]["bias_types"]
    for where, names in spec.items() if isinstance(spec, dict) else [(None, spec or [])]:
        for i, name in enumerate(names):
            key = f"mitigations.bias_types.{where}[{i}]" if where else f"mitigations.bias_types[{i}]"
            if name not in config["bias_types"]:
                raise ConfigError(f"config key '{key}': {name!r} is not in bias_types {config['bias_types']}")
    rounds = config["rounds"]
    if rounds["count"] > 1:
        if "gender" not in config["biases"]:
            raise ConfigError("config key 'rounds.count': multi-round augmentation is a gender-bias experiment; add 'gender' to biases")
        if rounds["ratio"] <= 0:
            raise ConfigError("config key 'rounds.ratio': multi-round augmentation needs a ratio above 0")
        if config["augment"]["backend"] == "openai":
            raise ConfigError(
                "config key 'augment.backend': 'openai' cannot write rounds after the first (they need the fine-tuned model); use hf or vllm"
            )


def templates_used(config: dict) -> dict[str, str]:
    """bias type -> template, for every bias and type the config runs (the rounds' type included)."""
    types = [*config["bias_types"], config["rounds"]["bias_type"]] if config["rounds"]["count"] > 1 else config["bias_types"]
    used = {}
    if "gender" in config["biases"]:
        used.update({f"gender {t}": GENDER_TEMPLATES[t] for t in types})
    if "culture" in config["biases"]:
        used.update({f"culture {t}": CULTURE_DESCRIPTORS[t] for t in types if t in CULTURE_DESCRIPTORS})
    return used


def check_slots(config: dict) -> None:
    """Every slot a used template fills has values; contrastive prompts need two different genders and cultures."""
    slots = config["slots"]
    for name, template in templates_used(config).items():
        for slot in sorted({base_slot(s) for s in slots_of(template)}):
            key = SLOT_LISTS[slot]
            if not slots[key]:
                raise ConfigError(f"config key 'slots.{key}': template slot [{slot}] of bias type {name!r} has no values")
            if name.split()[1].startswith("contrastive") and key in ("genders", "cultures") and len(slots[key]) < 2:
                raise ConfigError(f"config key 'slots.{key}': contrastive bias type {name!r} compares two people; give at least two values")
    if len(slots["workplaces"]) != len(slots["professions"]):
        raise ConfigError(
            f"config key 'slots.workplaces': one workplace per profession ({len(slots['professions'])}), got {len(slots['workplaces'])}"
        )
    for gender in slots["genders"]:
        if gender not in slots["gender_words"]:
            raise ConfigError(f"config key 'slots.gender_words': no noun and adjective for gender {gender!r}")
    for culture in slots["cultures"]:
        for gender in slots["genders"]:
            if not slots["names"].get(culture, {}).get(gender):
                raise ConfigError(
                    f"config key 'slots.names.{culture}.{gender}': template slot [name] has no values for {gender} {culture} names"
                )


def check_data(config: dict) -> None:
    if "gender" in config["biases"]:
        spec = config["data"]["gender"]
        if spec["source"] == "template":
            for i, profession in enumerate(config["slots"]["professions"]):
                if profession not in WORK:
                    raise ConfigError(
                        f"config key 'slots.professions[{i}]': the template stand-in has no biographies for {profession!r}; it has {sorted(WORK)}"
                    )
            for i, gender in enumerate(config["slots"]["genders"]):
                if gender not in PRONOUNS:
                    raise ConfigError(f"config key 'slots.genders[{i}]': the template stand-in writes {sorted(PRONOUNS)}, not {gender!r}")
        elif not spec["path"]:
            raise ConfigError(f"config key 'data.gender.path': required when data.gender.source is {spec['source']!r}")
        for role, wanted in (("profession", config["slots"]["professions"]), ("gender", config["slots"]["genders"])):
            codes = spec[f"{role}_values"]
            missing = [name for name in wanted if codes and name not in codes]
            if missing:
                raise ConfigError(f"config key 'data.gender.{role}_values': no value for {missing} (every slots.{role}s entry needs one)")
        if spec["source"] != "template" and spec["path"]:
            columns = table_columns(spec["path"])  # a local file is checked now; a hub dataset when it is loaded
            if columns is not None:
                require_columns(columns, spec["columns"], "data.gender")
    if "culture" in config["biases"]:
        spec = config["data"]["culture"]
        if spec is None:
            raise ConfigError("config key 'data.culture': required when biases include 'culture' (GlobalOpinionQA: path and countries)")
        for culture in config["slots"]["cultures"]:
            if not spec["countries"].get(culture):
                raise ConfigError(f"config key 'data.culture.countries.{culture}': no countries for culture {culture!r}")
        columns = table_columns(spec["path"])
        if columns is not None:
            require_columns(columns, spec["columns"], "data.culture")
        shown = config["analysis"]["embeddings"]["culture"]
        if shown is not None and shown not in config["slots"]["cultures"]:
            raise ConfigError(
                f"config key 'analysis.embeddings.culture': {shown!r} is not one of slots.cultures {config['slots']['cultures']}"
            )


def check_evaluation(config: dict) -> None:
    evaluation = config["evaluation"]
    for culture in config["train"]["per_culture_epochs"] or {}:
        if culture not in config["slots"]["cultures"]:
            raise ConfigError(f"config key 'train.per_culture_epochs.{culture}': not one of slots.cultures {config['slots']['cultures']}")
    if "culture" in config["biases"] and "culture_tasks" in evaluation["tasks"]["culture"] and not evaluation["culture_tasks"]:
        raise ConfigError("config key 'evaluation.culture_tasks': evaluation.tasks.culture lists culture_tasks but none are configured")
    for i, task in enumerate(evaluation["culture_tasks"]):
        if task["culture"] not in config["slots"]["cultures"]:
            raise ConfigError(
                f"config key 'evaluation.culture_tasks[{i}].culture': {task['culture']!r} is not one of slots.cultures {config['slots']['cultures']}"
            )
        if "{text}" not in task["prompt"]:
            raise ConfigError(f"config key 'evaluation.culture_tasks[{i}].prompt': must contain {{text}}")
        columns = table_columns(task["path"])
        if columns is not None:
            require_columns(columns, {"text": task["text_column"], "label": task["label_column"]}, f"evaluation.culture_tasks[{i}]")
