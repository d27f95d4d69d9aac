"""The estimate as text: one row per rule, the totals, what start-up costs, and the calibration entries used."""

from __future__ import annotations

from tabulate import tabulate

# The config keys that cut per-job start-up, by rule (the keys are in schemas/); a kind's entry for its other rules.
LEVERS = {
    "score": "each score job imports torch and sentence-transformers, loads every embedder once and compiles UMAP for gaussianity "
    "(~20 s): scorers (drop gaussianity where it is not needed), embedders.<name>.batch_size; generate.eval_size sets the work "
    "that start-up is spread over",
    "finetune": "fewer, larger jobs (chains.clusters.n, chains.ratios, seeds); on SLURM a chain generation's finetune and generate are "
    "already one sbatch (group model_{chain}_g{gen}, rules/text_loop/chain.smk)",
    "generate": "generate.batch_size: auto (the largest batch that fits), generate.backend: vllm only where a job generates many tokens "
    "(its engine start is paid per job)",
    "inheritance": "augment.backend (vllm or openai), augment.batch_size, evaluation.batch_size; fewer arms: ratios, "
    "mitigations.methods, mitigations.bias_types, seeds",
    "image_loop": "one classify job already trains every classifier of a generation; fewer jobs: generators, ratios, seeds, generations",
}


def levers(kind: str, rule: str) -> str:
    return LEVERS.get(rule, LEVERS.get(kind, LEVERS["finetune"])) if kind == "text_loop" else LEVERS[kind]


def hours(value: float) -> str:
    return f"{value:,.1f}" if value >= 0.1 else f"{value:.2g}"


def size(value: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{value / 1e3:.0f} kB"


def table(estimate) -> str:
    rows = [
        [
            r.rule,
            f"{r.jobs:,}",
            hours(r.hours) if r.gpu else "",
            "" if r.gpu else hours(r.hours),
            f"{r.startup / r.seconds:.0%}" if r.seconds else "",
            "" if r.gpu_memory_gb is None else f"{r.gpu_memory_gb:,.1f}",
            size(r.disk_total),
        ]
        for r in estimate.rules
    ]
    rows.append(["total", f"{estimate.jobs:,}", hours(estimate.gpu_hours), hours(estimate.cpu_hours), "", "", size(estimate.disk_bytes)])
    header = ["rule", "jobs", "GPU-h", "CPU-h", "start-up", "GPU GB/job", "disk"]
    return tabulate(rows, header, colalign=("left", "right", "right", "right", "right", "right", "right"))


def summary(estimate) -> str:
    """Two lines: the totals and where the calibration came from (the console message before a large run)."""
    return (
        f"estimate for {estimate.study}: {estimate.jobs:,} jobs, {hours(estimate.gpu_hours)} GPU-hours ({estimate.device}), "
        f"{hours(estimate.cpu_hours)} CPU-hours, {size(estimate.disk_bytes)} written\n"
        f"  (python -m synthloop.estimate <config> for the rules and assumptions; calibration {estimate.calibration.origin})"
    )


def text(estimate) -> str:
    lines = [
        f"{estimate.study} ({estimate.kind}) on {estimate.device}, calibration {estimate.calibration.origin} "
        f"({estimate.calibration.data.get('date', 'undated')})",
        "",
        table(estimate),
        "",
    ]
    lines.append(
        "GPU-h: jobs that ask for a GPU (resources.<kind>.gpu); CPU-h: the others, one core each. start-up: the share of "
        "a rule's hours spent in imports, model loads and vLLM's engine start."
    )
    bound = estimate.startup_bound()
    for rule in bound:
        lines.append(
            f"Start-up dominates {rule.rule} ({rule.startup / rule.seconds:.0%} of its hours): {levers(estimate.kind, rule.rule)}."
        )
    for note in estimate.notes:
        lines.append(f"Note: {note}")
    if estimate.assumed:
        lines.append("Assumed (calibration `assumptions`): " + "; ".join(f"{k}: {v}" for k, v in estimate.assumed.items()))
    lines += ["", "Calibration entries used (tokens/s scaled by the entry's parameters / the model's):"]
    for entry in {id(e): e for e in estimate.entries}.values():
        lines.append(f"  {entry['device']} {entry['params'] / 1e6:,.1f} M parameters, {entry['source']}: {entry['basis']}")
    startup = estimate.calibration.startup
    imports = ", ".join(f"{kind} {s:g} s" for kind, s in startup["imports_s"].items())
    lines.append(
        f"Start-up per job: imports ({imports}), model load at {startup['model_load_gb_per_s']:g} GB/s, "
        f"vLLM engine {startup['vllm_engine_s']} s; queue waits are not counted."
    )
    return "\n".join(lines)
