"""Sampled decoding is determined by the seed across processes: two fresh interpreters that run the
generate job's library call with do_sample (temperature 1.5, min_p 0.2, study 2's settings) write
byte-identical parquet files; another seed writes different texts."""

import json
import subprocess
import sys

import pandas as pd
from conftest import SENTENCES

JOB = """
import json, sys
import pandas as pd
from synthloop.lm.generation import load_generator
from synthloop.studies.text_loop.generate import generate_texts
source, texts, jobs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
params = {"mode": "blocks", "block_tokens": 8, "new_tokens": 10, "batch_size": 4, "do_sample": True, "temperature": 1.5, "min_p": 0.2}
prompts = pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts})
for seed, out in jobs:  # each as its own job would: load, then generate
    model, tokenizer, continuations = load_generator(source, params, seed)
    generate_texts(model, tokenizer, params, seed, 1, None, len(texts), prompts, continuations=continuations).to_parquet(out)
"""


def generate_in_a_fresh_process(tiny_lm, jobs: list[tuple[int, str]]) -> None:
    subprocess.run([sys.executable, "-c", JOB, str(tiny_lm), json.dumps(SENTENCES), json.dumps(jobs)], check=True)


def test_sampled_generation_files_are_byte_identical_for_one_seed_and_differ_for_another(tiny_lm, tmp_path):
    generate_in_a_fresh_process(tiny_lm, [(12, str(tmp_path / "c.parquet")), (11, str(tmp_path / "a.parquet"))])
    generate_in_a_fresh_process(tiny_lm, [(11, str(tmp_path / "b.parquet"))])  # another interpreter, no earlier sampling
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    texts, other_texts = pd.read_parquet(tmp_path / "a.parquet")["text"], pd.read_parquet(tmp_path / "c.parquet")["text"]
    assert len(texts) == len(SENTENCES) and texts.str.len().sum() > 50
    assert texts.tolist() != other_texts.tolist()  # the seed reaches the sampler (greedy would give the same texts)
