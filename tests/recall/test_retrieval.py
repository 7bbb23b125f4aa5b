"""ItemRecall (w2vm.recall.retrieval): exclusion, filters, rerank hook, approximate indexes, funnel."""
import numpy as np
import pytest

from w2vm.recall import Interactions, ItemRecall, make_index
from w2vm.recall.retrieval import exclusion_csr


def data(n_items=300, d=16, n_users=40, seed=0):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n_items, d)).astype(np.float32)
    U = rng.standard_normal((n_users, d)).astype(np.float32)
    hist = Interactions(rng.integers(0, n_users, 600), rng.integers(0, n_items, 600), np.arange(600),
                        item_labels=np.arange(n_items), user_labels=np.arange(n_users))
    return V, U, hist


def exact_unseen(V, U, hist, k, allowed=None):
    S = (U / np.linalg.norm(U, axis=1, keepdims=True)) @ (V / np.linalg.norm(V, axis=1, keepdims=True)).T
    S[hist.users, hist.items] = -np.inf
    if allowed is not None:
        S[:, ~allowed] = -np.inf
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def test_exact_recall_excludes_seen_items():
    V, U, hist = data()
    items, scores = ItemRecall(V).recommend(U, k=20, exclude=hist)
    np.testing.assert_array_equal(items, exact_unseen(V, U, hist, 20))
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    seen = set(zip(hist.users.tolist(), hist.items.tolist()))
    assert not any((u, i) in seen for u in range(len(U)) for i in items[u].tolist())


def test_users_subset_and_exclusion_forms_agree():
    V, U, hist = data()
    full, _ = ItemRecall(V).recommend(U, k=10, exclude=hist)
    users = np.array([5, 1, 7])
    sub, _ = ItemRecall(V).recommend(U, k=10, exclude=hist, users=users)
    np.testing.assert_array_equal(sub, full[users])
    lists = [hist.items[hist.offsets[u]:hist.offsets[u + 1]] for u in range(len(U))]
    via_lists, _ = ItemRecall(V).recommend(U, k=10, exclude=lists)
    np.testing.assert_array_equal(via_lists, full)
    indptr, indices = exclusion_csr(hist, len(U), len(V))
    assert indptr[-1] == len(hist)


def test_candidate_filter():
    V, U, hist = data()
    rng = np.random.default_rng(1)
    allowed = rng.random(len(V)) < 0.3
    items, _ = ItemRecall(V).recommend(U, k=10, exclude=hist, filter=allowed)
    assert allowed[items].all()
    np.testing.assert_array_equal(items, exact_unseen(V, U, hist, 10, allowed))
    by_codes, _ = ItemRecall(V).recommend(U, k=10, exclude=hist, filter=np.flatnonzero(allowed))
    np.testing.assert_array_equal(by_codes, items)


def test_short_lists_are_padded():
    V, U, hist = data(n_items=30)
    items, scores = ItemRecall(V).recommend(U[:2], k=40)
    assert (items[:, :30] >= 0).all() and (items[:, 30:] == -1).all()
    assert np.isnan(scores[:, 30:]).all()


def test_zero_vectors_are_not_indexed():
    V, U, hist = data()
    V[:100] = 0
    items, _ = ItemRecall(V).recommend(U, k=50)
    assert items.min() >= 100


def test_rerank_hook_reorders_candidates():
    V, U, hist = data()
    calls = []

    def prefer_low_codes(users, cand):
        calls.append((users.copy(), cand.shape))
        return -cand.astype(float)

    rec = ItemRecall(V)
    items, scores = rec.recommend(U, k=5, exclude=hist, rerank=prefer_low_codes, rerank_k=50)
    shortlist, _ = rec.recommend(U, k=50, exclude=hist)
    np.testing.assert_array_equal(items, np.sort(shortlist, axis=1)[:, :5])
    assert calls and calls[0][1][1] == 50
    with pytest.raises(ValueError, match="rerank returned shape"):
        rec.recommend(U, k=5, rerank=lambda u, c: np.zeros(3))
    with pytest.raises(TypeError, match="callable"):
        rec.recommend(U, k=5, rerank=3)


@pytest.mark.parametrize("kind, params, search", [
    ("hnsw", dict(M=16, ef_construction=100, seed=1, n_threads=1), dict(ef=200)),
    ("ivf", dict(n_lists=8), dict(n_probe=8)),
])
def test_approximate_indexes_match_exact(kind, params, search):
    V, U, hist = data(n_items=2000, n_users=50)
    exact, _ = ItemRecall(V).recommend(U, k=20, exclude=hist)
    approx, _ = ItemRecall(V, index=kind, **params).recommend(U, k=20, exclude=hist, **search)
    overlap = np.mean([len(set(a) & set(b)) / 20 for a, b in zip(exact.tolist(), approx.tolist())])
    assert overlap > 0.95


def test_funnel_level_walks_a_prefix():
    V, U, hist = data(n_items=1000, d=32)
    exact, _ = ItemRecall(V).recommend(U, k=10, exclude=hist)
    funnel = ItemRecall(V, index="brute", level=8, shortlist_factor=50)
    got, _ = funnel.recommend(U, k=10, exclude=hist)
    assert funnel.index.index_level == 8
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact.tolist(), got.tolist())])
    assert overlap > 0.5   # random vectors: the prefix is a weak filter, the re-rank fixes the order
    staged = ItemRecall(V, index="brute", level=8, levels=[8, 16, 32])
    assert staged.recommend(U, k=10)[0].shape == (len(U), 10)


def test_bad_input():
    V, U, hist = data()
    rec = ItemRecall(V)
    with pytest.raises(ValueError, match="k must be"):
        rec.recommend(U, k=0)
    with pytest.raises(ValueError, match="exclude has"):
        rec.recommend(U[:3], k=5, exclude=hist)
    with pytest.raises(ValueError, match="boolean filter"):
        rec.recommend(U, k=5, filter=np.ones(3, bool))
    with pytest.raises(ValueError, match="index must be one of"):
        ItemRecall(V, index="annoy")
    with pytest.raises(ValueError, match="every item vector is zero"):
        ItemRecall(np.zeros((3, 4)))


def test_keyed_vectors_input():
    from w2vm import KeyedVectors

    V, U, hist = data()
    kv = KeyedVectors(V.shape[1])
    kv.add_vectors([f"i{j}" for j in range(len(V))], V)
    a, _ = ItemRecall(kv).recommend(U, k=10, exclude=hist)
    b, _ = ItemRecall(V).recommend(U, k=10, exclude=hist)
    np.testing.assert_array_equal(a, b)


def test_cold_users_fall_back_to_the_given_ranking():
    V, U, hist = data()
    U[3] = 0
    popular = np.arange(len(V)).astype(float)    # highest code ranks first
    items, _ = ItemRecall(V).recommend(U, k=5, exclude=hist, fallback=popular)
    seen = set(hist.items[hist.offsets[3]:hist.offsets[4]].tolist())
    expect = [i for i in range(len(V) - 1, -1, -1) if i not in seen][:5]
    assert items[3].tolist() == expect
    warm, _ = ItemRecall(V).recommend(U, k=5, exclude=hist)
    np.testing.assert_array_equal(np.delete(items, 3, 0), np.delete(warm, 3, 0))
    with pytest.raises(ValueError, match="fallback must have shape"):
        ItemRecall(V).recommend(U, k=5, fallback=np.ones(3))


def test_make_index_builds_on_the_vectors_it_is_given():
    V, _, _ = data(n_items=200)
    for kind in ("hnsw", "brute", "ivf", "lsh"):
        index = make_index(kind, V, seed=1) if kind != "brute" else make_index(kind, V)
        assert len(index) == 200, kind
        ids, _ = index.search(V[7], k=1)
        assert ids[0] == 7, kind
    assert len(make_index("hnsw", n_items=10)) == 0           # no vectors: empty, for build() later
    assert type(make_index("auto", 50)).__name__ == "BruteForceIndex"  # an int is still a catalogue size
