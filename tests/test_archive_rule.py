"""The `archive` rule run for real on a copy of the session's tiny study: one job, and an archive whose
members are the results tree's files byte for byte, checked with tarfile and hashlib (not the project's
own verifier), plus the `.sha256` beside it and the `verify` command's exit code."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile

import pytest
from conftest import ROOT, copy_study, jobs_in

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def test_the_archive_rule_packs_every_result_file_and_verifies(tiny_study, tmp_path):
    study = copy_study(tiny_study, tmp_path / "study")
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "archive",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "1",
        "--directory",
        str(study),
        "--configfile",
        str(study / "config.yaml"),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    ran = jobs_in(result.stdout + result.stderr)
    assert ran == ["archive"], result.stderr[-3000:]  # everything else was already made

    archive = study / "archives" / "tiny.tar.gz"
    digest = (study / "archives" / "tiny.tar.gz.sha256").read_text().split()[0]
    assert digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    results = {str(p.relative_to(study)): hashlib.sha256(p.read_bytes()).hexdigest() for p in (study / "results").rglob("*") if p.is_file()}
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        packed = {name: hashlib.sha256(tar.extractfile(m).read()).hexdigest() for name, m in members.items() if name.startswith("results/")}
        sums = dict(reversed(line.split(maxsplit=1)) for line in tar.extractfile(members["SHA256SUMS"]).read().decode().splitlines())
    assert packed == results  # every result file, unchanged, and nothing else under results/
    assert "config.yaml" in {name.rsplit("/", 1)[-1] for name in members}
    assert any(name.startswith(".snakemake/metadata/") for name in members)  # so a restored clone finds nothing to do
    assert {name: sums[name] for name in packed} == results

    verify = [sys.executable, "-m", "synthloop.core.provenance", "verify", str(archive)]
    assert subprocess.run(verify, capture_output=True, text=True).returncode == 0
    (study / "archives" / "tiny.tar.gz.sha256").write_text("0" * 64 + "  tiny.tar.gz\n")  # a digest that no longer matches
    assert subprocess.run(verify, capture_output=True, text=True).returncode == 1
