"""The contract every index class follows (one parametrised suite, as openTSNE's KNNIndex tests)."""
import json
import os
import threading

import numpy as np
import pytest

from w2vm.similarities import (BaseIndex, BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex)
from w2vm.similarities.tuning import exact_neighbors, recall_at_k

CLASSES = [BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex]


def make(cls, **kw):
    if cls is not BruteForceIndex:
        kw.setdefault("seed", 0)
    return cls(**kw)


class FakeKeyedVectors:
    """Duck-typed KeyedVectors: .vectors, .index_to_key and get_normed_vectors."""

    def __init__(self, vectors):
        self.vectors = vectors
        self.index_to_key = [f"w{i}" for i in range(len(vectors))]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}

    def get_normed_vectors(self, level=None):
        v = self.vectors[:, :level] if level else self.vectors
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def most_similar(self, key, topn=10, indexer=None):
        # The way gensim's KeyedVectors.most_similar hands over to an indexer.
        vec = self.get_normed_vectors()[self.key_to_index[key]]
        return indexer.most_similar(vec, topn)


@pytest.fixture(scope="module", params=CLASSES, ids=lambda c: c.__name__)
def built(request, dataset):
    base, queries = dataset
    return make(request.param).build(base), base, queries


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_is_an_index(cls):
    assert issubclass(cls, BaseIndex)


def test_recall_at_default_settings(built):
    index, base, queries = built
    ref = exact_neighbors(index, queries, 10)
    ids, scores = index.search(queries, k=10)
    assert ids.shape == scores.shape == (len(queries), 10)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert recall_at_k(ids, ref) >= 0.9
    assert np.all(np.diff(scores, axis=1) <= 1e-6), "scores must be sorted best first"


def test_single_query_and_scores_are_cosines(built):
    index, base, queries = built
    ids, scores = index.search(queries[0], k=5)
    assert ids.shape == (5,)
    qn = queries[0] / np.linalg.norm(queries[0])
    vn = base[ids] / np.linalg.norm(base[ids], axis=1, keepdims=True)
    np.testing.assert_allclose(scores, vn @ qn, rtol=1e-4, atol=1e-5)


def test_len_contains_and_ids(built):
    index, base, _ = built
    assert len(index) == len(base)
    assert 0 in index and len(base) - 1 in index and len(base) not in index
    assert "x" not in index


def test_most_similar_returns_keys_for_keyedvectors(dataset):
    base, _ = dataset
    for cls in CLASSES:
        kv = FakeKeyedVectors(base)
        index = make(cls).build(kv)
        result = kv.most_similar("w7", topn=4, indexer=index)
        assert len(result) == 4
        assert result[0][0] == "w7" and abs(result[0][1] - 1.0) < 1e-4
        assert all(isinstance(k, str) and isinstance(s, float) for k, s in result)
        # A plain array gives integer ids.
        plain = make(cls).build(base)
        assert plain.most_similar(base[7], 3)[0][0] == 7


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_add_remove_and_ids(cls, dataset):
    base, queries = dataset
    index = make(cls).build(base[:2000])
    new_ids = index.add(base[2000:], ids=np.arange(10_000, 11_000))
    assert len(index) == 3000 and 10_500 in index
    ids, _ = index.search(base[2500], k=1)
    assert ids[0] == 10_500
    # Default ids continue after the largest one.
    assert index.add(base[:2])[0] == 11_000
    index.remove([10_500, 11_000, 11_001])
    assert 10_500 not in index and len(index) == 2999
    found, _ = index.search(np.vstack([base[2500], queries]), k=10)
    assert 10_500 not in found
    with pytest.raises(KeyError):
        index.remove([10_500])
    with pytest.raises(ValueError):
        index.add(base[:1], ids=[5])          # id already present
    with pytest.raises(ValueError):
        index.add(base[:2], ids=[77_777, 77_777])
    assert new_ids[0] == 10_000


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_one_at_a_time_adds_grow_in_place(cls, dataset):
    # Adding single items must not copy the whole index each time: storage
    # grows geometrically, rows already there never move, and the result is
    # the same index as one built with everything.
    base, queries = dataset
    index = make(cls).build(base[:1000])
    held = index._vectors              # a reader's view from before the adds
    snapshot = held.copy()
    buffers = set()
    for i in range(1000, 1600):
        index.add(base[i:i + 1])
        buffers.add(index._vectors.ctypes.data)
    assert len(buffers) <= 8           # 600 adds, a handful of reallocations
    np.testing.assert_array_equal(held, snapshot)
    np.testing.assert_array_equal(index._vectors, base[:1600])
    assert len(index) == 1600 and list(index.ids) == list(range(1600))
    ids, _ = index.search(queries, k=10)
    full = BruteForceIndex().build(base[:1600])
    assert recall_at_k(ids, full.search(queries, k=10)[0]) >= 0.9


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_remove_many_then_compact(cls, dataset):
    base, queries = dataset
    index = make(cls).build(base)
    gone = np.arange(0, 3000, 2)
    index.remove(gone)
    index.compact()
    assert len(index) == 1500 and len(index._ids) == 1500
    ids, _ = index.search(queries, k=10)
    assert not np.isin(ids, gone).any()
    ref = exact_neighbors(index, queries, 10)
    assert recall_at_k(ids, ref) >= 0.9


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_filters(cls, dataset):
    base, queries = dataset
    index = make(cls).build(base)
    mask = np.zeros(len(base), bool)
    mask[::3] = True                       # a broad filter: the walk honours it natively
    ids, _ = index.search(queries, k=10, filter=mask)
    assert (ids % 3 == 0).all()
    ref = exact_neighbors(BruteForceIndex().build(base[::3], ids=np.arange(0, 3000, 3)), queries, 10)
    assert recall_at_k(ids, ref) >= 0.85
    few = {5, 17, 2999}                    # a selective filter: exact scan of the allowed rows
    ids, _ = index.search(queries[:3], k=10, filter=few)
    assert ids.shape == (3, 3) and set(ids[0]) == few
    ids, _ = index.search(queries[:2], k=5, filter=[])
    assert (ids == -1).all()


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("mmap", [None, "r"])
def test_save_load_roundtrip(cls, dataset, tmp_path, mmap):
    base, queries = dataset
    index = make(cls).build(base[:2500])
    index.add(base[2500:])
    index.remove([3, 4])
    before = index.search(queries, k=10)
    index.save(tmp_path / "idx")
    meta = json.loads((tmp_path / "idx.json").read_text())
    assert meta["kind"] == cls.kind
    loaded = BaseIndex.load(tmp_path / "idx", mmap=mmap)
    assert type(loaded) is cls and len(loaded) == len(index)
    after = loaded.search(queries, k=10)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_allclose(before[1], after[1], rtol=1e-6)
    assert 3 not in loaded
    # A loaded (even memory-mapped) index can still change.
    loaded.add(queries[:2])
    loaded.remove([0])
    assert len(loaded) == len(index) + 1
    # The class-specific loader refuses another kind.
    other = [c for c in CLASSES if c is not cls][0]
    with pytest.raises(ValueError):
        other.load(tmp_path / "idx")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_save_referencing_keyedvectors_npy(cls, dataset, tmp_path):
    base, queries = dataset
    np.save(tmp_path / "kv.npy", base)
    vectors = np.load(tmp_path / "kv.npy", mmap_mode="r")
    index = make(cls).build(vectors)
    index.save(tmp_path / "idx", vectors_file=tmp_path / "kv.npy")
    assert not (tmp_path / "idx.vectors.npy").exists()
    loaded = type(index).load(tmp_path / "idx", mmap="r")
    assert isinstance(loaded._vectors, np.memmap)
    np.testing.assert_array_equal(loaded.search(queries, k=5)[0], index.search(queries, k=5)[0])
    with pytest.raises(ValueError):   # the referenced file must hold exactly these vectors
        make(cls).build(base[:10]).save(tmp_path / "bad", vectors_file=tmp_path / "kv.npy")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_corrupted_files_raise_valueerror(cls, dataset, tmp_path):
    base, _ = dataset
    index = make(cls).build(base[:500])
    index.save(tmp_path / "idx")
    # Truncated array file.
    victim = sorted(p for p in os.listdir(tmp_path) if p.endswith(".npy"))[-1]
    data = (tmp_path / victim).read_bytes()
    (tmp_path / victim).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        BaseIndex.load(tmp_path / "idx")
    # Broken JSON.
    index.save(tmp_path / "j")
    (tmp_path / "j.json").write_text('{"format": "w2vm-index", "version": 1, "kind"')
    with pytest.raises(ValueError):
        BaseIndex.load(tmp_path / "j")
    # Valid .npy files with wrong contents: ids that collide.
    index.save(tmp_path / "k")
    np.save(tmp_path / "k.ids.npy", np.zeros(500, np.int64))
    with pytest.raises(ValueError):
        BaseIndex.load(tmp_path / "k")
    # A pickled object array is refused, never unpickled.
    index.save(tmp_path / "p")
    np.save(tmp_path / "p.ids.npy", np.array([object()] * 500), allow_pickle=True)
    with pytest.raises(ValueError):
        BaseIndex.load(tmp_path / "p")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_bad_parameters_raise_valueerror(cls, dataset):
    base, queries = dataset
    with pytest.raises(ValueError):
        make(cls, metric="hamming")
    with pytest.raises(ValueError):
        make(cls, shortlist_factor=0)
    index = make(cls).build(base[:300])
    for bad in [dict(k=0), dict(k=-3), dict(k=2.5), dict(k=True)]:
        with pytest.raises(ValueError):
            index.search(queries, **bad)
    with pytest.raises(ValueError):
        index.search(queries[:, :20])                    # wrong dimension
    with pytest.raises(ValueError):
        index.search(np.full(48, np.nan, np.float32))
    with pytest.raises(ValueError):
        index.search(queries, k=5, not_a_knob=3)
    with pytest.raises(ValueError):
        index.add(np.ones((2, 47), np.float32))          # mismatched dimension
    with pytest.raises(ValueError):
        index.add(np.ones((2, 48), np.float32), ids=[1])
    with pytest.raises(ValueError):
        index.add(np.ones((1, 48), np.float32), ids=[-1])
    with pytest.raises(ValueError):
        make(cls).build(np.ones((3, 4, 5), np.float32))
    with pytest.raises(ValueError):
        make(cls).build(np.zeros((0, 8), np.float32))
    with pytest.raises(ValueError):
        make(cls).build(base[:50], level=49)
    with pytest.raises(ValueError):
        make(cls).build(base[:50], ids=np.arange(49))
    with pytest.raises(ValueError):
        index.search(queries, filter=["a"])
    with pytest.raises(ValueError):
        make(cls).search(queries)                        # not built


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_k_larger_than_index(cls, dataset):
    base, queries = dataset
    index = make(cls).build(base[:7])
    ids, scores = index.search(queries[:2], k=50)
    assert ids.shape == (2, 7)
    assert set(ids[0]) == set(range(7))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("metric", ["ip", "l2"])
def test_other_metrics(cls, metric, dataset):
    base, queries = dataset
    index = make(cls, metric=metric).build(base)
    ref = BruteForceIndex(metric=metric).build(base).search(queries, k=10)
    ids, scores = index.search(queries, k=10)
    assert recall_at_k(ids, ref[0]) >= 0.85
    if metric == "l2":
        expect = ((base[ids[0]] - queries[0]) ** 2).sum(1)
        assert np.all(np.diff(scores, axis=1) >= -1e-4)
    else:
        expect = base[ids[0]] @ queries[0]
    np.testing.assert_allclose(scores[0], expect, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_funnel_search(cls):
    # Matryoshka-like data: the first 16 dims carry most of the signal.
    from index_helpers import clustered
    x = clustered(2100, 64, seed=5)
    x[:, 16:] *= 0.4
    base, queries = x[:2000], x[2000:]
    exact = BruteForceIndex().build(base).search(queries, k=10)[0]
    index = make(cls).build(base, level=16)
    assert index._data.shape[1] == 16
    ids, scores = index.search(queries, k=10)                        # re-ranked at 64
    assert recall_at_k(ids, exact) >= 0.9
    ids3, _ = index.search(queries, k=10, levels=[16, 32, 64], shortlist_factor=8)
    assert recall_at_k(ids3, exact) >= 0.9
    ids16, _ = index.search(queries[:, :16], k=10)                   # a prefix query: no re-rank
    assert ids16.shape == (100, 10)
    with pytest.raises(ValueError):
        index.search(queries, levels=[32, 64])                       # must start at index_level
    with pytest.raises(ValueError):
        index.search(queries[:, :8])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_concurrent_queries_from_threads(cls, dataset):
    base, queries = dataset
    index = make(cls, n_threads=2).build(base)
    expected = index.search(queries, k=10)[0]
    errors, results = [], []

    def worker():
        try:
            for _ in range(5):
                results.append(index.search(queries, k=10)[0])
                for j in range(0, len(queries), 25):
                    assert index.search(queries[j], k=10)[0].tolist() == expected[j].tolist()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results:
        np.testing.assert_array_equal(r, expected)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_writes_wait_for_searches(cls, dataset):
    # add() reallocates arrays native searches read: it must never overlap one.
    base, queries = dataset
    index = make(cls, n_threads=2).build(base[:1000])
    stop = threading.Event()
    errors = []

    def reader():
        try:
            while not stop.is_set():
                ids, _ = index.search(queries, k=5)
                assert (ids >= 0).all()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    for start in range(1000, 3000, 500):
        index.add(base[start:start + 500])
    stop.set()
    t.join()
    assert not errors and len(index) == 3000


def test_filter_by_keys_of_keyedvectors(dataset):
    base, queries = dataset
    kv = FakeKeyedVectors(base)
    index = HNSWIndex(seed=0).build(kv)
    ids, _ = index.search(queries[:2], k=2, filter={"w3", "w9", "nope"})
    assert sorted(ids[0].tolist()) == [3, 9]
