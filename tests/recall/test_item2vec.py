"""item2vec end to end on a planted log: recall must beat popularity."""
import numpy as np
import pytest

from w2vm.recall import (
    ItemRecall,
    evaluate,
    item_vectors,
    leave_last_out,
    popularity_recommend,
    random_recommend,
    sessionize,
    train_item2vec,
    user_vectors,
)


@pytest.fixture(scope="module")
def fitted(planted):
    train, test = leave_last_out(planted)
    model = train_item2vec(train, vector_size=16, levels=[4, 8, 16], epochs=5, workers=1, seed=3)
    V, known = item_vectors(model.wv, train.item_labels)
    return train, test, model, V, known


def test_defaults_and_vectors(fitted):
    train, _, model, V, known = fitted
    assert model.sg == 1 and model.min_count == 1 and model.ns_exponent == 0.0 and model.sample == 0.0
    assert model.levels == [4, 8, 16]
    assert known.sum() == len(model.wv) and V.shape == (train.n_items, 16)
    row = model.wv.key_to_index[str(train.item_labels[0])]
    np.testing.assert_array_equal(V[0], model.wv.vectors[row])


@pytest.mark.parametrize("method", ["mean", "last", "recency"])
def test_recall_beats_popularity_on_planted_log(fitted, method):
    train, test, _, V, _ = fitted
    users = np.flatnonzero(test.counts_per_user() > 0)
    U = user_vectors(train, V, method=method)
    items, _ = ItemRecall(V).recommend(U, k=20, exclude=train, users=users)
    ours = evaluate(items, test, users=users, ks=(10, 20))
    pop, _ = popularity_recommend(train, k=20, users=users)
    rnd, _ = random_recommend(train, k=20, users=users)
    base = evaluate(pop, test, users=users, ks=(10, 20))
    chance = evaluate(rnd, test, users=users, ks=(10, 20))
    assert ours["recall@10"] > 1.5 * base["recall@10"]
    assert base["recall@10"] > chance["recall@10"]


def test_every_level_is_usable(fitted):
    train, test, _, V, _ = fitted
    users = np.flatnonzero(test.counts_per_user() > 0)
    pop, _ = popularity_recommend(train, k=10, users=users)
    base = evaluate(pop, test, users=users, ks=(10,))["recall@10"]
    for m in (4, 8):
        U = user_vectors(train, V, level=m)
        items, _ = ItemRecall(V[:, :m]).recommend(U, k=10, exclude=train, users=users)
        assert evaluate(items, test, users=users, ks=(10,))["recall@10"] > base


def test_whole_sequence_window(planted):
    seqs = sessionize(planted)
    model = train_item2vec(seqs, window="all", vector_size=8, epochs=1, workers=1)
    assert model.window == int(seqs.lengths().max()) - 1 and model.shrink_windows is False
    with pytest.raises(ValueError, match="window"):
        train_item2vec(seqs, window=0)
    with pytest.raises(TypeError, match="window='all' needs a Sequences"):
        train_item2vec([["a", "b"]], window="all")
