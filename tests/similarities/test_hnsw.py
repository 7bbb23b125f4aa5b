import numpy as np
import pytest

from w2vm.similarities import BaseIndex, HNSWIndex
from w2vm.similarities.tuning import exact_neighbors, recall_at_k


def test_graph_invariants(dataset):
    base, _ = dataset
    index = HNSWIndex(M=8, ef_construction=64, seed=3).build(base)
    links0 = index._links0
    assert links0.shape == (3000, 17)
    counts = links0[:, 0]
    assert counts.min() >= 1 and counts.max() <= 16
    for i in range(0, 3000, 97):
        nb = links0[i, 1:1 + counts[i]]
        assert i not in nb and len(set(nb)) == len(nb)
    entry, top = index._state
    assert index._levels[entry] == top == index._levels.max()
    # About 1/M of nodes reach level 1.
    assert 0.05 < (index._levels > 0).mean() < 0.25


def test_seeded_single_thread_build_is_deterministic(dataset):
    base, queries = dataset
    a = HNSWIndex(seed=7, n_threads=1).build(base[:1000])
    b = HNSWIndex(seed=7, n_threads=1).build(base[:1000])
    np.testing.assert_array_equal(a._links0, b._links0)
    np.testing.assert_array_equal(a._upper, b._upper)


def test_parallel_build_matches_serial_quality(dataset):
    base, queries = dataset
    serial = HNSWIndex(seed=1, n_threads=1).build(base)
    parallel = HNSWIndex(seed=1, n_threads=2).build(base)
    ref = exact_neighbors(serial, queries, 10)
    r1 = recall_at_k(serial.search(queries, 10)[0], ref)
    r2 = recall_at_k(parallel.search(queries, 10)[0], ref)
    assert r2 >= 0.9 and abs(r1 - r2) < 0.05


def test_ef_per_query_and_saved(dataset, tmp_path):
    base, queries = dataset
    index = HNSWIndex(M=4, ef_construction=20, ef=10, seed=0).build(base)
    ref = exact_neighbors(index, queries, 10)
    low = recall_at_k(index.search(queries, 10, ef=10)[0], ref)
    high = recall_at_k(index.search(queries, 10, ef=400)[0], ref)
    assert high > low and high >= 0.95
    index.ef = 123
    index.save(tmp_path / "h")
    loaded = HNSWIndex.load(tmp_path / "h")
    assert (loaded.ef, loaded.M, loaded.ef_construction) == (123, 4, 20)
    for bad in (0, -1, 1.5, "10"):
        with pytest.raises(ValueError):
            index.search(queries, 10, ef=bad)


@pytest.mark.parametrize("kw", [dict(M=1), dict(M=0), dict(ef_construction=0), dict(ef=0),
                                dict(M=2.5), dict(seed=-1), dict(n_threads=0)])
def test_bad_constructor_parameters(kw):
    with pytest.raises(ValueError):
        HNSWIndex(**kw)


def _corrupt(tmp_path, index, name, fn):
    index.save(tmp_path / name)
    path = tmp_path / f"{name}.{fn.__name__.split('_')[0]}.npy"
    arr = np.load(path)
    fn(arr)
    np.save(path, arr)
    with pytest.raises(ValueError):
        BaseIndex.load(tmp_path / name)


def test_corrupted_graph_is_refused(dataset, tmp_path):
    index = HNSWIndex(M=4, seed=0, n_threads=1).build(dataset[0][:400])
    flat_node = int(np.flatnonzero(index._levels == 0)[0])
    assert index._links0[5, 0] >= 1

    def links0_out_of_range(a):
        a[5, 1] = 10_000

    def links0_negative(a):
        a[5, 1] = -7

    def links0_count(a):
        a[3, 0] = 99

    def upper_link(a):
        big = np.flatnonzero(a > 0)
        a[big[-1]] = 123456

    def entry_bad(a):
        a[0] = flat_node

    def levels_bad(a):
        a[0] = 40

    for fn in (links0_out_of_range, links0_negative, links0_count, upper_link, entry_bad, levels_bad):
        _corrupt(tmp_path, index, fn.__name__, fn)


def test_upper_link_to_node_without_that_level_is_refused(dataset, tmp_path):
    index = HNSWIndex(M=4, seed=0).build(dataset[0][:400])
    index.save(tmp_path / "u")
    upper = np.load(tmp_path / "u.upper.npy")
    levels = np.load(tmp_path / "u.levels.npy")
    offs = np.load(tmp_path / "u.upper_off.npy")
    node = int(np.flatnonzero(levels > 0)[0])
    start = offs[node]
    assert upper[start] >= 1
    upper[start + 1] = int(np.flatnonzero(levels == 0)[0])   # a level-0-only node at level 1
    np.save(tmp_path / "u.upper.npy", upper)
    with pytest.raises(ValueError, match="without that level"):
        BaseIndex.load(tmp_path / "u")


def test_deleted_nodes_still_route(dataset):
    base, queries = dataset
    index = HNSWIndex(seed=0).build(base)
    index.remove(np.arange(0, 3000, 4))        # a quarter deleted, not compacted
    assert len(index._ids) == 3000
    ids, _ = index.search(queries, 10)
    assert not (ids % 4 == 0).any()
    ref = exact_neighbors(index, queries, 10)
    assert recall_at_k(ids, ref) >= 0.9


@pytest.mark.parametrize("cls_name", ["HNSWIndex", "LSHIndex"])
def test_visited_tags_wrap_around(cls_name):
    # The visited set is a uint16 generation counter per thread: more than
    # 65,535 searches through one pooled array must stay exact.
    import w2vm.similarities as sim
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    index = getattr(sim, cls_name)(seed=0, n_threads=1).build(x)
    q = np.repeat(x, 1100, axis=0)[:70_000]
    for _ in range(2):
        ids, _ = index.search(q, k=1)
        np.testing.assert_array_equal(ids[:, 0], np.repeat(np.arange(64), 1100)[:70_000])
