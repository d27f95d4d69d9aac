"""Study configuration: the schema of each study kind, validation with messages that name the key, defaults.

The schema is one common part (`schemas/common.schema.yaml`) plus one part per study kind
(`schemas/<kind>.schema.yaml`); every default lives there. Checks that a schema cannot express
(names that refer to other entries) belong to each kind, in `synthloop.studies.<kind>.validate`.
"""

from __future__ import annotations

import copy
import difflib
from functools import cache
from pathlib import Path

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
KINDS = ("text_loop", "inheritance", "image_loop")
DEFAULT_KIND = "text_loop"  # a config without `kind` (every preset before study kinds existed)


# Keys a config may still set from before they were removed: the key path -> why it is gone.
REMOVED_KEYS = {
    "chains.clusters.umap_neighbors": "it was never read: the cluster job's UMAP projections are fixed, "
    "n_neighbors 15, 5 and 50 (synthloop.studies.text_loop.clusters.DEFAULT_PROJECTIONS)",
}


# Values renamed so that one thing has one name in every key: the old value -> the new one.
RENAMED_VALUES = {"transformers": "hf"}  # the local-model backend (generate, augment, the judge)


class ConfigError(ValueError):
    """A config value is wrong; the message names the key and what is allowed."""


def key_path(path) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    key = key_path(error.absolute_path)
    if error.validator == "enum" and isinstance(error.instance, str) and RENAMED_VALUES.get(error.instance) in error.validator_value:
        return f"config key '{key}': {error.instance!r} is now called {RENAMED_VALUES[error.instance]!r}; allowed values: {error.validator_value}"
    if error.validator == "enum":
        return f"config key '{key}': {error.instance!r} is not allowed; allowed values: {error.validator_value}"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        hints = [f"{name!r} (did you mean {close[0]!r}?)" for name in extra if (close := difflib.get_close_matches(name, allowed, n=1))]
        hints += [
            f"{name!r} was removed, delete it ({REMOVED_KEYS[removed]})" for name in extra if (removed := f"{key}.{name}") in REMOVED_KEYS
        ]
        hint = f"; {', '.join(hints)}" if hints else ""
        return f"config key '{key}': unknown key(s) {extra}{hint}; allowed keys: {allowed}"
    if error.validator == "type" and error.validator_value == "integer":
        return f"config key '{key}': {error.instance!r} is not an integer (write it without a decimal point)"
    return f"config key '{key}': {error.message}"


def _is_integer(checker, instance) -> bool:
    """2.0 is not an integer here: a generation count or seed must be written as one (JSON schema says it is)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _fill_defaults(validator, properties, instance, schema):
    """The jsonschema FAQ's default-filling validator: set each missing property's default, then validate."""
    if isinstance(instance, dict):
        for name, sub in properties.items():
            if "default" in sub:
                instance.setdefault(name, copy.deepcopy(sub["default"]))
    yield from jsonschema.Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)


_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
Strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)
Filling = jsonschema.validators.extend(Strict, {"properties": _fill_defaults})


@cache
def _load(name: str) -> dict:
    return yaml.safe_load((SCHEMAS / f"{name}.schema.yaml").read_text())


def schema_for(kind: str) -> dict:
    """The common schema with the kind's properties, required keys and definitions merged in."""
    common, part = copy.deepcopy(_load("common")), _load(kind)
    common["properties"].update(copy.deepcopy(part.get("properties", {})))
    common["required"] = [*common.get("required", []), *part.get("required", [])]
    common.setdefault("$defs", {}).update(copy.deepcopy(part.get("$defs", {})))
    return common


def kind_of(config: dict) -> str:
    kind = config.get("kind", DEFAULT_KIND)
    if kind not in KINDS:
        raise ConfigError(f"config key 'kind': {kind!r} is not allowed; allowed values: {list(KINDS)}")
    return kind


def validate_schema(config: dict, prepare=None) -> dict:
    """Validate against the kind's schema, then fill its defaults. Returns a new dict.

    `prepare(config)` runs between the two, for rules that must see the config before defaults
    (a lean partition inherits its source's instruction, not the generic default).
    """
    if not isinstance(config, dict):
        raise ConfigError(f"config: expected a mapping of keys, got {type(config).__name__}")
    config = copy.deepcopy(config)
    schema = schema_for(kind_of(config))
    errors = sorted(Strict(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        raise ConfigError(_describe(jsonschema.exceptions.best_match(errors)))
    if prepare:
        prepare(config)
    Filling(schema).validate(config)
    return config


def canonical(value):
    """`value` with every mapping's keys in sorted order, recursively; lists and tuples keep their order.

    Snakemake compares a job's params by their repr, so a dict param from a config whose keys are only
    reordered (e.g. written back by yaml.safe_dump) would re-run the job: the rules pass config mappings
    through this. Only for mappings looked up by key: an order that means something is a list.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return type(value)(canonical(v) for v in value)
    return value


def read_yaml(path: str | Path) -> dict:
    """A config file as data (safe_load: a config cannot construct Python objects)."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"config file {str(path)!r}: {error}") from None


def resource_defaults(kind: str) -> dict:
    """The schema's default resources for one kind of job (finetune, generate, score, analysis)."""
    return dict(_load("common")["properties"]["resources"]["properties"][kind]["default"])
