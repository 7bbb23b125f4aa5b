import numpy as np
import pytest

from w2vm.models import epochs
from w2vm.models.epochs import Schedule, iterable_epoch, jobs_per_chunk


@pytest.mark.parametrize("batch_words,workers,expected", [
    (10000, 1, 8),            # 8 jobs per worker by default
    (10000, 2, 16),
    (100000, 16, 41),         # capped: 41 jobs of 100,000 words stay under 2**22 words
    (1 << 22, 4, 4),          # never fewer jobs than workers
    (1 << 30, 1, 1),
])
def test_jobs_per_chunk(batch_words, workers, expected):
    assert jobs_per_chunk(batch_words, workers) == expected


class RecordingTrainer:
    """Stands in for the native trainer: records what each call gets."""

    def __init__(self, n_levels=1):
        self.calls = []
        self.n_levels = n_levels

    def train_chunk(self, words, sentence_offsets, job_starts, job_alpha, job_seed, workers):
        n_jobs = len(job_starts) - 1
        self.calls.append((np.array(words), n_jobs, np.array(job_alpha)))
        return np.zeros(n_jobs, dtype=np.int64), np.zeros((n_jobs, self.n_levels))


def test_iterable_epoch_keeps_chunks_under_the_word_cap(monkeypatch):
    monkeypatch.setattr(epochs, "MAX_CHUNK_WORDS", 40)
    rng = np.random.default_rng(3)
    key_to_index = {f"w{i}": i for i in range(50)}
    corpus = [[f"w{j}" for j in rng.integers(0, 60, size=rng.integers(1, 12))] for _ in range(300)]
    trainer = RecordingTrainer()
    total = sum(len(s) for s in corpus)
    steps = list(iterable_epoch(trainer, corpus, key_to_index, batch_words=10, workers=2, seed=1, epoch=0,
                                words_before=0, schedule=Schedule(0.025, 0.0001, total)))
    assert len(steps) == len(trainer.calls) > 1
    for words, n_jobs, _ in trainer.calls:
        assert n_jobs <= jobs_per_chunk(10, 2) == 4
        assert len(words) <= 40
    # every in-vocabulary token reaches the trainer once, in order
    expected = [key_to_index[t] for s in corpus for t in s if t in key_to_index]
    assert np.concatenate([w for w, _, _ in trainer.calls]).tolist() == expected
    assert sum(s.raw_words for s in steps) == total
    # the learning rate falls across calls
    alphas = np.concatenate([a for _, _, a in trainer.calls])
    assert np.all(np.diff(alphas) <= 0) and alphas[0] == pytest.approx(0.025)
