import numpy as np

from w2vm.similarities import BruteForceIndex


def test_matches_numpy(dataset):
    base, queries = dataset
    ids, scores = BruteForceIndex().build(base).search(queries, 7)
    bn = base / np.linalg.norm(base, axis=1, keepdims=True)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    sims = qn @ bn.T
    expect = np.argsort(-sims, axis=1)[:, :7]
    np.testing.assert_array_equal(ids, expect)
    np.testing.assert_allclose(scores, np.take_along_axis(sims, expect, 1), rtol=1e-5)


def test_prefix_queries_search_the_prefix(dataset):
    base, queries = dataset
    index = BruteForceIndex(index_level=16).build(base)
    ids, scores = index.search(queries[:, :16], 5)
    ref, _ = BruteForceIndex().build(np.ascontiguousarray(base[:, :16])).search(queries[:, :16], 5)
    np.testing.assert_array_equal(ids, ref)


def test_memory_mapped_vectors_are_not_copied(dataset, tmp_path):
    base, _ = dataset
    np.save(tmp_path / "v.npy", base)
    mm = np.load(tmp_path / "v.npy", mmap_mode="r")
    index = BruteForceIndex(metric="ip").build(mm)
    assert index._vectors is mm and index._data is mm
