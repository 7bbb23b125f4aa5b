"""Synthetic vectors for the index tests."""
import numpy as np


def clustered(n, d, n_clusters=50, spread=0.35, seed=0):
    """Gaussian blobs around random centres, plus a power-law-ish norm spread:
    a small stand-in for real embeddings (clustered, not uniform)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, d))
    labels = rng.integers(n_clusters, size=n)
    x = centres[labels] + spread * rng.standard_normal((n, d))
    x *= rng.uniform(0.5, 2.0, size=(n, 1))
    return x.astype(np.float32)
