"""User vectors (w2vm.recall.users) against a per-user reference loop."""
import numpy as np
import pytest

from w2vm.recall import Interactions, user_vectors


def reference(inter, V, method, last_n=3, half_life=2.0, level=None):
    level = level or V.shape[1]
    W = V[:, :level] / np.maximum(np.linalg.norm(V[:, :level], axis=1, keepdims=True), 1e-30)
    known = np.any(V != 0, axis=1)
    out = np.zeros((inter.n_users, level))
    for u in range(inter.n_users):
        a, b = inter.offsets[u], inter.offsets[u + 1]
        items = inter.items[a:b]
        age = np.arange(b - a)[::-1].astype(float)
        w = {"mean": np.ones(b - a), "last": (age < last_n).astype(float),
             "recency": 0.5 ** (age / half_life)}[method] * known[items]
        if w.sum() > 0:
            out[u] = (w[:, None] * W[items]).sum(0) / w.sum()
    return out


@pytest.mark.parametrize("method", ["mean", "last", "recency"])
@pytest.mark.parametrize("level", [None, 4])
def test_matches_reference(method, level):
    rng = np.random.default_rng(0)
    inter = Interactions(rng.integers(0, 20, 300), rng.integers(0, 50, 300), rng.integers(0, 1000, 300))
    V = rng.standard_normal((inter.n_items, 8)).astype(np.float32)
    V[3] = 0    # an item without a vector is left out of the means
    got = user_vectors(inter, V, method=method, last_n=3, half_life=2.0, level=level)
    np.testing.assert_allclose(got, reference(inter, V, method, level=level), rtol=1e-5, atol=1e-6)


def test_time_based_half_life():
    inter = Interactions([0, 0], [0, 1], [0, 10])
    V = np.eye(2, dtype=np.float32)
    u = user_vectors(inter, V, method="recency", half_life=10, time_unit="time")
    np.testing.assert_allclose(u[0], np.array([0.5, 1.0]) / 1.5)


def test_errors():
    inter = Interactions([0], [0], [0])
    V = np.ones((1, 4), np.float32)
    with pytest.raises(ValueError, match="method"):
        user_vectors(inter, V, method="median")
    with pytest.raises(ValueError, match="item_vecs must have shape"):
        user_vectors(inter, np.ones((3, 4)))
    with pytest.raises(ValueError, match="level"):
        user_vectors(inter, V, level=5)
    with pytest.raises(ValueError, match="half_life"):
        user_vectors(inter, V, method="recency", half_life=0)
    with pytest.raises(TypeError, match="Interactions"):
        user_vectors([[0]], V)
