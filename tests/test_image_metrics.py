"""Fairness metrics (Zhang et al., eqs. 1-5) on hand-made predictions whose values are worked out by hand here."""

import numpy as np
import pytest

from synthloop.scorers import fairness as f

# Two classes; subgroups A, B (both classes) and C (class 1 only). Correct: 7 of 10.
# class 0: A ok ok | B ok wrong          class 1: A ok wrong | B wrong ok | C ok ok
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
Y_PRED = np.array([0, 0, 0, 1, 1, 0, 0, 1, 1, 1])
GROUP = np.array(["A", "A", "B", "B", "A", "A", "B", "B", "C", "C"])
# Group rates pooled over classes: A 3/4 = 0.75, B 2/4 = 0.5, C 2/2 = 1.0


def test_group_rates_by_hand():
    rates = f.group_rates(Y_TRUE, Y_PRED, GROUP)
    assert rates.to_dict() == {"A": 0.75, "B": 0.5, "C": 1.0}


def test_meo_md_accuracy_by_hand():
    rates = [0.75, 0.5, 1.0]
    # pairs: |0.75-0.5| = 0.25, |0.75-1| = 0.25, |0.5-1| = 0.5 -> mean 1/3
    assert f.meo(rates) == pytest.approx(1 - 1 / 3)
    assert f.max_disparity(rates) == pytest.approx(0.5)
    assert f.accuracy(Y_TRUE, Y_PRED) == pytest.approx(0.7)


def test_di_uses_ordered_pairs():
    rates = [0.75, 0.5, 1.0]
    # ordered pairs |a/b - 1|: A/B 0.5, B/A 1/3, A/C 0.25, C/A 1/3, B/C 0.5, C/B 1.0 -> sum 35/12, mean 35/72
    assert f.disparate_impact(rates) == pytest.approx(1 - 35 / 72)
    # the unordered i < j reading (A/B, A/C, B/C) would give 1 - 1.25/3 = 0.5833: not what we compute
    assert f.disparate_impact(rates) != pytest.approx(1 - 1.25 / 3)
    # ordered pairs make DI independent of how the subgroups are numbered
    assert f.disparate_impact(rates[::-1]) == pytest.approx(f.disparate_impact(rates))


def test_meo_and_di_share_one_index_set_and_name_both_normalisers():
    # G = 3: the ordered pairs i != j are 6 terms; C(3, 2) = 3 is the printed normaliser.
    rates = [0.75, 0.5, 1.0]
    # MEO: |A-B| + |B-A| + |A-C| + |C-A| + |B-C| + |C-B| = 0.25 + 0.25 + 0.25 + 0.25 + 0.5 + 0.5 = 2.0
    assert f.meo(rates) == pytest.approx(1 - 2.0 / 6)
    assert f.meo(rates, "printed") == pytest.approx(1 - 2.0 / 3)
    # DI: the six ordered terms sum to 35/12 (above)
    assert f.disparate_impact(rates, "printed") == pytest.approx(1 - (35 / 12) / 3)
    # one index set for both: the printed value is 1 - twice the mean gap, for MEO and DI alike
    for metric in (f.meo, f.disparate_impact):
        assert 1 - metric(rates, "printed") == pytest.approx(2 * (1 - metric(rates)))
    # G = 2, rates 0 and 1: the printed normaliser takes MEO outside [0, 1]
    assert (f.meo([0.0, 1.0]), f.meo([0.0, 1.0], "printed")) == (0.0, -1.0)
    with pytest.raises(ValueError, match="unknown normaliser"):
        f.meo(rates, "unordered")


def test_di_undefined_with_a_zero_rate():
    assert np.isnan(f.disparate_impact([0.0, 0.5]))


def test_acc_k_by_hand():
    # class 0: A 1.0, B 0.5 -> [0.5, 1.0]; class 1: A 0.5, B 0.5, C 1.0 -> [0.5, 0.5, 1.0]
    # Acc(1) = (0.5 + 0.5) / 2; Acc(2) = (1.0 + 0.5) / 2; Acc(3) = 1.0 (class 1 only has a third subgroup)
    assert f.acc_k(Y_TRUE, Y_PRED, GROUP) == pytest.approx([0.5, 0.75, 1.0])


def test_fairness_metrics_together():
    out = f.fairness_metrics(Y_TRUE, Y_PRED, GROUP)
    assert out == pytest.approx(
        {
            "accuracy": 0.7,
            "meo": 2 / 3,
            "di": 1 - 35 / 72,
            "md": 0.5,
            "meo_printed": 1 / 3,
            "di_printed": 1 - 35 / 36,
            "acc_1": 0.5,
            "acc_2": 0.75,
            "acc_3": 1.0,
        }
    )


def test_perfect_classifier_is_fair():
    out = f.fairness_metrics(Y_TRUE, Y_TRUE, GROUP)
    assert (out["meo"], out["di"], out["md"]) == (1.0, 1.0, 0.0)


def test_subgroups_unique_to_a_class_pool_by_rank():
    # CIFAR-20/100: fine classes belong to one superclass; the paper's g in 1..G is the rank within the class
    y = np.array([0, 0, 1, 1])
    fine = np.array(["pear", "apple", "car", "bus"])
    assert list(f.groups_of(y, fine)) == [1, 0, 1, 0]
    assert list(f.groups_of(y, fine, "class_subgroup")) == ["0/pear", "0/apple", "1/car", "1/bus"]
    # fine_label ids arrive as strings: ranked as numbers (2 < 9 < 10), not as text ("10" < "2" < "9")
    assert list(f.groups_of(np.zeros(3, int), np.array(["10", "9", "2"]))) == [2, 1, 0]
    # colours are shared by classes: pooled by name
    assert list(f.groups_of(Y_TRUE, GROUP)) == list(GROUP)


def test_report_joins_subgroups_by_image_id_not_by_position():
    import pandas as pd

    from synthloop.studies.image_loop.report import collect

    test = pd.DataFrame({"image_id": [f"test-{i}" for i in range(10)], "label": Y_TRUE, "subgroup": GROUP})
    order = np.random.default_rng(0).permutation(10)  # predictions in another order than the test table
    predictions = pd.DataFrame(
        {"classifier": "mlp", "image_id": test["image_id"].to_numpy()[order], "label": Y_TRUE[order], "prediction": Y_PRED[order]}
    )
    key = {"chain": "dcgan-r0.5-s0", "generator": "dcgan", "ratio": 0.5, "seed": 0, "generation": 1}
    summary = {"fid": 3.0, "sampled": 5, "kept": 4, "queue_rows": 4, "train_rows": 14}
    metrics, fid, table1 = collect(
        [predictions], [key], test, {"enabled": True, "pooling": "subgroup"}, [summary], [key], "classifier lenet penultimate"
    )
    row = metrics.iloc[0]
    assert (row["classifier"], row["generation"], row["seed"]) == ("mlp", 1, 0)
    assert row["meo"] == pytest.approx(2 / 3) and row["di"] == pytest.approx(1 - 35 / 72) and row["acc_2"] == pytest.approx(0.75)
    assert fid.iloc[0]["fid"] == 3.0 and list(table1.columns) == ["generator", "ratio", "features", "g1"]
    assert table1.iloc[0]["features"] == "classifier lenet penultimate"  # the table says which features its FIDs are on
