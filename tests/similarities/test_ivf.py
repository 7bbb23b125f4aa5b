import numpy as np
import pytest

from w2vm.similarities import BruteForceIndex, IVFFlatIndex
from w2vm.similarities.ivf import kmeans
from w2vm.similarities.tuning import exact_neighbors, recall_at_k


def test_all_probes_is_exact(dataset):
    base, queries = dataset
    index = IVFFlatIndex(n_lists=20, seed=0).build(base)
    ids, scores = index.search(queries, 10, n_probe=20)
    ref_ids, ref_scores = BruteForceIndex().build(base).search(queries, 10)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-6)


def test_lists_are_a_partition(dataset):
    base, _ = dataset
    index = IVFFlatIndex(n_lists=30, seed=0).build(base)
    assert index._offsets[-1] == 3000 and np.all(np.diff(index._offsets) >= 0)
    assert sorted(index._list_slots.tolist()) == list(range(3000))
    np.testing.assert_array_equal(index._list_data, index._data[index._list_slots])
    index.remove([0, 1, 2])
    assert index._offsets[-1] == 2997 and 0 not in index._list_slots


def test_more_probes_more_recall(dataset):
    base, queries = dataset
    index = IVFFlatIndex(n_lists=64, seed=0).build(base)
    ref = exact_neighbors(index, queries, 10)
    r = [recall_at_k(index.search(queries, 10, n_probe=p)[0], ref) for p in (1, 4, 16, 64)]
    assert r == sorted(r) and r[-1] == 1.0


def test_kmeans_finds_blobs():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((5, 8)) * 10
    x = (centres[rng.integers(5, size=1000)] + rng.standard_normal((1000, 8))).astype(np.float32)
    C = kmeans(x, 5, n_iter=10, metric="l2", seed=0)
    d = ((centres[:, None, :] - C[None]) ** 2).sum(-1)
    assert d.min(axis=1).max() < 1.0


@pytest.mark.parametrize("kw", [dict(n_lists=0), dict(n_probe=0), dict(n_iter=-1), dict(n_lists="8"),
                                dict(init="kmeans||")])
def test_bad_parameters(kw):
    with pytest.raises(ValueError):
        IVFFlatIndex(**kw)


def test_more_lists_than_points():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    index = IVFFlatIndex(n_lists=50).build(x)
    assert len(index._centroids) == 5
    assert index.search(x[0], 1)[0][0] == 0


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_inits_and_init_is_saved(init, dataset, tmp_path):
    base, queries = dataset
    index = IVFFlatIndex(n_lists=40, seed=0, init=init).build(base)
    ref = exact_neighbors(index, queries, 10)
    assert recall_at_k(index.search(queries, 10)[0], ref) >= 0.9
    index.save(tmp_path / "i")
    assert IVFFlatIndex.load(tmp_path / "i").init == init
