"""One flag, the study's top-level trust_remote_code, reaches every model loader a job calls.

core.jobs.start records the study's flag for the job; the loaders (synthloop.lm.models, the scorers) take it
unless a caller says otherwise, so a call site that names no flag (generation, evaluation, embeddings, the
vLLM merge) cannot load remote code against the config, nor refuse a model the config trusts.
"""

from types import SimpleNamespace

import pytest

from synthloop.core import jobs
from synthloop.core.hub import ModelRef


class Loaded(Exception):
    """Raised by the stand-in from_pretrained with the flag it was given."""


def fake_job(trust):
    return SimpleNamespace(rule="generate", threads=1, log=[], resources={}, config={"trust_remote_code": trust})


@pytest.mark.parametrize("trust", [True, False])
def test_the_job_records_the_study_flag(trust, monkeypatch):
    monkeypatch.delenv(jobs.TRUST_ENV, raising=False)
    jobs.start(fake_job(trust))
    assert jobs.trusts_remote_code() is trust


@pytest.mark.parametrize("trust", [True, False])
def test_a_loader_called_without_a_flag_follows_the_study(trust, monkeypatch, tmp_path):
    import transformers

    from synthloop.lm.models import load_causal_lm, load_tokenizer

    def record(*args, **kwargs):
        raise Loaded(kwargs["trust_remote_code"])

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", record)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", record)
    monkeypatch.setenv(jobs.TRUST_ENV, "1" if trust else "0")
    for load in (load_causal_lm, load_tokenizer):
        with pytest.raises(Loaded) as seen:
            load(str(tmp_path))
        assert seen.value.args == (trust,)
    with pytest.raises(Loaded) as seen:  # an explicit flag still wins (a caller that must never trust)
        load_tokenizer(ModelRef(str(tmp_path), trust_remote_code=False))
    assert seen.value.args == (False,)


def test_outside_a_job_nothing_is_trusted(monkeypatch):
    monkeypatch.delenv(jobs.TRUST_ENV, raising=False)
    assert jobs.trusts_remote_code() is False
