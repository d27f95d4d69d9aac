"""The `verify` command's exit code and the manifest's contents, each checked against values taken
independently (git run here, importlib.metadata, hashlib over the config's JSON, the benchmark files)."""

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from importlib import metadata

from conftest import ROOT

from synthloop.core.provenance import digest_file, manifest, sha256, write_archive

BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path, seconds: float, cpu: float = 1.0, rss: float = 10.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def verify(archive, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthloop.core.provenance", "verify", str(archive)], cwd=cwd, capture_output=True, text=True
    )


def test_verify_exits_0_on_a_good_archive_and_1_on_a_tampered_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results" / "s").mkdir(parents=True)
    (tmp_path / "results" / "s" / "metrics.csv").write_text("a,b\n1,2\n")
    (tmp_path / "results" / "s" / "other.csv").write_text("x\n")
    write_archive(["results"], "good.tar.gz")
    good = verify("good.tar.gz", tmp_path)
    assert good.returncode == 0 and "good.tar.gz: OK" in good.stdout

    with tarfile.open("good.tar.gz") as tar, tarfile.open("bad.tar.gz", "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.endswith("metrics.csv"):
                data = b"a,b\n1,3\n"  # same size, different bytes
            out.addfile(member, io.BytesIO(data))
    digest_file("bad.tar.gz").write_text(
        f"{sha256('bad.tar.gz')}  bad.tar.gz\n"
    )  # the archive's own digest is current: only the member lies
    bad = verify("bad.tar.gz", tmp_path)
    assert bad.returncode == 1
    assert "results/s/metrics.csv: checksum mismatch" in bad.stdout and "1 problem(s)" in bad.stdout


def test_verify_without_an_archive_argument_is_a_usage_error(tmp_path):
    assert verify("", tmp_path).returncode != 0
    assert subprocess.run([sys.executable, "-m", "synthloop.core.provenance"], capture_output=True).returncode == 2


def test_manifest_contents_match_independent_sources(tmp_path):
    benchmarks = tmp_path / "benchmarks"
    bench(benchmarks / "finetune" / "a" / "g0.tsv", 2.5)
    bench(benchmarks / "finetune" / "a" / "g1.tsv", 1.25)
    bench(benchmarks / "score" / "a" / "g0.tsv", 0.5)
    config = {"study": "s", "seeds": [3, 4], "generations": 2, "nested": {"b": 1, "a": [1, 2]}}
    record = manifest(config, ROOT, benchmarks)
    assert record["study"] == "s" and record["seeds"] == [3, 4] and record["config"] == config
    assert record["config_sha256"] == hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    reordered = {"nested": {"a": [1, 2], "b": 1}, "generations": 2, "seeds": [3, 4], "study": "s"}
    assert manifest(reordered, ROOT, benchmarks)["config_sha256"] == record["config_sha256"]  # key order does not matter
    assert manifest({**config, "generations": 3}, ROOT, benchmarks)["config_sha256"] != record["config_sha256"]
    assert record["jobs"] == 3
    assert record["seconds_by_rule"] == {"finetune": 3.75, "score": 0.5}
    assert record["python"] == ".".join(map(str, sys.version_info[:3]))
    assert record["packages"]["torch"] == metadata.version("torch") and record["packages"]["pandas"] == metadata.version("pandas")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert record["git"]["commit"] == head
    json.dumps(record)  # the manifest rule writes it as JSON
