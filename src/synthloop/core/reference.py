"""The configuration reference, made from the schemas so that it cannot drift from what validation accepts.

`python -m synthloop.core.reference > docs/config-reference.md` (`make docs`) writes one table per study kind:
every key (dotted path; `<name>` for a user-chosen key, `[]` for a list's items), its type, its default and its
description. The schemas' `description`s are the one place where a key's meaning is written.
"""

import json

from synthloop.core.config import KINDS, _load, schema_for

HEADER = """# Configuration reference

Generated from `schemas/*.yaml` by `python -m synthloop.core.reference` (`make docs`); do not edit by hand.
Every study kind reads the keys of `schemas/common.schema.yaml` plus its own schema. A key path uses
`<name>` where the config chooses the key and `[]` for the items of a list. An empty default means the key
has none (required, or absent unless set).
"""


def _resolve(node: dict, defs: dict) -> dict:
    """A node with its `$ref` and `allOf` parts merged in (properties united), so a definition lists like an inline one."""
    parts = [_resolve(part, defs) for part in node.get("allOf", [])]
    if "$ref" in node:
        parts.append(_resolve(defs[node["$ref"].rsplit("/", 1)[-1]], defs))
    merged, props = {}, {}
    for part in [*parts, node]:
        merged.update({k: v for k, v in part.items() if k not in ("$ref", "allOf", "properties")})
        for key, node_of_key in part.get("properties", {}).items():  # allOf parts each add to a key (a default here, a type there)
            props[key] = {**props.get(key, {}), **node_of_key}
    if props:
        merged["properties"] = props
    return merged


def _type(node: dict, defs: dict) -> str:
    if "enum" in node:
        return " | ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    for combiner in ("oneOf", "anyOf"):
        if combiner in node:
            return " or ".join(_type(_resolve(n, defs), defs) for n in node[combiner])
    kind = node.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds and "items" in node:
        item = _resolve(node["items"], defs)
        kinds = [f"array of {_type(item, defs)}" if k == "array" else k for k in kinds]
    return " or ".join(kinds)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def rows(schema: dict, defs: dict, prefix: str = "", seen: tuple = ()) -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) for every key under an object schema, depth first in schema order."""
    out = []
    for key, raw in schema.get("properties", {}).items():
        node = _resolve(raw, defs)
        path = f"{prefix}{key}"
        default = json.dumps(node["default"]) if "default" in node else ""
        out.append((path, _type(node, defs), default, node.get("description", "")))
        out += _children(node, defs, path, seen)
    return out


def _children(node: dict, defs: dict, path: str, seen: tuple) -> list:
    ref = json.dumps(node, sort_keys=True, default=str)
    if ref in seen:  # a recursive definition lists once
        return []
    seen = (*seen, ref)
    out = []
    if "properties" in node:
        out += rows(node, defs, f"{path}.", seen)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        child = _resolve(extra, defs)
        if "properties" in child:
            out.append((f"{path}.<name>", _type(child, defs), "", child.get("description", "")))
            out += rows(child, defs, f"{path}.<name>.", seen)
    items = node.get("items")
    if isinstance(items, dict) and "properties" in _resolve(items, defs):
        out += rows(_resolve(items, defs), defs, f"{path}[].", seen)
    for combiner in ("oneOf", "anyOf"):
        for option in node.get(combiner, []):
            option = _resolve(option, defs)
            if "properties" in option:
                out += rows(option, defs, f"{path}.", seen)
    return out


def reference() -> str:
    """The whole Markdown page: the common keys once, then each kind's own."""
    common = set(_load("common")["properties"])
    parts = [HEADER]
    for n, kind in enumerate(KINDS):
        schema = schema_for(kind)
        table = rows(schema, schema.get("$defs", {}))
        top = [(row, row[0].split(".")[0].split("[")[0] in common) for row in table]
        if n == 0:
            parts.append(_table("Every kind (`schemas/common.schema.yaml`)", [row for row, shared in top if shared]))
        parts.append(_table(f"`kind: {kind}` (`schemas/{kind}.schema.yaml`)", [row for row, shared in top if not shared]))
    return "\n".join(parts)


def _table(title: str, table: list) -> str:
    lines = [f"## {title}", "", "| key | type | default | description |", "|---|---|---|---|"]
    lines += [
        f"| `{key}` | {_cell(kind)} | {'`' + _cell(default) + '`' if default else ''} | {_cell(text)} |"
        for key, kind, default, text in table
    ]
    return "\n".join(lines) + "\n"


def missing_descriptions() -> list[str]:
    """Keys whose meaning the schemas do not state, per kind."""
    found = []
    for kind in KINDS:
        schema = schema_for(kind)
        found += [f"{kind}: {key}" for key, _, _, text in rows(schema, schema.get("$defs", {})) if not text]
    return sorted(set(found))


if __name__ == "__main__":
    print(reference(), end="")
