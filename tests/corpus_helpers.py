"""Small corpora and scores for the training tests."""
import random
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts):
    """Path under ../shared/data, or skip the test when that data is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} is not available")
    return path


def make_topic_corpus(n_topics=8, words_per_topic=12, n_sentences=1500, length=12, seed=0):
    """Sentences each drawn from one topic's words: words of a topic co-occur, others never do."""
    rng = random.Random(seed)
    topics = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    sentences = []
    for _ in range(n_sentences):
        topic = rng.choice(topics)
        sentences.append([rng.choice(topic) for _ in range(length)])
    return topics, sentences


def topic_purity(wv, topics, level=None, topn=5):
    """Fraction of each word's top-n neighbours that share its topic."""
    import numpy as np

    m = level or wv.vector_size
    index = {w: t for t, words in enumerate(topics) for w in words}
    keys = [k for k in wv.index_to_key if k in index]
    vectors = np.asarray([wv.vectors[wv.key_to_index[k], :m] for k in keys], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1)[:, :topn]
    labels = np.array([index[k] for k in keys])
    return float((labels[top] == labels[:, None]).mean())
