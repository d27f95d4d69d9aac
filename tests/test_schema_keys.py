"""Every key in the schema is read, or it is gone; every wildcard constraint names a wildcard its kind uses.

Keys: each kind's merged schema (core.config.schema_for) is walked, `$ref`s, `allOf`/`if`-`then`
branches, array items and the value schema of free-form mappings (user-chosen names such as scorers
or strategies, written `*` below, are not keys) included. A key counts as read when the code that
consumes configs (src/, rules/, scripts/, without the schema machinery and the validation modules:
checking a key is not using it) spells its name as a string literal, e.g. `config["chains"]["seed"]`,
`spec.get("selection")` or `f"{spec['path']}"`. The few other ways a key is read are listed below,
each with its reason, and checked against the code they name.

Wildcard constraints: a path pattern is a template (`path()` fills each field it is given), so a name
is a rule's wildcard only where a rule file writes `{name}` in a string of its own, e.g.
`path("train", chain="{chain}")` or `log("synthesize", "{chain}/g{gen}")`, not in a registered pattern.
"""

import ast
import importlib.util
import inspect
import io
import re
import tokenize
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, validation_error

from synthloop.core.config import KINDS, read_yaml, schema_for

CONSUMERS = [p for d in ("src", "rules", "scripts") for p in sorted((ROOT / d).rglob("*")) if p.suffix in (".py", ".smk")]
NOT_CONSUMERS = {ROOT / "src/synthloop/core/config.py", *(ROOT / "src/synthloop/studies").glob("*/validate.py")}

# Keys whose name the code builds instead of spelling it: name -> (file, the lines that build it).
BUILT_NAMES = {
    **dict.fromkeys(
        ("profession_values", "gender_values"),
        ("src/synthloop/studies/inheritance/realset.py", ('for role in ("profession", "gender"):', 'spec.get(f"{role}_values")')),
    ),
    **dict.fromkeys(
        ("title_column", "group_column"),
        ("src/synthloop/data/documents.py", ('for optional in ("title", "group"):', 'spec[f"{optional}_column"]')),
    ),
    **dict.fromkeys(
        ("max_train_per_class", "max_test_per_class"),
        ("src/synthloop/data/images.py", ('for part in ("train", "test"):', 'spec.get(f"max_{part}_per_class")')),
    ),
}


def theory_parameters(path: tuple) -> set:
    """theory.<toy> is passed as **params to the toy's simulation (analysis.theory.run_toy)."""
    from synthloop.analysis.theory import TOYS

    return set(inspect.signature(TOYS[path[1]][0]).parameters)


@cache
def slurm_plugin_names() -> set | None:
    spec = importlib.util.find_spec("snakemake_executor_plugin_slurm")
    return None if spec is None else string_literals(*Path(spec.origin).parent.glob("*.py"))


def resource_names(path: tuple) -> set | None:
    """resources.<job kind> is passed whole to Snakemake (`resources: **resources_for(kind)` in every rule):
    Snakemake and the SLURM executor plugin read its keys. With the plugin installed, each must be one it reads."""
    names = slurm_plugin_names()
    return None if names is None else names | {"mem_mb", "runtime", "cpus_per_task"}


# Blocks handed whole to other code that reads their keys by name: key-path pattern -> the names it reads (None: any).
PASSED_WHOLE = {"theory.*.*": theory_parameters, "resources.*.*": resource_names}


def key_paths(node: dict, root: dict, path: tuple = ()):
    """(path, name) of every key under `node`; `*` stands for a name the user chooses, `[]` for an array item."""
    if "$ref" in node:
        yield from key_paths(root["$defs"][node["$ref"].rsplit("/", 1)[-1]], root, path)
    for name, sub in node.get("properties", {}).items():
        yield (*path, name), name
        yield from key_paths(sub, root, (*path, name))
    for word, step in (("additionalProperties", "*"), ("items", "[]")):
        if isinstance(node.get(word), dict):
            yield from key_paths(node[word], root, (*path, step))
    for branch in (*node.get("allOf", ()), *node.get("anyOf", ()), *node.get("oneOf", ()), node.get("then"), node.get("else")):
        if isinstance(branch, dict):
            yield from key_paths(branch, root, path)


def dotted(path: tuple) -> str:
    return ".".join(path).replace(".[]", "[]")


def tokens(file: Path) -> list:
    return list(tokenize.generate_tokens(io.StringIO(file.read_text(encoding="utf-8")).readline))


def is_fstring(token: str) -> bool:
    return "f" in re.match(r"[A-Za-z]*", token).group().lower()


def string_literals(*files: Path) -> set:
    """Every plain string literal's value, and every quoted word inside an f-string (`f"{spec['path']}"`)."""
    found = set()
    for file in files:
        for token in tokens(file):
            if token.type != tokenize.STRING:
                continue
            if is_fstring(token.string):
                found.update(m.group(2) for m in re.finditer(r"(['\"])(\w+)\1", token.string))
            elif isinstance(value := ast.literal_eval(token.string), str):
                found.add(value)
    return found


@cache
def read_names() -> set:
    return string_literals(*(p for p in CONSUMERS if p not in NOT_CONSUMERS))


def schema_keys() -> list[tuple[str, tuple, str]]:
    schemas = {kind: schema_for(kind) for kind in KINDS}
    return [(kind, path, name) for kind, schema in schemas.items() for path, name in key_paths(schema, schema)]


def is_read(path: tuple, name: str) -> bool:
    if name in read_names() or name in BUILT_NAMES:
        return True
    for pattern, names_of in PASSED_WHOLE.items():
        if fnmatch(".".join(path), pattern):
            names = names_of(path)
            return names is None or name in names
    return False


def test_every_schema_key_is_read():
    unread = sorted({f"{dotted(path)} ({kind})" for kind, path, name in schema_keys() if not is_read(path, name)})
    assert not unread, "schema keys no code reads (read them, or remove them from the schema and the presets): " + ", ".join(unread)


def test_the_keys_read_in_other_ways_are_still_read_that_way():
    for name, (file, lines) in BUILT_NAMES.items():
        text = (ROOT / file).read_text(encoding="utf-8")
        assert all(line in text for line in lines), f"{name}: {file} no longer builds it with {lines}; update BUILT_NAMES"
    keys = schema_keys()
    assert set(BUILT_NAMES) <= {name for _, _, name in keys}, "BUILT_NAMES lists a name that is no longer a schema key"
    for pattern in PASSED_WHOLE:
        assert any(fnmatch(".".join(path), pattern) for _, path, _ in keys), f"PASSED_WHOLE: no schema key matches {pattern}"


def test_the_walk_finds_nested_conditional_and_free_form_keys():
    paths = {(kind, dotted(path)) for kind, path, _ in schema_keys()}
    assert ("inheritance", "data.gender.standin_per_group.train") in paths  # nested
    assert ("text_loop", "scorers.*.n_neighbors") in paths  # an if/then branch of a free-form mapping
    assert ("text_loop", "chains.branches[].from") in paths  # array items
    assert ("image_loop", "generator_params.dcgan.latent") in paths  # a $ref
    assert ("image_loop", "resources.finetune.slurm_partition") in paths  # the common part


def test_a_removed_key_is_refused_naming_it():
    config = read_yaml(ROOT / "presets/kovac2025-mini.yaml")
    message = validation_error(config, lambda c: c["chains"]["clusters"].update(umap_neighbors=[15]))
    assert "config key 'chains.clusters'" in message and "'umap_neighbors'" in message and "was removed" in message


def test_both_language_model_kinds_read_one_fine_tune_recipe():
    assert not [kind for kind in KINDS if "finetune" in read_yaml(ROOT / "schemas" / f"{kind}.schema.yaml").get("$defs", {})]
    assert schema_for("text_loop")["$defs"]["finetune"] == schema_for("inheritance")["$defs"]["finetune"]
    from synthloop.studies import validate

    recipe = validate({"study": "s", "kind": "inheritance", "seeds": [0], "train": {"gender": {"torch_compile": True}}})["train"]["gender"]
    assert recipe["torch_compile"] and (recipe["batch_size"], recipe["epochs"], recipe["lora"]["r"]) == (8, 3, 16)  # the kind's defaults
    message = validation_error({"study": "s", "kind": "inheritance", "seeds": [0]}, lambda c: c.update(train={"culture": {"epoch": 2}}))
    assert "config key 'train.culture'" in message and "'epoch'" in message


# -- wildcard constraints ----------------------------------------------------------------------


def rule_files(kind: str | None) -> list[Path]:
    """The rule files of one kind; None: those every kind includes."""
    return [ROOT / "rules/common.smk", ROOT / "rules/provenance.smk"] if kind is None else sorted((ROOT / "rules" / kind).glob("*.smk"))


def constraints_and_wildcards(file: Path) -> tuple[list[tuple[str, bool]], set]:
    """(name, whether it is file-wide) of each wildcard constraint, and the wildcards the file's own strings
    name: `{name}` (or `{name,regex}`) in a plain string, `{{name}}` in an f-string, outside registered
    patterns (register_paths(...), PATHS = {...}) and the constraints themselves."""
    constraints, wildcards, depth, skipped, block = [], set(), 0, None, None
    toks = tokens(file)
    for i, token in enumerate(toks):
        kind, text, after = token.type, token.string, [t.string for t in toks[i + 1 : i + 3]]
        if (
            kind == tokenize.NAME
            and skipped is None
            and (text == "register_paths" and after[:1] == ["("] or text == "PATHS" and after == ["=", "{"])
        ):
            skipped = depth
        elif kind == tokenize.NAME and text == "wildcard_constraints" and after[:1] == [":"]:
            block = (token.start[1], token.start[1] == 0)
        elif kind == tokenize.DEDENT and block and token.start[1] <= block[0]:
            block = None
        elif kind == tokenize.OP and text in ("(", "[", "{"):
            depth += 1
        elif kind == tokenize.OP and text in (")", "]", "}"):
            depth -= 1
            skipped = None if depth == skipped else skipped
        elif kind == tokenize.NAME and block and depth == 0 and after[:1] == ["="]:
            constraints.append((text, block[1]))
        elif kind == tokenize.STRING and skipped is None and block is None:
            pattern = r"\{\{([A-Za-z_]\w*)\}\}" if is_fstring(text) else r"\{([A-Za-z_]\w*)(?:,[^{}]*)?\}"
            wildcards.update(re.findall(pattern, text))
    return constraints, wildcards


def wildcards_of(kind: str) -> set:
    return set().union(*(constraints_and_wildcards(f)[1] for f in rule_files(kind) + rule_files(None)))


@pytest.mark.parametrize("kind", KINDS)
def test_every_wildcard_constraint_names_a_wildcard_of_its_kind(kind):
    used = wildcards_of(kind)
    unused = [f"{f.relative_to(ROOT)}: {name}" for f in rule_files(kind) for name, _ in constraints_and_wildcards(f)[0] if name not in used]
    assert not unused, f"wildcard constraints no {kind} rule's wildcard uses: {unused}"


def test_shared_wildcard_constraints_are_used_by_more_than_one_kind():
    for file in rule_files(None):
        for name, _ in constraints_and_wildcards(file)[0]:
            kinds = [kind for kind in KINDS if name in wildcards_of(kind)]
            assert len(kinds) > 1, (
                f"{file.relative_to(ROOT)}: the constraint on {name!r} applies to every kind but only {kinds} use it: move it to that kind's rules.smk"
            )


def test_the_wildcard_scan_sees_patterns_but_not_registered_templates():
    constraints, wildcards = constraints_and_wildcards(ROOT / "rules/image_loop/loop.smk")
    assert {"chain", "gen"} <= wildcards and not constraints
    _, wildcards = constraints_and_wildcards(ROOT / "rules/text_loop/rules.smk")
    assert "study" not in wildcards  # registered patterns only
    constraints, _ = constraints_and_wildcards(ROOT / "rules/text_loop/theory.smk")
    assert constraints == [("toy", False)]  # a rule's own block
