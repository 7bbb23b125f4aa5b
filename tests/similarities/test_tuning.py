import pytest

from w2vm.similarities import HNSWIndex, IVFFlatIndex, measure_recall, suggest_params


def test_measure_recall(dataset):
    base, queries = dataset
    index = HNSWIndex(seed=0).build(base)
    res = measure_recall(index, queries, k=10, ef=64)
    assert res["recall"] >= 0.9 and res["qps"] > 0 and res["ef"] == 64


def test_suggest_params_reaches_target(dataset):
    base, queries = dataset
    index = IVFFlatIndex(n_lists=40, seed=0).build(base, level=24)
    out = suggest_params(index, queries, k=10, target_recall=0.9)
    assert out["params"] is not None and out["recall"] >= 0.9
    assert set(out["params"]) == {"n_probe", "shortlist_factor"}
    check = measure_recall(index, queries, 10, **out["params"])
    assert check["recall"] >= 0.9
    with pytest.raises(ValueError):
        suggest_params(index, queries, target_recall=1.5)


def test_suggest_params_on_a_sample_of_the_index(dataset):
    base, _ = dataset
    index = HNSWIndex(seed=0).build(base)
    out = suggest_params(index, k=10, target_recall=0.95, n_queries=50)
    assert out["params"]["ef"] >= 10 and out["recall"] >= 0.95
