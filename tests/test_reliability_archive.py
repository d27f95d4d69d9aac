"""Archives with --configfile, unsafe members, re-summed archives, restoring into a fresh clone."""

import gzip
import io
import os
import shutil
import subprocess
import tarfile
import time

import pytest
from conftest import ROOT

from synthloop.core.provenance import main, restore_archive, verify_archive, write_archive


def tree(root):
    (root / "results" / "s").mkdir(parents=True)
    (root / "results" / "s" / "metrics.csv").write_text("a,b\n1,2\n")


def add(tar, name, data=b"x", **fields):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.isfile() else None)


def test_a_config_given_by_absolute_path_outside_the_tree_archives_and_verifies(tmp_path, monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    (elsewhere / "preset.yaml").write_text("study: s\n")
    monkeypatch.chdir(work)
    tree(work)
    assert write_archive(["results", str(elsewhere / "preset.yaml"), str(work / "results" / "s" / "metrics.csv")], "a.tar.gz") == 3
    assert verify_archive("a.tar.gz", require_digest=True) == []
    with tarfile.open("a.tar.gz") as tar:
        assert "config/preset.yaml" in tar.getnames()


@pytest.mark.parametrize(
    "member",
    [
        dict(name="../escape.txt"),
        dict(name="/etc/evil"),
        dict(name="results/link", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
        dict(name="results/hard", type=tarfile.LNKTYPE, linkname="../../outside"),
    ],
)
def test_unsafe_members_are_reported_and_never_extracted(tmp_path, monkeypatch, member):
    monkeypatch.chdir(tmp_path)
    tree(tmp_path)
    write_archive(["results"], "a.tar.gz")
    with tarfile.open("a.tar.gz") as tar, tarfile.open("bad.tar.gz", "w:gz") as out:
        for m in tar.getmembers():
            out.addfile(m, tar.extractfile(m))
        name = member.pop("name")
        add(out, name, **member)
    assert any("unsafe member" in p and name.lstrip("/") in p for p in verify_archive("bad.tar.gz"))
    (tmp_path / "clone").mkdir()
    with pytest.raises(ValueError, match="does not verify"):
        restore_archive("bad.tar.gz", tmp_path / "clone")
    assert not (tmp_path / "escape.txt").exists() and list((tmp_path / "clone").iterdir()) == []


def test_a_member_rewritten_with_its_checksum_is_caught_by_the_archive_digest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    tree(tmp_path)
    write_archive(["results"], "a.tar.gz")
    forged = b"a,b\n1,999\n"
    import hashlib

    with tarfile.open("a.tar.gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open("a.tar.gz", "w:gz") as out:
        for m, data in members:
            if m.name == "SHA256SUMS":
                data = f"{hashlib.sha256(forged).hexdigest()}  results/s/metrics.csv\n".encode()
            elif m.name.endswith("metrics.csv"):
                data = forged
            m.size = len(data)
            out.addfile(m, io.BytesIO(data))
    problems = verify_archive("a.tar.gz")
    assert len(problems) == 1 and "SHA-256 differs from a.tar.gz.sha256" in problems[0]
    assert main(["verify", "a.tar.gz"]) == 1


def test_broken_archives_are_clear_problems_not_tracebacks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.tar.gz").write_bytes(b"not gzip at all")
    assert "not a readable .tar.gz archive" in verify_archive("plain.tar.gz")[0]
    with tarfile.open("nosums.tar.gz", "w:gz") as tar:
        add(tar, "results/x")
    assert verify_archive("nosums.tar.gz") == ["SHA256SUMS: missing from the archive"]
    with tarfile.open("garbled.tar.gz", "w:gz") as tar:
        add(tar, "SHA256SUMS", b"zzz results/x\n")
        add(tar, "results/x")
    assert verify_archive("garbled.tar.gz") == ["SHA256SUMS, line 1: garbled ('zzz results/x')"]
    (tmp_path / "trunc.tar.gz").write_bytes(gzip.compress(b"x" * 2000)[:30])
    assert "not a readable" in verify_archive("trunc.tar.gz")[0]
    assert main(["verify", "nosums.tar.gz"]) == 1  # and no .sha256 beside it
    assert "no nosums.tar.gz.sha256 beside it" in capsys.readouterr().out


SNAKEFILE = """
rule all:
    input: "results/s/b.txt"

rule a:
    input: "data.csv"
    output: "results/s/a.txt"
    shell: "cp {input} {output}"

rule b:
    input: "results/s/a.txt"
    output: "results/s/b.txt"
    shell: "cat {input} {input} > {output}"
"""


@pytest.mark.workflow
@pytest.mark.slow
def test_restoring_into_a_fresh_clone_finds_nothing_to_do(tmp_path):
    """A miniature workflow with the project's archive layout (results + .snakemake/metadata)."""
    snakemake, origin = str(ROOT / ".venv/bin/snakemake"), tmp_path / "origin"
    origin.mkdir()
    (origin / "Snakefile").write_text(SNAKEFILE)
    (origin / "data.csv").write_text("1,2\n")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=origin, check=True)
    subprocess.run([*git, "add", "Snakefile", "data.csv"], cwd=origin, check=True)
    subprocess.run([*git, "commit", "-qm", "w"], cwd=origin, check=True)
    subprocess.run([snakemake, "--cores", "1", "-q"], cwd=origin, check=True, capture_output=True)
    os.chdir(origin)
    try:
        write_archive(["results", ".snakemake/metadata"], tmp_path / "s.tar.gz")
    finally:
        os.chdir(ROOT)
    time.sleep(1.1)  # the clone's files are newer than the archived results, as after a later checkout
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp_path / "clone")], check=True)
    assert main(["restore", str(tmp_path / "s.tar.gz"), "--into", str(tmp_path / "clone")]) == 0
    dry = subprocess.run([snakemake, "-n", "--cores", "1"], cwd=tmp_path / "clone", capture_output=True, text=True)
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout
    assert (tmp_path / "clone" / "results" / "s" / "b.txt").read_text() == "1,2\n1,2\n"
    shutil.rmtree(tmp_path / "origin")


@pytest.mark.workflow
@pytest.mark.slow
def test_the_archive_rule_runs_on_a_preset_style_config(tmp_path):
    """`snakemake archive --configfile /abs/preset.yaml`: the manifest stands in for a finished study
    (only the archive rule may run), the config lives outside the working directory as a preset does."""
    (tmp_path / "presets").mkdir()
    shutil.copy(ROOT / "tests" / "configs" / "tiny.yaml", tmp_path / "presets" / "tiny.yaml")
    work = tmp_path / "work"
    (work / "results" / "tiny").mkdir(parents=True)
    (work / "results" / "tiny" / "manifest.json").write_text("{}")
    command = [
        str(ROOT / ".venv/bin/snakemake"),
        "-s",
        str(ROOT / "Snakefile"),
        "--cores",
        "1",
        "--configfile",
        str(tmp_path / "presets" / "tiny.yaml"),
        "--directory",
        str(work),
        "archive",
        "--allowed-rules",
        "archive",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    assert verify_archive(work / "archives" / "tiny.tar.gz", require_digest=True) == []
    with tarfile.open(work / "archives" / "tiny.tar.gz") as tar:
        assert {"config/tiny.yaml", "results/tiny/manifest.json"} <= set(tar.getnames())
