"""The calibration file: throughputs per device and model size, start-up seconds and the assumptions, checked on load.

A bad file is refused with the key that is wrong (as the study configs are), so a hand-edited calibration
cannot silently turn into a wrong estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from synthloop.core.config import ConfigError, key_path

SHIPPED = "calibration.yaml"
SOURCES = ("measured", "extrapolated")
TASKS = ("finetune_tokens_per_s", "generate_tokens_per_s", "vllm_tokens_per_s")

_number = {"type": "number", "exclusiveMinimum": 0}
SCHEMA = {
    "type": "object",
    "required": ["version", "entries", "devices", "startup", "assumptions", "models"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "date": {"type": "string"},
        "entries": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["device", "params", "finetune_tokens_per_s", "generate_tokens_per_s", "source", "basis"],
                "properties": {
                    "device": {"type": "string"},
                    "params": _number,
                    **{task: _number for task in TASKS},
                    "source": {"enum": list(SOURCES)},
                    "basis": {"type": "string", "minLength": 1},
                },
            },
        },
        "devices": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["memory_gb"],
                "properties": {"memory_gb": {"type": "number", "minimum": 0}},
            },
        },
        "startup": {
            "type": "object",
            "required": ["imports_s", "vllm_engine_s", "model_load_gb_per_s", "local_job_s"],
            "properties": {
                "imports_s": {
                    "type": "object",
                    "required": ["finetune", "lora", "generate", "score", "analysis"],
                    "additionalProperties": {"type": "number", "minimum": 0},
                },
                "vllm_engine_s": {"type": "number", "minimum": 0},
                "model_load_gb_per_s": _number,
                "local_job_s": {"type": "number", "minimum": 0},
            },
        },
        "assumptions": {"type": "object"},
        "models": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["params", "layers", "hidden"],
                "properties": {"params": _number, "layers": _number, "hidden": _number},
            },
        },
    },
}


@dataclass(frozen=True)
class Calibration:
    data: dict
    origin: str

    @property
    def startup(self) -> dict:
        return self.data["startup"]

    @property
    def assumptions(self) -> dict:
        return self.data["assumptions"]

    @property
    def models(self) -> dict:
        return self.data["models"]

    def devices(self) -> list[str]:
        return sorted({e["device"] for e in self.data["entries"]})

    def memory_gb(self, device: str) -> float:
        return self.data["devices"].get(device, {}).get("memory_gb", 0)

    def throughput(self, device: str, task: str, params: float) -> tuple[float, dict]:
        """Tokens/s of `task` for a model of `params` parameters on `device`, and the entry it came from: the
        entry nearest in log(params) that has the task, scaled by its params / params."""
        entries = [e for e in self.data["entries"] if e["device"] == device and task in e]
        if not entries:
            raise ConfigError(f"calibration {self.origin}: no entry for device {device!r} with {task}; devices: {self.devices()}")
        entry = min(entries, key=lambda e: abs(math.log(e["params"] / params)))
        return entry[task] * entry["params"] / params, entry


def check(data, origin: str) -> Calibration:
    """A calibration from parsed YAML, or ConfigError naming the first wrong key."""
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"calibration {origin}: key '{key_path(error.absolute_path)}': {error.message}")
    for i, entry in enumerate(data["entries"]):
        if entry["device"] not in data["devices"]:
            raise ConfigError(
                f"calibration {origin}: key 'entries[{i}].device': {entry['device']!r} is not under devices: {sorted(data['devices'])}"
            )
    return Calibration(data, origin)


@cache
def shipped() -> Calibration:
    text = resources.files("synthloop.estimate").joinpath(SHIPPED).read_text(encoding="utf-8")
    return check(yaml.safe_load(text), f"synthloop/estimate/{SHIPPED}")


def load(path: str | Path | None = None) -> Calibration:
    """The calibration at `path`, or the shipped one (None)."""
    if path is None:
        return shipped()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"calibration {str(path)!r}: {error}") from None
    return check(data, repr(str(path)))
