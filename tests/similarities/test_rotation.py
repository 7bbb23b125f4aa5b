"""rotation='pca': funnel search on vectors that were not trained with levels."""
import numpy as np
import pytest

from w2vm.similarities import BaseIndex, BruteForceIndex, HNSWIndex, IVFFlatIndex
from w2vm.similarities.tuning import recall_at_k, suggest_params


@pytest.fixture(scope="module")
def spread():
    # Energy spread evenly over coordinates, then hidden by a random rotation:
    # a plain prefix is a poor summary, the leading principal axes a good one.
    from index_helpers import clustered
    x = clustered(2100, 64, n_clusters=200, spread=1.0, seed=9)
    x *= (0.85 ** np.arange(64))[None, :].astype(np.float32)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((64, 64)))
    x = (x @ q.T).astype(np.float32)
    return x[:2000], x[2000:]


def test_full_dimension_scores_unchanged(spread):
    base, queries = spread
    plain = BruteForceIndex().build(base).search(queries, 10)
    rot = BruteForceIndex(rotation="pca").build(base).search(queries, 10)
    assert recall_at_k(rot[0], plain[0]) >= 0.99      # only float near-ties may swap
    np.testing.assert_allclose(plain[1], rot[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", [BruteForceIndex, HNSWIndex, IVFFlatIndex])
def test_rotation_makes_the_funnel_work(cls, spread):
    base, queries = spread
    exact = BruteForceIndex().build(base).search(queries, 10)[0]
    r_plain = recall_at_k(cls().build(base, level=12).search(queries, 10)[0], exact)
    r_rot = recall_at_k(cls(rotation="pca").build(base, level=12).search(queries, 10)[0], exact)
    assert r_rot > r_plain + 0.15 and r_rot >= 0.9


def test_rotated_save_load_add_compact(spread, tmp_path):
    base, queries = spread
    index = HNSWIndex(rotation="pca", seed=0).build(base[:1500], level=16)
    index.add(base[1500:])
    index.save(tmp_path / "r")
    loaded = BaseIndex.load(tmp_path / "r", mmap="r")
    np.testing.assert_array_equal(loaded.search(queries, 10)[0], index.search(queries, 10)[0])
    index.remove(np.arange(0, 2000, 2))
    index.compact()
    exact = BruteForceIndex().build(base[1::2], ids=np.arange(1, 2000, 2)).search(queries, 10)[0]
    assert recall_at_k(index.search(queries, 10)[0], exact) >= 0.8
    np.save(tmp_path / "v.npy", base)
    with pytest.raises(ValueError):
        BruteForceIndex(rotation="pca").build(base).save(tmp_path / "x", vectors_file=tmp_path / "v.npy")
    with pytest.raises(ValueError):
        index.search(queries[:, :16])          # prefixes cannot be rotated
    with pytest.raises(ValueError):
        HNSWIndex(rotation="svd")
    out = suggest_params(index, k=10, target_recall=0.8, n_queries=40)
    assert out["params"] is not None
