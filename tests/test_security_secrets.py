"""The judge's key goes only where it should; one flag governs remote code."""

import pytest
import yaml
from conftest import TINY_CONFIG, validation_error

from synthloop.lm.vllm_backend import engine_arguments
from synthloop.scorers.judge import endpoint
from synthloop.studies import validate


@pytest.fixture
def tiny():
    return yaml.safe_load(TINY_CONFIG.read_text())


def judge(**spec):
    return {"kind": "llm_judge", "backend": "openai", "model": "m", **spec}


# -- the judge's key -------------------------------------------------------------------------------


def test_only_api_key_variables_are_read(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with pytest.raises(ValueError, match="'api_key_env'.*AWS_SECRET_ACCESS_KEY"):
        endpoint({"url": "https://api.example.com/v1", "api_key_env": "AWS_SECRET_ACCESS_KEY"})


def test_the_schema_refuses_other_key_variables(tiny):
    message = validation_error(tiny, lambda c: c["scorers"].update(j=judge(url="https://x.org/v1", api_key_env="HOME")))
    assert "scorers.j.api_key_env" in message


@pytest.mark.parametrize("url", ["http://api.example.com/v1", "http://10.0.0.5:8000/v1", "http://localhost.evil.com/v1"])
def test_a_key_is_never_sent_over_plain_http_to_another_machine(monkeypatch, url):
    monkeypatch.setenv("JUDGE_API_KEY", "secret")
    with pytest.raises(ValueError, match="plain http"):
        endpoint({"url": url, "api_key_env": "JUDGE_API_KEY"})


@pytest.mark.parametrize(
    "url", ["https://api.example.com/v1", "http://localhost:8000/v1", "http://127.0.0.1:8000/v1/", "http://[::1]:8000/v1"]
)
def test_a_key_goes_over_https_or_to_this_machine(monkeypatch, url):
    monkeypatch.setenv("JUDGE_API_KEY", "secret")
    target, headers = endpoint({"url": url, "api_key_env": "JUDGE_API_KEY"})
    assert headers == {"Authorization": "Bearer secret"} and target == url.rstrip("/") + "/chat/completions"


def test_without_a_key_plain_http_sends_no_authorization(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert endpoint({"url": "http://judge.cluster:8000/v1"}) == ("http://judge.cluster:8000/v1/chat/completions", {})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/v1", "api.example.com/v1"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(ValueError, match="'url'"):
        endpoint({"url": url})


# -- one flag for remote code ----------------------------------------------------------------------


def test_vllm_engine_cannot_switch_on_remote_code(tiny):
    message = validation_error(tiny, lambda c: c["generate"].update(vllm_engine={"trust_remote_code": True}))
    assert "generate.vllm_engine.trust_remote_code" in message
    with pytest.raises(ValueError, match="generate.vllm_engine"):
        engine_arguments("/m", False, 0, {"trust_remote_code": True})


def test_engine_arguments_keep_the_workflow_s_own_keys():
    arguments = engine_arguments("/m", True, 7, {"gpu_memory_utilization": 0.8})
    assert arguments == {"gpu_memory_utilization": 0.8, "model": "/m", "dtype": "bfloat16", "seed": 7, "trust_remote_code": False}
    with pytest.raises(ValueError, match="'seed'"):
        engine_arguments("/m", True, 7, {"seed": 1})


def test_a_scorer_cannot_trust_remote_code_behind_the_top_level_flag(tiny):
    message = validation_error(tiny, lambda c: c["scorers"].update(j=judge(url="https://x.org/v1", trust_remote_code=True)))
    assert "scorers.j.trust_remote_code" in message and "top-level" in message
    tiny["trust_remote_code"] = True
    tiny["scorers"]["j"] = judge(url="https://x.org/v1", trust_remote_code=True)
    assert validate(tiny)["scorers"]["j"]["trust_remote_code"] is True
