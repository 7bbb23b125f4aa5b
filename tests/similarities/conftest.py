"""Fixtures for the index tests.

``import w2vm`` loads the training engine first; while that is being
rebuilt it may fail, so these tests fall back to importing only the
``w2vm`` package folder (the indexes do not need the engine).
"""
import os
import sys
import types

import numpy as np
import pytest

try:
    import w2vm  # noqa: F401
except ImportError:  # pragma: no cover - only while the engine is unbuilt
    _pkg = types.ModuleType("w2vm")
    _pkg.__path__ = [os.path.join(os.path.dirname(__file__), "..", "..", "w2vm")]
    sys.modules["w2vm"] = _pkg


def clustered(n, d, n_clusters=50, spread=0.35, seed=0):
    """Gaussian blobs around random centres, plus a power-law-ish norm spread:
    a small stand-in for real embeddings (clustered, not uniform)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, d))
    labels = rng.integers(n_clusters, size=n)
    x = centres[labels] + spread * rng.standard_normal((n, d))
    x *= rng.uniform(0.5, 2.0, size=(n, 1))
    return x.astype(np.float32)


@pytest.fixture(scope="session")
def dataset():
    """3,000 base vectors and 100 held-out queries, d=48, from the same blobs."""
    x = clustered(3100, 48, seed=1)
    return x[:3000], x[3000:]
