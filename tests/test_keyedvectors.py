"""KeyedVectors queries at full and prefix levels against a brute-force numpy reference."""
import threading

import numpy as np
import pytest

from w2vm.models.keyedvectors import KeyedVectors

N, D = 300, 16
LEVELS = [None, 4, 8, 16, 5]  # 5 is not a trained level: any 1 <= m <= d is accepted


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((N, D)).astype(np.float32)
    keys = [f"k{i}" for i in range(N)]
    return keys, vectors


@pytest.fixture
def kv(data):
    keys, vectors = data
    kv = KeyedVectors(D, levels=[4, 8, 16])
    kv.add_vectors(keys, vectors)
    kv.set_vecattr(keys, "count", np.arange(N, 0, -1))
    return kv


def ref_unit(vectors, m):
    p = vectors[:, :m].astype(np.float64)
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def ref_most_similar(vectors, pos, neg, m, topn, candidates=None):
    """Reference: mean of unit prefixes (+pos, -neg), cosine to every row, inputs excluded."""
    u = ref_unit(vectors, m)
    q = sum(u[i] for i in pos) - sum(u[i] for i in neg)
    q /= np.linalg.norm(q)
    sims = u @ q
    rows = np.arange(len(vectors)) if candidates is None else np.asarray(candidates)
    rows = [r for r in rows if r not in set(pos) | set(neg)]
    rows.sort(key=lambda r: -sims[r])
    return [(r, sims[r]) for r in rows[:topn]]


def assert_same_ranking(got, expected, keys):
    assert [k for k, _ in got] == [keys[r] for r, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("level", LEVELS)
def test_most_similar_matches_reference(kv, data, level):
    keys, vectors = data
    m = level or D
    assert_same_ranking(kv.most_similar("k3", topn=7, level=level), ref_most_similar(vectors, [3], [], m, 7), keys)
    got = kv.most_similar(positive=["k1", "k2"], negative=["k9"], topn=5, level=level)
    assert_same_ranking(got, ref_most_similar(vectors, [1, 2], [9], m, 5), keys)
    # keys as row numbers, and (key, weight) pairs
    assert kv.most_similar(3, topn=4, level=level) == kv.most_similar("k3", topn=4, level=level)
    weighted = kv.most_similar(positive=[("k1", 1.0), ("k2", 1.0)], negative=[("k9", -1.0)], topn=5, level=level)
    assert [k for k, _ in weighted] == [k for k, _ in got]


@pytest.mark.parametrize("level", [None, 8])
def test_most_similar_vectors_all_scores_clip_and_restrict(kv, data, level):
    keys, vectors = data
    m = level or D
    u = ref_unit(vectors, m)
    scores = kv.most_similar("k3", topn=None, level=level)
    assert scores.shape == (N,)
    np.testing.assert_allclose(scores, u @ u[3], rtol=1e-5, atol=1e-6)
    # a raw vector (full length or prefix length) is not excluded from the results
    by_vec = kv.similar_by_vector(vectors[3], topn=3, level=level)
    assert by_vec[0][0] == "k3"
    assert kv.similar_by_vector(vectors[3, :m], topn=3, level=level) == by_vec
    # 2-D array of positives is averaged (gensim semantics)
    two = kv.most_similar(positive=vectors[[1, 2]], topn=4, level=level)
    q = vectors[1, :m].astype(np.float64) + vectors[2, :m]  # raw vectors are averaged un-normalised
    sims = u @ (q / np.linalg.norm(q))
    assert_same_ranking(two, [(r, sims[r]) for r in np.argsort(-sims)[:4]], keys)
    assert kv.similar_by_key("k3", topn=5, level=level) == kv.similar_by_word("k3", topn=5, level=level)
    # clip and restrict_vocab (int, keys, boolean mask)
    clipped = kv.most_similar("k3", topn=5, clip_start=50, clip_end=120, level=level)
    assert_same_ranking(clipped, ref_most_similar(vectors, [3], [], m, 5, range(50, 120)), keys)
    assert_same_ranking(kv.most_similar("k3", topn=5, restrict_vocab=100, level=level),
                        ref_most_similar(vectors, [3], [], m, 5, range(100)), keys)
    subset = [5, 17, 3, 200, 250, 299, 42]
    got = kv.most_similar("k3", topn=10, restrict_vocab=[keys[i] for i in subset], level=level)
    assert_same_ranking(got, ref_most_similar(vectors, [3], [], m, 10, sorted(subset)), keys)
    mask = np.zeros(N, bool)
    mask[subset] = True
    assert kv.most_similar("k3", topn=10, restrict_vocab=mask, level=level) == got
    big = list(range(0, N, 2))  # large subsets take the full-pass path
    assert_same_ranking(kv.most_similar("k3", topn=6, restrict_vocab=big, level=level),
                        ref_most_similar(vectors, [3], [], m, 6, big), keys)


def test_most_similar_edge_cases(kv):
    assert kv.most_similar("k1", topn=0) == []
    with pytest.raises(KeyError, match="nope"):
        kv.most_similar("nope")
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar(positive=[])
    for bad in (0, 17, -1, 2.5, "8", True):
        with pytest.raises(ValueError, match="level"):
            kv.most_similar("k1", level=bad)
    with pytest.raises(ValueError, match="expected 8"):
        kv.similar_by_vector(np.ones(3, np.float32), level=8)
    # a prefix vector without level=: the message names what would work
    with pytest.raises(ValueError, match=r"has 4 values; expected 16 \(the full dimension\); for a prefix query "
                                         r"pass level=4 \(trained levels: \[4, 8, 16\]\)"):
        kv.similar_by_vector(np.ones(4, np.float32))
    with pytest.raises(TypeError):
        kv.most_similar("k1", restrict_vocab="k1")
    with pytest.raises(ValueError, match="mask"):
        kv.most_similar("k1", restrict_vocab=np.ones(3, bool))


def test_indexer_protocol(kv):
    class Indexer:
        def most_similar(self, vector, topn):
            self.seen = (vector.shape, topn)
            return [("x", 1.0)]

    ix = Indexer()
    assert kv.most_similar("k1", topn=3, indexer=ix, level=8) == [("x", 1.0)]
    assert ix.seen == ((8,), 3)


@pytest.mark.parametrize("level", LEVELS)
def test_cosmul_matches_reference(kv, data, level):
    keys, vectors = data
    m = level or D
    u = ref_unit(vectors, m)
    shifted = lambda i: (1 + u @ u[i]) / 2  # noqa: E731
    ref = shifted(1) * shifted(2) / (shifted(9) + 1e-6)
    order = [r for r in np.argsort(-ref) if r not in (1, 2, 9)][:5]
    got = kv.most_similar_cosmul(positive=["k1", "k2"], negative=["k9"], topn=5, level=level)
    assert [k for k, _ in got] == [keys[r] for r in order]
    np.testing.assert_allclose([s for _, s in got], ref[order], rtol=1e-4)
    restricted = kv.most_similar_cosmul(positive=["k1"], topn=3, restrict_vocab=50, level=level)
    assert all(kv.get_index(k) < 50 for k, _ in restricted)


@pytest.mark.parametrize("level", LEVELS)
def test_pairwise_methods(kv, data, level):
    keys, vectors = data
    m = level or D
    u = ref_unit(vectors, m)
    assert kv.similarity("k1", "k2", level=level) == pytest.approx(u[1] @ u[2], rel=1e-5)
    assert kv.distance("k1", "k2", level=level) == pytest.approx(1 - u[1] @ u[2], rel=1e-5)
    np.testing.assert_allclose(kv.distances("k1", level=level), 1 - u @ u[1], atol=1e-5)
    np.testing.assert_allclose(kv.distances("k1", ["k2", "k5"], level=level), 1 - u[[2, 5]] @ u[1], atol=1e-5)
    np.testing.assert_allclose(kv.distances(vectors[1], level=level), 1 - u @ u[1], atol=1e-5)
    mean1 = vectors[[1, 4], :m].mean(axis=0)
    mean2 = vectors[[2], :m].mean(axis=0)
    ref = mean1 @ mean2 / np.linalg.norm(mean1) / np.linalg.norm(mean2)
    assert kv.n_similarity(["k1", "k4"], ["k2"], level=level) == pytest.approx(ref, rel=1e-5)
    sims = u @ u[1]
    closer = [keys[i] for i in np.flatnonzero(1 - sims < 1 - sims[7]) if i != 1]
    assert kv.closer_than("k1", "k7", level=level) == closer
    assert kv.rank("k1", "k7", level=level) == len(closer) + 1
    cands = ["k2", "k3", "k7", "k8"]
    assert kv.most_similar_to_given("k1", cands, level=level) == cands[int(np.argmax(u[[2, 3, 7, 8]] @ u[1]))]
    words = ["k1", "k2", "k3", "k4"]
    centroid = u[[1, 2, 3, 4]].mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    assert kv.doesnt_match(words + ["missing"], level=level) == words[int(np.argmin(u[[1, 2, 3, 4]] @ centroid))]
    assert KeyedVectors.cosine_similarities(u[1], u[:3]) == pytest.approx(u[:3] @ u[1], rel=1e-6)


@pytest.mark.parametrize("level", LEVELS)
def test_vectors_and_norms(kv, data, level):
    keys, vectors = data
    m = level or D
    np.testing.assert_array_equal(kv.get_vector("k5", level=level), vectors[5, :m])
    np.testing.assert_allclose(kv.get_vector("k5", norm=True, level=level), ref_unit(vectors, m)[5], rtol=1e-5)
    assert not kv.get_vector("k5").flags.writeable
    np.testing.assert_allclose(kv.get_normed_vectors(level=level), ref_unit(vectors, m), rtol=1e-5, atol=1e-6)
    ref = vectors[[1, 2], :m].mean(axis=0)
    np.testing.assert_allclose(kv.get_mean_vector(["k1", "k2"], pre_normalize=False, level=level), ref, rtol=1e-5)
    np.testing.assert_allclose(kv.get_mean_vector(["k1", "nope"], pre_normalize=False, level=level),
                               vectors[1, :m], rtol=1e-6)
    with pytest.raises(KeyError):
        kv.get_mean_vector(["nope"], ignore_missing=False, level=level)


def test_mapping_api(kv, data):
    keys, vectors = data
    assert len(kv) == N and kv.vector_size == D and kv.levels == [4, 8, 16]
    assert kv.index_to_key == keys and kv.key_to_index["k7"] == 7
    assert "k7" in kv and "nope" not in kv and kv.has_index_for(7) and not kv.has_index_for(N)
    assert kv.get_index("k7") == 7 and kv.get_index(9) == 9 and kv.get_index("nope", -1) == -1
    with pytest.raises(KeyError):
        kv.get_index("nope")
    np.testing.assert_array_equal(kv["k7"], vectors[7])
    np.testing.assert_array_equal(kv[7], vectors[7])
    np.testing.assert_array_equal(kv[["k7", "k8"]], vectors[[7, 8]])
    assert kv.vectors.dtype == np.float32 and kv.vectors.flags.c_contiguous
    assert kv.get_vecattr("k0", "count") == N and kv.expandos["count"].dtype == np.int64
    kv.set_vecattr("k0", "count", 5)
    assert kv.get_vecattr("k0", "count") == 5
    assert kv.norms is None
    kv.fill_norms()
    np.testing.assert_allclose(kv.norms, np.linalg.norm(vectors, axis=1), rtol=1e-6)
    assert "KeyedVectors" in str(kv)


def test_constructor_and_add_vector():
    kv = KeyedVectors(4, count=2)
    assert kv.levels == [1, 2, 4] and kv.vectors.shape == (2, 4)
    assert kv.add_vector("a", np.ones(4)) == 0
    assert kv.add_vector("b", np.arange(4)) == 1
    with pytest.warns(UserWarning):
        assert kv.add_vector("c", np.full(4, 2.0)) == 2
    assert kv.index_to_key == ["a", "b", "c"]
    assert kv.most_similar("a", topn=1)[0][0] == "c"
    with pytest.raises(ValueError, match="already present"):
        kv.add_vector("a", np.ones(4))
    with pytest.raises(ValueError):
        KeyedVectors(8, levels=[3, 5])
    with pytest.raises(ValueError):
        KeyedVectors(0)
    assert KeyedVectors(8, levels=[2, 8]).levels == [2, 8]


def test_mutations_invalidate_norm_caches(kv, data):
    keys, vectors = data
    for level in (None, 4):
        kv.most_similar("k1", level=level)  # fill caches
    new = -vectors[1]
    kv["k2"] = new  # __setitem__ replaces
    assert kv.most_similar("k1", topn=1, level=4)[0][0] != "k2"
    assert kv.similarity("k1", "k2") == pytest.approx(-1.0, abs=1e-6)
    assert kv.most_similar("k1", topn=None)[2] == pytest.approx(-1.0, abs=1e-6)
    kv.add_vectors(["new1", "k3"], np.stack([vectors[1] * 3, vectors[1]]), replace=False)
    assert kv.most_similar("k1", topn=1, level=4)[0] == ("new1", pytest.approx(1.0))
    assert kv["k3"] == pytest.approx(vectors[3])  # not replaced
    kv.add_vectors(["k3"], vectors[1][None, :], replace=True)
    assert kv.similarity("k1", "k3") == pytest.approx(1.0)
    # the engine's in-place path: modify then invalidate
    kv.most_similar("k1")
    kv.vectors[5] = vectors[1] * 2
    kv.invalidate_norms()
    assert kv.most_similar("k1", topn=None)[5] == pytest.approx(1.0)
    kv.vectors = kv.vectors * 1  # assigning vectors invalidates too
    assert kv.norms is None
    with pytest.raises(ValueError, match="duplicates"):
        kv.add_vectors(["a", "a"], np.ones((2, D)))
    with pytest.raises(ValueError, match="shape"):
        kv.add_vectors(["a"], np.ones((1, D + 1)))


def test_sort_by_descending_frequency(kv, data):
    keys, vectors = data
    counts = np.random.default_rng(1).integers(0, 5, N)  # many ties
    kv.set_vecattr(keys, "count", counts)
    kv.most_similar("k1")
    kv.sort_by_descending_frequency()
    order = np.lexsort((-np.arange(N), -counts))
    assert kv.index_to_key == [keys[i] for i in order]
    np.testing.assert_array_equal(kv.vectors, vectors[order])
    np.testing.assert_array_equal(kv.expandos["count"], counts[order])
    assert kv.key_to_index == {keys[i]: j for j, i in enumerate(order)}
    assert kv.most_similar("k1", topn=1)[0][0] != "k1"


@pytest.mark.parametrize("level", [None, 4])
def test_knn_and_batch(kv, data, level):
    keys, vectors = data
    m = level or D
    u = ref_unit(vectors, m)
    qkeys = ["k0", "k10", "k299"]
    idx, scores = kv.knn(qkeys, k=5, level=level)
    assert idx.shape == scores.shape == (3, 5) and idx.dtype == np.int64 and scores.dtype == np.float32
    for row, q in zip(range(3), [0, 10, 299]):
        ref = ref_most_similar(vectors, [q], [], m, 5)
        assert idx[row].tolist() == [r for r, _ in ref]
        np.testing.assert_allclose(scores[row], [s for _, s in ref], rtol=1e-5, atol=1e-6)
    idx2, _ = kv.knn(qkeys, k=3, level=level, exclude_self=False)
    assert idx2[:, 0].tolist() == [0, 10, 299]
    # 2-D arrays: full length or prefix length
    idx3, s3 = kv.knn(vectors[[0, 10]], k=4, level=level)
    assert idx3[:, 0].tolist() == [0, 10]
    np.testing.assert_array_equal(kv.knn(vectors[[0, 10], :m], k=4, level=level)[0], idx3)
    # restrict to a subset (filtered recall) and a prefix of the vocabulary
    subset = [3, 10, 40, 41, 100]
    idx4, s4 = kv.knn(["k10"], k=10, level=level, restrict_vocab=[keys[i] for i in subset])
    expect = sorted([3, 40, 41, 100], key=lambda r: -(u[r] @ u[10]))
    assert idx4[0].tolist() == expect  # k capped at the 4 other candidates
    idx5, _ = kv.knn(["k10"], k=3, level=level, restrict_vocab=50)
    assert idx5[0].tolist() == [r for r, _ in ref_most_similar(vectors, [10], [], m, 3, range(50))]
    batch = kv.most_similar_batch(qkeys, topn=5, level=level)
    assert [[k for k, _ in row] for row in batch] == [[keys[i] for i in r] for r in idx.tolist()]
    assert [k for k, _ in batch[1]] == [k for k, _ in kv.most_similar("k10", topn=5, level=level)]
    with pytest.raises(ValueError):
        kv.knn(np.ones((2, 3)), k=2, level=level)
    with pytest.raises(TypeError):
        kv.knn("k1")
    with pytest.raises(KeyError):
        kv.knn(["k1", "nope"])


def test_knn_chunks_large_batches(kv, data, monkeypatch):
    from w2vm.models import _kv_search
    keys, vectors = data
    full = kv.knn(keys, k=4)
    monkeypatch.setattr(_kv_search, "SCORE_BUDGET_BYTES", 4 * N * 7)  # 7 queries per chunk
    chunked = kv.knn(keys, k=4)
    np.testing.assert_array_equal(full[0], chunked[0])
    # BLAS may round a 7-row product differently from a full-batch one (blocking
    # depends on the matrix shape), so scores agree to float32 precision, not bits.
    np.testing.assert_allclose(full[1], chunked[1], rtol=1e-6, atol=1e-6)


def test_zero_vectors_do_not_produce_nan():
    kv = KeyedVectors(4)
    kv.add_vectors(["a", "z", "b"], np.array([[1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]], np.float32))
    res = kv.most_similar("a", topn=2)
    assert res[0][0] == "b" and res[1] == ("z", 0.0)
    assert np.isfinite(kv.knn(["a"], k=2)[1]).all()


def test_concurrent_queries_and_mutation(data):
    keys, vectors = data
    kv = KeyedVectors(D)
    kv.add_vectors(keys, vectors)
    stop = threading.Event()
    errors = []

    def query():
        while not stop.is_set():
            try:
                res = kv.most_similar("k1", topn=3, level=8)
                # the only thing a mutation may change is which keys exist; scores stay valid cosines
                assert all(-1.0001 <= s <= 1.0001 for _, s in res)
                idx, sc = kv.knn(["k1", "k2"], k=3)
                assert np.isfinite(sc).all()
            except Exception as exc:  # noqa: BLE001 - collected and re-raised in the main thread
                errors.append(exc)

    threads = [threading.Thread(target=query) for _ in range(3)]
    for t in threads:
        t.start()
    rng = np.random.default_rng(0)
    for i in range(30):
        kv.add_vectors([f"x{i}"], rng.standard_normal((1, D)).astype(np.float32))
        kv["k5"] = rng.standard_normal(D).astype(np.float32)
        if i % 10 == 0:
            kv.sort_by_descending_frequency()
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(kv) == N + 30


@pytest.mark.parametrize("level", [None, 4])
def test_remaining_gensim_methods(kv, data, level):
    keys, vectors = data
    m = level or D
    u = ref_unit(vectors, m)
    np.testing.assert_array_equal(kv.word_vec("k3", level=level), kv.get_vector("k3", level=level))
    assert kv.words_closer_than("k1", "k7", level=level) == kv.closer_than("k1", "k7", level=level)
    top = np.sort(u @ u[1])[::-1][1:4]
    assert kv.relative_cosine_similarity("k1", "k2", topn=3, level=level) == \
        pytest.approx((u[1] @ u[2]) / top.sum(), rel=1e-4)
    central = kv.rank_by_centrality(["k1", "k2", "k3"], level=level)
    assert sorted(k for _, k in central) == ["k1", "k2", "k3"]
    kv.fill_norms(level=level)
    kv.fill_norms(force=True, level=level)
    assert kv.norms is None or kv.norms.shape == (N,)


def test_unit_normalize_all(kv, data):
    keys, vectors = data
    before = kv.most_similar("k1", topn=5)
    kv.unit_normalize_all()
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1.0, rtol=1e-5)
    assert [k for k, _ in kv.most_similar("k1", topn=5)] == [k for k, _ in before]


def test_knn_mask_and_vector_batch(kv, data):
    keys, vectors = data
    mask = np.zeros(N, bool)
    mask[::3] = True
    idx, scores = kv.knn(vectors[:4], k=5, level=8, restrict_vocab=mask)
    assert (idx % 3 == 0).all() and (np.diff(scores, axis=1) <= 1e-7).all()
    batch = kv.most_similar_batch(vectors[:2], topn=3, restrict_vocab=mask)
    assert [k for k, _ in batch[0]] == [keys[i] for i in kv.knn(vectors[:1], k=3, restrict_vocab=mask)[0][0]]
    assert kv.knn(np.zeros((0, D)), k=3)[0].shape == (0, 3)


# ------------------------------------------------------------- gensim parity
def _parity_kv():
    from w2vm import KeyedVectors
    rng = np.random.default_rng(0)
    kv = KeyedVectors(6, levels=[3, 6])
    kv.add_vectors([f"k{i}" for i in range(20)], rng.normal(size=(20, 6)).astype(np.float32),
                   extras={"count": np.arange(20)[::-1] * 3})
    return kv


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_vectors_are_writable(tmp_path, binary):
    from w2vm import KeyedVectors
    kv = _parity_kv()
    kv.save_word2vec_format(str(tmp_path / "v"), binary=binary)
    loaded = KeyedVectors.load_word2vec_format(str(tmp_path / "v"), binary=binary)
    loaded.vectors[0] = 0
    assert not loaded.vectors[0].any()


def test_save_word2vec_format_append_and_sort_attr(tmp_path):
    from w2vm import KeyedVectors
    kv = _parity_kv()
    kv.set_vecattr(kv.index_to_key, "rank", np.arange(20))
    path = str(tmp_path / "v.txt")
    kv.save_word2vec_format(path, sort_attr="rank", total_vec=40)
    kv.save_word2vec_format(path, append=True, write_header=False)
    lines = open(path).read().splitlines()
    assert lines[0] == "40 6" and len(lines) == 41
    assert lines[1].split()[0] == "k19" and lines[21].split()[0] == "k0"  # rank descending, then count
    with pytest.warns(UserWarning, match="duplicate keys"):
        both = KeyedVectors.load_word2vec_format(path)
    assert len(both) == 20  # each key once: its first vector kept
    with pytest.raises(ValueError, match="no such per-key attribute"):
        kv.save_word2vec_format(path, fvocab=str(tmp_path / "vocab"), sort_attr="missing")


def test_vectors_for_all_keeps_present_keys_once_in_order():
    kv = _parity_kv()
    out = kv.vectors_for_all(["k3", "nope", "k1", "k3"], copy_vecattrs=True)
    assert out.index_to_key == ["k3", "k1"] and out.levels == kv.levels
    np.testing.assert_array_equal(out.vectors, kv[["k3", "k1"]])
    assert list(out.expandos["count"]) == [kv.get_vecattr("k3", "count"), kv.get_vecattr("k1", "count")]


def test_wmdistance_solves_the_transport_problem_exactly():
    from w2vm import KeyedVectors
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b", "c"], np.array([[0, 0], [3, 4], [6, 8]], dtype=np.float32))
    # half of "a" moves to "b" (5) and half to "c" (10)
    assert kv.wmdistance(["a"], ["b", "c"], norm=False) == pytest.approx(7.5)
    assert kv.wmdistance(["b", "c"], ["a", "x"], norm=False) == pytest.approx(7.5)
    assert kv.wmdistance(["a", "b"], ["a", "b"]) == 0.0
    assert kv.wmdistance(["x"], ["a"]) == float("inf")
    m = _parity_kv()
    d1, d2 = ["k1", "k2", "k3"], ["k4", "k2", "k9", "k9"]
    assert m.wmdistance(d1, d2) == pytest.approx(m.wmdistance(d2, d1))
    assert 0 < m.wmdistance(d1, d2, level=3)


def test_pseudorandom_weak_vector_matches_gensims_scale():
    from w2vm.models.keyedvectors import REAL, pseudorandom_weak_vector
    v = pseudorandom_weak_vector(50, seed_string="word", hashfxn=lambda s: 12345)
    assert v.dtype == REAL == np.float32 and np.all(np.abs(v) <= 0.5 / 50)
    np.testing.assert_array_equal(v, pseudorandom_weak_vector(50, seed_string="x", hashfxn=lambda s: 12345))
    gensim = pytest.importorskip("gensim")
    from gensim.models.keyedvectors import pseudorandom_weak_vector as theirs
    np.testing.assert_array_equal(v, theirs(50, seed_string="word", hashfxn=lambda s: 12345))
