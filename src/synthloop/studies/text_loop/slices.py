"""Slices: a study too large for one DAG (the full study-2 design: 18,000 chains, ~1.44 million jobs) run
as a sequence of smaller workflows, each planned in minutes and a few GB on a login node.

A slice is the config with `slice: {dataset, ratio[, seed]}`: the plan keeps only the chains it selects
and its targets are those chains' texts and metrics tables (so their scores too) (shared data, clusters and scorer models are made by
the first slice that needs them and reused by the rest, in the same results/<study>/ tree). Once every
slice is done, `--analysis` runs the study-wide tables, figures and regressions with the chain rules
switched off (`--allowed-rules`), so the chains' files are read as inputs instead of being planned again.

    python -m synthloop.studies.text_loop.slices list presets/kovac2025-recursive-loops.yaml
    python -m synthloop.studies.text_loop.slices run presets/kovac2025-recursive-loops.yaml -- --profile profiles/slurm
    python -m synthloop.studies.text_loop.slices run presets/kovac2025-recursive-loops.yaml --slice twitter-r0.25 -- -n
    python -m synthloop.studies.text_loop.slices run presets/kovac2025-recursive-loops.yaml --analysis -- --profile profiles/slurm
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
from pathlib import Path

import yaml

from synthloop.core.config import ConfigError
from synthloop.studies.text_loop.chains import Chain, chains

KEYS = ("dataset", "ratio", "seed")  # what a slice may select on: Chain attributes
CHAIN_RULES = ("compose_training_set", "finetune", "generate", "score", "neuron_values", "chain_metrics")  # a chain's own jobs
JOBS_PER_GENERATION = 4  # compose, fine-tune, generate, score
JOBS_PER_CHAIN = 1  # its metrics table (chain_metrics)


def in_slice(chain: Chain, selection: dict | None) -> bool:
    """Whether the chain belongs to the slice (None: no slice, every chain)."""
    if not selection:
        return True
    if "dataset" in selection and chain.dataset != selection["dataset"]:
        return False
    if "ratio" in selection and (chain.ratio is None or not math.isclose(chain.ratio, selection["ratio"])):
        return False
    return "seed" not in selection or chain.seed == selection["seed"]


def check(config: dict) -> None:
    """A slice must select chains the study has; each key is checked against the values the chains take."""
    selection = config.get("slice")
    if not selection:
        return
    every = list(chains(config).values())
    for key, value in selection.items():
        allowed = sorted({getattr(c, key) for c in every if getattr(c, key) is not None})
        if not any(in_slice(c, {key: value}) for c in every):
            raise ConfigError(f"config key 'slice.{key}': {value!r} selects no chain; allowed: {allowed}")


def name(selection: dict) -> str:
    """twitter-r0.25 (-s3): the slice's part of its chains' ids."""
    parts = [
        selection.get("dataset"),
        None if "ratio" not in selection else f"r{selection['ratio']:g}",
        None if "seed" not in selection else f"s{selection['seed']}",
    ]
    return "-".join(p for p in parts if p is not None)


def slices(config: dict, by: tuple[str, ...] = ("dataset", "ratio")) -> list[tuple[dict, int]]:
    """Every slice of the study by the given keys, in chain order, with its number of chains."""
    counts: dict[tuple, int] = {}
    for chain in chains(config).values():
        key = tuple((k, getattr(chain, k)) for k in by if getattr(chain, k) is not None)
        counts[key] = counts.get(key, 0) + 1
    return [(dict(key), n) for key, n in counts.items()]


def load(configfile: Path) -> dict:
    """The validated study config (the workflow's own validation: the same errors before anything runs)."""
    from synthloop.studies import validate

    return validate(yaml.safe_load(Path(configfile).read_text()))


def slice_config(configfile: Path, selection: dict | None, out_dir: Path) -> Path:
    """The config file of one slice: the study's, as written, plus `slice:` (None: the whole study)."""
    raw = yaml.safe_load(Path(configfile).read_text())
    raw["slice"] = selection
    out = out_dir / f"{name(selection) if selection else 'analysis'}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(raw, sort_keys=False))
    return out


def snakemake_command(configfile: Path, extra: list[str], analysis: bool = False, rules: list[str] | None = None) -> list[str]:
    command = [sys.executable, "-m", "snakemake", "--configfile", str(configfile), *extra]
    if analysis:
        command += ["--allowed-rules", *[r for r in rules if r not in CHAIN_RULES]]
    return command


def workflow_rules(configfile: Path, extra: list[str]) -> list[str]:
    """The rule names the workflow defines for this config (`snakemake --list-rules`)."""
    listed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", str(configfile), "--list-rules", *extra],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.strip() for line in listed.splitlines() if line.strip() and not line.startswith(" ")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m synthloop.studies.text_loop.slices",
        description=__doc__,
        epilog="-- ARGS: passed to every snakemake run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["list", "run"])
    parser.add_argument("configfile", type=Path)
    parser.add_argument("--by", default="dataset,ratio", help="slice keys, comma-separated, from: " + ", ".join(KEYS))
    parser.add_argument("--slice", action="append", help="run only this slice (a name from `list`); repeatable")
    parser.add_argument("--analysis", action="store_true", help="run the study-wide analyses over every slice's chains")
    parser.add_argument("--dir", type=Path, default=Path(".slices"), help="where the slice configs are written")
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args, extra = parser.parse_args(argv[:cut]), argv[cut + 1 :]  # after --: arguments for every snakemake run
    by = tuple(k for k in args.by.split(",") if k)
    if set(by) - set(KEYS):
        parser.error(f"--by: unknown key(s) {sorted(set(by) - set(KEYS))}; allowed: {list(KEYS)}")
    config = load(args.configfile)
    generations, study = config["generations"], config["study"]
    found = slices(config, by)
    if args.command == "list":
        print(f"{study}: {sum(n for _, n in found)} chains x {generations} generations in {len(found)} slices by {', '.join(by)}")
        for selection, n in found:
            print(
                f"{name(selection):<28} {n:>6} chains {n * (generations * JOBS_PER_GENERATION + JOBS_PER_CHAIN):>9} chain jobs   slice: {selection}"
            )
        return 0
    out_dir = args.dir / study
    if args.analysis:
        configfile = slice_config(args.configfile, None, out_dir)
        return subprocess.run(snakemake_command(configfile, extra, True, workflow_rules(configfile, extra))).returncode
    wanted = [s for s, _ in found if not args.slice or name(s) in args.slice]
    unknown = set(args.slice or []) - {name(s) for s, _ in found}
    if unknown:
        parser.error(f"--slice: unknown {sorted(unknown)}; `list` names them")
    for i, selection in enumerate(wanted, start=1):
        print(f"slice {i}/{len(wanted)}: {name(selection)}", flush=True)
        code = subprocess.run(snakemake_command(slice_config(args.configfile, selection, out_dir), extra)).returncode
        if code:
            print(f"slice {name(selection)} failed (exit {code}); the slices before it are done, re-run to continue")
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
