"""Metrics and baselines (w2vm.recall.metrics, w2vm.recall.baselines)."""
import numpy as np
import pytest

from w2vm.recall import Interactions, evaluate, format_table, popularity_recommend, random_recommend


def test_metrics_by_hand():
    labels = np.arange(10)
    test = Interactions([0, 0, 1], [1, 2, 9], [5, 5, 5], item_labels=labels, user_labels=np.arange(3))
    recs = np.array([[1, 3, 2, -1],     # user 0: hits at ranks 1 and 3 of 2 relevant
                     [4, 5, 6, 7],      # user 1: no hit
                     [0, 1, 2, 3]])     # user 2: no test items -> not evaluated
    m = evaluate(recs, test, ks=(1, 3), n_items=10)
    assert m["users"] == 2
    assert m["recall@1"] == pytest.approx(0.25)
    assert m["recall@3"] == pytest.approx(0.5)
    assert m["hit@3"] == pytest.approx(0.5)
    idcg = 1 + 1 / np.log2(3)
    assert m["ndcg@3"] == pytest.approx((1 + 1 / np.log2(4)) / idcg / 2)
    assert m["ndcg@1"] == pytest.approx(0.5)
    assert m["mrr"] == pytest.approx(0.5)
    assert m["coverage@1"] == pytest.approx(3 / 10)   # items 1, 4, 0
    table = format_table({"x": m})
    assert "recall@3" in table and "0.5000" in table


def test_metric_errors():
    test = Interactions([0], [0], [0])
    with pytest.raises(ValueError, match="ks must be"):
        evaluate(np.zeros((1, 2), int), test, ks=(5,))
    with pytest.raises(ValueError, match="2-d int"):
        evaluate(np.zeros(3), test)
    with pytest.raises(TypeError, match="Interactions"):
        evaluate(np.zeros((1, 2), int), "test")


def test_popularity_excludes_seen_in_rank_order():
    train = Interactions([0, 0, 1, 1, 2, 2, 2], [0, 1, 0, 2, 0, 1, 3], np.arange(7))
    items, scores = popularity_recommend(train, k=3)
    # counts: item 0: 3, item 1: 2, item 2: 1, item 3: 1
    assert items.tolist() == [[2, 3, -1], [1, 3, -1], [2, -1, -1]]
    assert scores[0, :2].tolist() == [1.0, 1.0]
    everything, _ = popularity_recommend(train, k=2, exclude_seen=False)
    assert everything.tolist() == [[0, 1]] * 3


def test_random_baseline_unseen_and_seeded(planted):
    a, _ = random_recommend(planted, k=20, seed=1)
    b, _ = random_recommend(planted, k=20, seed=1)
    np.testing.assert_array_equal(a, b)
    seen = set(zip(planted.users.tolist(), planted.items.tolist()))
    assert not any((u, i) in seen for u, row in enumerate(a.tolist()) for i in row)
    assert all(len(set(row)) == 20 for row in a.tolist())
