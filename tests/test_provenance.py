"""Manifest and archive: checksums verify, and a tampered, missing or added file is detected."""

import json
import tarfile

from conftest import ROOT

from synthloop.core.provenance import job_timings, manifest, verify_archive, write_archive


def results_tree(root):
    (root / "results" / "s" / "benchmarks" / "finetune" / "chain").mkdir(parents=True)
    (root / "results" / "s" / "metrics.csv").write_text("a,b\n1,2\n")
    (root / "results" / "s" / "benchmarks" / "finetune" / "chain" / "g0.tsv").write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n2.5\t0:00:02\t100\t1\t1\t1\t0\t0\t50\t1.5\n"
    )
    return root / "results" / "s"


def test_manifest_records_config_versions_commit_and_timings(tmp_path):
    results = results_tree(tmp_path)
    record = manifest({"study": "s", "seeds": [3]}, ROOT, results / "benchmarks")
    assert record["seeds"] == [3] and len(record["config_sha256"]) == 64
    assert record["packages"]["torch"] and record["packages"]["snakemake"]
    assert record["git"]["commit"] is None or len(record["git"]["commit"]) == 40
    assert record["seconds_by_rule"] == {"finetune": 2.5}
    json.dumps(record)
    timings = job_timings(results / "benchmarks")
    assert timings.to_dict("records") == [{"rule": "finetune", "job": "chain/g0", "seconds": 2.5, "cpu_seconds": 1.5, "max_rss_mb": 100.0}]


def test_archive_verifies_and_detects_tampering(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results_tree(tmp_path)
    assert write_archive(["results"], "a.tar.gz") == 2
    assert verify_archive("a.tar.gz") == []

    with tarfile.open("a.tar.gz") as tar:
        tar.extractall("x", filter="data")
    (tmp_path / "x" / "results" / "s" / "metrics.csv").write_text("a,b\n1,3\n")
    with tarfile.open("b.tar.gz", "w:gz") as tar:
        for name in ("SHA256SUMS", "results"):
            tar.add(tmp_path / "x" / name, arcname=name)
        tar.add(tmp_path / "x" / "SHA256SUMS", arcname="extra.txt")
    problems = verify_archive("b.tar.gz")
    assert "results/s/metrics.csv: checksum mismatch" in problems
    assert "extra.txt: not listed in SHA256SUMS" in problems


def test_missing_member_is_detected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results_tree(tmp_path)
    write_archive(["results"], "a.tar.gz")
    with tarfile.open("a.tar.gz") as tar, tarfile.open("c.tar.gz", "w:gz") as out:
        for member in tar.getmembers():
            if not member.name.endswith(".tsv"):
                out.addfile(member, tar.extractfile(member))
    assert verify_archive("c.tar.gz") == ["results/s/benchmarks/finetune/chain/g0.tsv: listed but missing"]
