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


_SPACE = frozenset(b" \t\n\v\f\r\x1c\x1d\x1e\x1f")  # what str.split() splits on, in ASCII


def _index_by_hand(data, chunk_bytes):
    """The cut rule of ``index_file``, byte by byte: cut at the first line start
    at least ``chunk_bytes`` past the chunk's start, never inside a \\r\\n."""
    starts, counts, words, next_cut, previous = [0], [], 0, chunk_bytes, None
    for position, byte in enumerate(data):
        if (position >= next_cut and previous in (10, 13)
                and not (previous == 13 and byte == 10)):
            starts.append(position)
            counts.append(words)
            words, next_cut = 0, position + chunk_bytes
        if byte not in _SPACE and (previous is None or previous in _SPACE):
            words += 1
        previous = byte
    return starts + [len(data)], counts + [words]


@pytest.mark.parametrize("block_bytes", [1, 2, 3, 7, 64, None])
def test_index_file_cuts_at_line_starts_and_counts_exactly(tmp_path, block_bytes):
    from w2vm.models._native import native

    rng = np.random.default_rng(11)
    pieces = [b"a", b"bc", b" ", b"\n", b"\r", b"\r\n", b"\t", b"\x1c", b"\xc3\xa9", b"  ", b"\n\n", b"\x0b"]
    path = tmp_path / "corpus.txt"
    for case in range(60):
        data = b"".join(pieces[i] for i in rng.integers(0, len(pieces), size=rng.integers(0, 300)))
        if case == 0:
            data = b"one long line without an end " * 40  # the cut point is never followed by a line start
        path.write_bytes(data)
        for chunk_bytes in (1, 2, 5, 37, 1000):
            kwargs = {} if block_bytes is None else {"block_bytes": block_bytes}
            starts, raw_words = native.index_file(str(path), chunk_bytes, **kwargs)
            if not data:
                assert starts.tolist() == [0] and raw_words.tolist() == []
                continue
            assert (starts.tolist(), raw_words.tolist()) == _index_by_hand(data, chunk_bytes)
            # each chunk holds whole lines, as LineSentence splits them
            for start, end, n in zip(starts[:-1], starts[1:], raw_words):
                assert len(data[start:end].decode().split()) == n
            assert raw_words.sum() == len(data.decode().split())
