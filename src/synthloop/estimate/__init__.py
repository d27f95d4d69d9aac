"""What a study will cost before it runs: jobs, GPU-hours, CPU-hours, GPU memory and disk per rule.

    python -m synthloop.estimate presets/kovac2025-recursive-loops.yaml --gpu h100

Read from the config alone (the kind's plan counts the jobs; Snakemake's DAG is never built), so it answers in
seconds for the 1.46-million-job study 2. Throughputs and start-up seconds come from a calibration file
(`calibration.yaml` here, or one `bench/calibrate.py` wrote on your cluster). Nothing here imports torch:
rules/common.smk prints the estimate of a large study before it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthloop.estimate import costs, jobs
from synthloop.estimate.calibration import Calibration
from synthloop.estimate.calibration import load as load_calibration

GPU_HOURS_THRESHOLD = 1000
JOBS_THRESHOLD = 100_000
STARTUP_DOMINATES = 0.5  # the share of a rule's hours spent in start-up above which the output says so
DEVICES = ("h200", "h100", "a100")


@dataclass
class Estimate:
    study: str
    kind: str
    device: str
    calibration: Calibration
    rules: list[costs.RuleCost]
    notes: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    assumed: dict = field(default_factory=dict)

    @property
    def jobs(self) -> int:
        return sum(r.jobs for r in self.rules)

    @property
    def gpu_hours(self) -> float:
        return sum(r.hours for r in self.rules if r.gpu)

    @property
    def cpu_hours(self) -> float:
        return sum(r.hours for r in self.rules if not r.gpu)

    @property
    def disk_bytes(self) -> float:
        return sum(r.disk_total for r in self.rules)

    def above_threshold(self) -> bool:
        return self.gpu_hours > GPU_HOURS_THRESHOLD or self.jobs > JOBS_THRESHOLD

    def startup_bound(self) -> list[costs.RuleCost]:
        """The rules whose hours are mostly start-up (imports, model loads, vLLM's engine)."""
        return [r for r in self.rules if r.seconds and r.startup / r.seconds > STARTUP_DOMINATES and r.hours >= 0.01]

    def record(self) -> dict:
        """The estimate as data (the manifest's `estimate`)."""
        return {
            "device": self.device,
            "calibration": self.calibration.origin,
            "calibration_date": self.calibration.data.get("date"),
            "jobs": self.jobs,
            "gpu_hours": round(self.gpu_hours, 2),
            "cpu_hours": round(self.cpu_hours, 2),
            "disk_gb": round(self.disk_bytes / 1e9, 3),
            "rules": {
                r.rule: {
                    "jobs": r.jobs,
                    "gpu": r.gpu,
                    "hours": round(r.hours, 3),
                    "startup_share": round(r.startup / r.seconds, 3) if r.seconds else 0,
                    "gpu_memory_gb": r.gpu_memory_gb,
                    "disk_gb": round(r.disk_total / 1e9, 3),
                }
                for r in self.rules
            },
            "assumed": self.assumed,
            "notes": self.notes,
        }


def estimate(config: dict, device: str = "h200", calibration: Calibration | None = None) -> Estimate:
    """The estimate of a validated config (synthloop.studies.validate) on GPUs of kind `device`."""
    calibration = calibration or load_calibration()
    model = costs.Model(config, device, calibration)
    rules = costs.COSTERS[config["kind"]](model, jobs.counts(config))
    for rule in rules:
        model.notes.extend(f"{rule.rule}: {note}" for note in rule.notes)
    return Estimate(config["study"], config["kind"], device, calibration, rules, model.notes, list(model.used.values()), model.assumed)


def announce(config: dict) -> str | None:
    """The console message before a run: the estimate's totals when the study is above a threshold
    (GPU_HOURS_THRESHOLD GPU-hours or JOBS_THRESHOLD jobs), else None."""
    from synthloop.estimate.report import summary

    try:
        result = estimate(config)
    except Exception as error:  # noqa: BLE001 -- an estimate must never stop a run
        return f"synthloop.estimate: no estimate for this config ({type(error).__name__}: {error})"
    if not result.above_threshold():
        return None
    return (
        f"{summary(result)}\n  above the threshold of {GPU_HOURS_THRESHOLD:,} GPU-hours or {JOBS_THRESHOLD:,} jobs: "
        "check the estimate before submitting (docs/performance.md)"
    )


def recorded(config: dict) -> dict:
    """The estimate for the manifest; an estimate that fails (an unknown config shape) is recorded as its error, never raised:
    it must not stop a run."""
    try:
        return estimate(config).record()
    except Exception as error:  # noqa: BLE001 -- the manifest records why instead
        return {"error": f"{type(error).__name__}: {error}"}
