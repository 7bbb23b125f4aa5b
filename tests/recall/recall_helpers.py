"""Synthetic interaction logs for the recall tests (a module of its own: ``conftest`` names clash across folders)."""
import numpy as np


def planted_log(n_users=300, n_clusters=10, items_per_cluster=30, events=15, noise=0.1, seed=0):
    """``(users, items, timestamps)``: each user draws mostly from one cluster of items.

    Item popularity within and across clusters is skewed (Zipf-like), so
    popularity is a real baseline; timestamps come in bursts with ties.
    """
    rng = np.random.default_rng(seed)
    n_items = n_clusters * items_per_cluster
    pop = 1.0 / np.arange(1, items_per_cluster + 1) ** 0.8
    pop /= pop.sum()
    global_pop = np.tile(pop, n_clusters) * rng.uniform(0.3, 1.0, n_clusters).repeat(items_per_cluster)
    global_pop /= global_pop.sum()
    users, items, times = [], [], []
    for u in range(n_users):
        c = u % n_clusters
        n_noise = rng.binomial(events, noise)
        own = rng.choice(items_per_cluster, size=events - n_noise, replace=False, p=pop) + c * items_per_cluster
        other = rng.choice(n_items, size=n_noise, replace=False, p=global_pop)
        seq = rng.permutation(np.concatenate([own, other]))
        # bursts: about three events per second, so ties are common
        t = 1_000_000 + u * 10_000 + np.arange(seq.size) // 3
        users += [u] * seq.size
        items += seq.tolist()
        times += t.tolist()
    return np.array(users), np.array(items), np.array(times)
