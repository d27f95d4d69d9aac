"""Eq. 6 (the conjecture of section 5) fitted to a bias series: the measured steps by hand, the fit on a series made from known coefficients."""

import numpy as np
import pandas as pd
import pytest

from synthloop.studies.image_loop import conjecture as cj


def test_steps_by_hand():
    # chain c: MD 0.2 (g0), 0.3 (g1), 0.15 (g2); FID of g1's samples 50, g2's 100 (the largest); entropies u 0.1 (g1), 0.4 (g2)
    metrics = pd.DataFrame(
        {"chain": "c", "classifier": "mlp", "generation": [0, 1, 2], "md": [0.2, 0.3, 0.15], "meo": [0.9, 0.8, 0.95], "di": [0.9, 0.9, 0.9]}
    )
    fid = pd.DataFrame({"chain": "c", "generation": [1, 2], "fid": [50.0, 100.0]})
    u = pd.DataFrame({"chain": "c", "generation": [1, 2], "u": [0.1, 0.4]})
    out = cj.steps(metrics, fid, u, "md", [])
    # step 0 -> 1 is driven by g1's samples: A = 0.3 / 0.2, 1 - q = 50/100; step 1 -> 2: A = 0.15 / 0.3, 1 - q = 1
    assert list(out["t"]) == [0, 1]
    assert list(out["A"]) == pytest.approx([1.5, 0.5]) and list(out["one_minus_q"]) == pytest.approx([0.5, 1.0])
    assert list(out["u"]) == pytest.approx([0.1, 0.4])
    # B = 1 - MEO: 0.1 -> 0.2 -> 0.05
    assert list(cj.steps(metrics, fid, u, "meo", [])["A"]) == pytest.approx([2.0, 0.25])


def series(a, b, c, noise, seed=0):
    """Four chains of generations 0..5 whose bias follows B(t+1) = (a + b (1 - q_t) + c u_t) B(t), exactly (noise 0) or
    with multiplicative noise; step t is driven by generation t + 1's samples."""
    rng = np.random.default_rng(seed)
    chains = [f"c{i}" for i in range(4)]
    fid = pd.DataFrame([{"chain": ch, "generation": g, "fid": rng.uniform(10, 100)} for ch in chains for g in range(1, 6)])
    u = fid[["chain", "generation"]].assign(u=rng.uniform(0, 0.5, len(fid)))
    one_minus_q = fid.set_index(["chain", "generation"])["fid"] / fid["fid"].max()
    rows = []
    for ch in chains:
        B = 0.2
        rows.append({"chain": ch, "classifier": "lenet", "generation": 0, "md": B})
        for g in range(1, 6):
            B *= (a + b * one_minus_q[(ch, g)] + c * u.set_index(["chain", "generation"])["u"][(ch, g)]) * (1 + noise * rng.normal())
            rows.append({"chain": ch, "classifier": "lenet", "generation": g, "md": B})
    return pd.DataFrame(rows), fid, u


def test_fit_recovers_known_coefficients_with_intervals():
    metrics, fid, u = series(0.9, 0.4, 0.6, noise=0.0)
    coefficients, amplification = cj.fit(cj.steps(metrics, fid, u, "md", []), [])
    estimates = coefficients.set_index("term")["estimate"].to_dict()
    assert estimates == pytest.approx({"const": 0.9, "one_minus_q": 0.4, "u": 0.6}, abs=1e-9)
    assert set(coefficients["n"]) == {20}  # 4 chains x 5 steps (t = 0..4, driven by generations 1..5)
    # with noise the intervals are wide enough to hold the truth and narrow enough to exclude 0 for a
    noisy, _ = cj.fit(cj.steps(*series(0.9, 0.4, 0.6, noise=0.02, seed=1), "md", []), [])
    a = noisy.set_index("term").loc["const"]
    assert a["low"] < 0.9 < a["high"] and a["low"] > 0
    # A_t per step: the fitted mean at that step's regressors, above or below 1
    assert list(amplification["t"]) == [0, 1, 2, 3, 4] and (amplification["low"] <= amplification["A"]).all()
    assert amplification["A"].to_numpy() == pytest.approx(amplification["measured"].to_numpy(), abs=1e-9)  # noise-free: exact


def test_without_filter_scores_the_u_term_is_left_out():
    metrics, fid, u = series(1.0, -0.3, 0.0, noise=0.0)
    coefficients, _ = cj.fit(cj.steps(metrics, fid, u.assign(u=0.0), "md", []), [])
    assert list(coefficients["term"]) == ["const", "one_minus_q"]
    assert coefficients["estimate"].to_numpy() == pytest.approx([1.0, -0.3], abs=1e-9)


def test_a_chain_without_synthetic_data_has_no_step_to_fit():
    """p = 0: no samples enter, so no FID (NaN) and no q_t; its steps leave the fit, the other chains' stay."""
    metrics, fid, u = series(0.9, 0.4, 0.6, noise=0.0)
    fid.loc[fid["chain"] == "c0", "fid"] = np.nan
    data = cj.steps(metrics, fid, u, "md", [])
    assert set(data["chain"]) == {"c1", "c2", "c3"}
    coefficients, _ = cj.fit(data, [])
    assert coefficients.set_index("term")["estimate"].to_dict() == pytest.approx({"const": 0.9, "one_minus_q": 0.4, "u": 0.6}, abs=1e-9)
