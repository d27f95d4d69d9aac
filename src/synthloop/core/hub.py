"""Hugging Face hub sources: a revision carried with its id, the configured sources of a study, and
the commit each one resolves to in the local cache (for the manifest).

A model source travels through the plan, the rules' params and a LoRA adapter's base record as one
string, so its pin travels with it: `id@revision` (hub ids and revisions never hold '@'; a local
path is never split). Every loader takes a `ModelRef`, which carries that source together with the
GGUF file inside it and the trust flag. Kept import-light: the plan and the workflow parse it on every SLURM job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MODEL_KEYS = ("source", "model", "tokenizer")  # config keys that may name a hub model


def pinned(source: str, revision: str | None) -> str:
    """`source@revision` for a hub id with a revision; anything else unchanged."""
    return f"{source}@{revision}" if revision and is_hub_id(source) else source


def split_pin(source: str) -> tuple[str, str | None]:
    """(id, revision) of `id@revision`; (source, None) for an unpinned id or any existing local path."""
    if "@" in source and not Path(source).exists():
        name, _, revision = source.rpartition("@")
        if is_hub_id(name) and revision:
            return name, revision
    return source, None


@dataclass(frozen=True)
class ModelRef:
    """One model as a loader needs it: source (hub id or local directory), revision, GGUF file, trust flag.

    Built once where a config entry names a model (`ModelRef.of`), so no call site can pass a source
    without its revision, its GGUF file or the study's trust flag. `trust_remote_code` None means the
    running job's study setting (core.jobs.trusts_remote_code): the one top-level flag.
    """

    source: str
    revision: str | None = None
    gguf_file: str | None = None
    trust_remote_code: bool | None = None

    @classmethod
    def of(cls, model: ModelRef | dict | str, trust_remote_code: bool | None = None, source_key: str = "source") -> ModelRef:
        """From a loader argument: a ModelRef as is, a config entry ({<source_key>, revision, gguf_file,
        trust_remote_code}), or a source string (`id@revision` split here)."""
        if isinstance(model, ModelRef):
            return model
        if isinstance(model, dict):
            entry = model
            source, revision = split_pin(str(entry[source_key]))
            trust = entry.get("trust_remote_code", trust_remote_code)
            return cls(source, entry.get("revision") or revision, entry.get("gguf_file"), None if trust is None else bool(trust))
        source, revision = split_pin(str(model))
        return cls(source, revision, None, trust_remote_code)

    @property
    def pinned(self) -> str:
        """`source@revision`: the string form that params and adapter records carry."""
        return pinned(self.source, self.revision)

    def trusted(self) -> bool:
        """The flag a loader passes on: this model's own, else the running job's study setting."""
        from synthloop.core.jobs import trusts_remote_code

        return trusts_remote_code() if self.trust_remote_code is None else self.trust_remote_code


def is_hub_id(source: str) -> bool:
    """'owner/name' that is not an existing local path (a missing local path looks the same and is reported as not cached)."""
    return bool(HUB_ID.match(source)) and not Path(source).exists()


def hub_sources(config: dict) -> list[dict]:
    """Every hub model and dataset a config names, with where (`key`) and the configured revision.

    Models: `source`, `model`, `tokenizer` values that are hub ids (with a `revision` beside them),
    and `base_models` entries (an id, or {source, revision}); datasets: `path` of a `source: hf` entry, or
    of an entry without `source` whose path has no file suffix (study 3 and 4 configs name hub data sets so).
    Names without a slash ('scratch', 'base', 'minilm', 'smollm2') are not hub ids.
    """
    found = []

    def add(key, repo, repo_type, revision):
        repo, pin = split_pin(repo)
        if is_hub_id(repo):
            found.append({"key": key, "repo": repo, "type": repo_type, "revision": revision or pin})

    def walk(node, key):
        if isinstance(node, dict):
            dataset = node.get("source") == "hf" or ("source" not in node and not Path(str(node.get("path"))).suffix)  # not a .csv file
            if dataset and isinstance(node.get("path"), str):
                add(f"{key}.path".lstrip("."), node["path"], "dataset", node.get("revision"))
            for name in MODEL_KEYS if node.get("backend") != "openai" else ():  # a served judge's model name is the server's
                if isinstance(node.get(name), str):
                    add(f"{key}.{name}".lstrip("."), node[name], "model", node.get("revision"))
            for name, value in node.items():
                if name == "base_models" and isinstance(value, list):
                    for i, entry in enumerate(value):
                        entry = entry if isinstance(entry, dict) else {"source": entry}
                        add(f"{key}.base_models[{i}]".lstrip("."), entry["source"], "model", entry.get("revision"))
                elif isinstance(value, (dict, list)):
                    walk(value, f"{key}.{name}")
        elif isinstance(node, list):
            for i, entry in enumerate(node):
                walk(entry, f"{key}[{i}]")

    walk(config, "")
    return found


def hub_cache() -> Path:
    """The hub cache this process uses: HF_HUB_CACHE, else $HF_HOME/hub (read now, not at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    return Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser() / "hub"


def cached_commit(repo: str, repo_type: str = "model", revision: str | None = None, cache_dir=None) -> str | None:
    """The commit hash `revision` (default: main) of `repo` resolves to in the local cache, or None if it is not there.

    The hub cache keeps refs/<branch or tag> files holding commit hashes and snapshots/<commit>/ folders
    (huggingface_hub's cache layout); a revision that is itself a cached commit is returned as is.
    """
    from huggingface_hub.file_download import repo_folder_name

    folder = Path(cache_dir or hub_cache()) / repo_folder_name(repo_id=repo, repo_type=repo_type)
    revision = revision or "main"
    if (folder / "snapshots" / revision).is_dir():
        return revision
    ref = folder / "refs" / revision
    if ref.is_file():
        commit = ref.read_text().strip()
        return commit if (folder / "snapshots" / commit).is_dir() else None
    return None


def resolved_sources(config: dict, cache_dir=None) -> list[dict]:
    """hub_sources with the cached commit of each (None: not in this machine's cache)."""
    return [{**s, "commit": cached_commit(s["repo"], s["type"], s["revision"], cache_dir)} for s in hub_sources(config)]
