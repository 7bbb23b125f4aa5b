import signal
import threading

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


def _model_of(key_to_index, **settings):
    from w2vm import Word2Vec

    model = Word2Vec(vector_size=8, levels=[4, 8], min_count=1, seed=1, **settings)
    model.build_vocab_from_freq({key: 1000 - i for key, i in key_to_index.items()})
    assert model.wv.key_to_index == key_to_index
    return model


class RecordingTrainer:
    """The native trainer, with a queue that records what each chunk brings."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.puts = []

    def chunk_queue(self, workers, capacity, max_sentence_words):
        chunk_queue = self.trainer.chunk_queue(workers, capacity, max_sentence_words)
        puts = self.puts

        class RecordingQueue:
            def put(self, words, sentence_offsets, job_starts, job_alpha, job_seed, **kwargs):
                puts.append((np.array(words), len(job_starts) - 1, np.array(job_alpha)))
                return chunk_queue.put(words, sentence_offsets, job_starts, job_alpha, job_seed, **kwargs)

            def __getattr__(self, name):
                return getattr(chunk_queue, name)

        return RecordingQueue()


def test_iterable_epoch_keeps_chunks_under_the_word_cap(monkeypatch):
    monkeypatch.setattr(epochs, "MAX_CHUNK_WORDS", 40)
    rng = np.random.default_rng(3)
    key_to_index = {f"w{i}": i for i in range(50)}
    corpus = [[f"w{j}" for j in rng.integers(0, 60, size=rng.integers(1, 12))] for _ in range(300)]
    trainer = RecordingTrainer(_model_of(key_to_index, sample=0)._native_trainer(compute_loss=True))
    total = sum(len(s) for s in corpus)
    steps = list(iterable_epoch(trainer, corpus, key_to_index, batch_words=10, workers=2, seed=1, epoch=0,
                                words_before=0, schedule=Schedule(0.025, 0.0001, total)))
    assert len(steps) == len(trainer.puts) > 1
    for words, n_jobs, _ in trainer.puts:
        assert n_jobs <= jobs_per_chunk(10, 2) == 4
        assert len(words) <= 40
    # every in-vocabulary token reaches the trainer once, in order, and is trained
    expected = [key_to_index[t] for s in corpus for t in s if t in key_to_index]
    assert np.concatenate([w for w, _, _ in trainer.puts]).tolist() == expected
    assert sum(s.raw_words for s in steps) == total
    assert sum(s.effective_words for s in steps) == len(expected)  # sample=0 keeps every word
    assert all(np.all(s.loss > 0) for s in steps if s.effective_words)
    # the learning rate falls across chunks
    alphas = np.concatenate([a for _, _, a in trainer.puts])
    assert np.all(np.diff(alphas) <= 0) and alphas[0] == pytest.approx(0.025)
    # each step reports the rate the schedule has reached after its chunk
    done = np.cumsum([s.raw_words for s in steps])
    assert [s.alpha for s in steps] == Schedule(0.025, 0.0001, total).alpha(done).tolist()


def _chunk(words, lengths, jobs):
    """A chunk of sentences with the given lengths, cut into jobs of the given sentence counts."""
    return (np.asarray(words, dtype=np.uint32),
            np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            np.concatenate([[0], np.cumsum(jobs)]).astype(np.int64),
            np.full(len(jobs), 0.025, dtype=np.float32),
            np.arange(len(jobs), dtype=np.uint64) + 7)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_chunk_queue_trains_every_job_as_train_chunk_does(workers):
    key_to_index = {f"w{i}": i for i in range(30)}
    rng = np.random.default_rng(5)
    chunks = []
    for _ in range(300):  # enough jobs for two threads to meet at the queue often
        n_sentences = int(rng.integers(0, 9))
        lengths = rng.integers(1, 15, size=n_sentences)
        cuts = np.sort(rng.integers(0, n_sentences + 1, size=int(rng.integers(1, 5))))
        jobs = np.diff(np.concatenate([[0], cuts, [n_sentences]])) if n_sentences else [0]
        chunks.append(_chunk(rng.integers(0, 30, size=int(lengths.sum())), lengths, jobs))

    direct = _model_of(key_to_index, sample=0)
    expected = [direct._native_trainer(compute_loss=True).train_chunk(*chunk, 1) for chunk in chunks]

    queued = _model_of(key_to_index, sample=0)
    chunk_queue = queued._native_trainer(compute_loss=True).chunk_queue(workers, capacity=2,
                                                                 max_sentence_words=14)
    thread = threading.Thread(target=chunk_queue.run)
    thread.start()
    results = [chunk_queue.put(*chunk) for chunk in chunks]
    chunk_queue.close()
    chunk_queue.wait()
    thread.join(timeout=60)
    assert not thread.is_alive() and chunk_queue.finished == len(chunks)
    for (effective, losses), (want_effective, want_losses) in zip(results, expected):
        np.testing.assert_array_equal(effective, want_effective)
        if workers == 1:
            np.testing.assert_array_equal(losses, want_losses)
    if workers == 1:
        np.testing.assert_array_equal(queued.wv.vectors, direct.wv.vectors)
    else:
        assert np.all(np.isfinite(queued.wv.vectors)) and not np.array_equal(
            queued.wv.vectors, _model_of(key_to_index).wv.vectors)


def test_chunk_queue_refuses_bad_settings_and_chunks():
    trainer = _model_of({f"w{i}": i for i in range(5)})._native_trainer(compute_loss=False)
    with pytest.raises(ValueError, match="workers"):
        trainer.chunk_queue(0)
    with pytest.raises(ValueError, match="capacity"):
        trainer.chunk_queue(1, 9)
    with pytest.raises(ValueError, match="max_sentence_words"):
        trainer.chunk_queue(1, 2, 0)
    chunk_queue = trainer.chunk_queue(2, 2, max_sentence_words=3)
    with pytest.raises(ValueError, match="longer than"):
        chunk_queue.put(*_chunk([1, 2, 3, 4], [4], [1]))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        chunk_queue.put(*_chunk([1, 9], [2], [1]))
    with pytest.raises(ValueError, match="sentence_offsets"):
        words, offsets, starts, alpha, seed = _chunk([1, 2], [2], [1])
        chunk_queue.put(words, offsets[::-1].copy(), starts, alpha, seed)
    chunk_queue.put(*_chunk([1, 2], [2], [1]))
    thread = threading.Thread(target=chunk_queue.run)
    thread.start()
    chunk_queue.wait()
    assert chunk_queue.finished == 1
    chunk_queue.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    with pytest.raises(ValueError, match="closed"):
        chunk_queue.put(*_chunk([1, 2], [2], [1]))


def test_chunk_queue_abort_stops_the_training_threads():
    trainer = _model_of({f"w{i}": i for i in range(5)})._native_trainer(compute_loss=False)
    chunk_queue = trainer.chunk_queue(2, 3, max_sentence_words=4)
    thread = threading.Thread(target=chunk_queue.run)
    thread.start()
    chunk_queue.put(*_chunk([1, 2, 3], [3], [1]))
    chunk_queue.wait()
    chunk_queue.abort()  # the threads are waiting for work: they must wake and return
    thread.join(timeout=60)
    assert not thread.is_alive()
    with pytest.raises(ValueError, match="aborted"):
        chunk_queue.wait()
    with pytest.raises(ValueError, match="aborted"):
        chunk_queue.put(*_chunk([1, 2], [2], [1]))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_put_waiting_for_room_lets_signals_through():
    trainer = _model_of({f"w{i}": i for i in range(5)})._native_trainer(compute_loss=False)
    chunk_queue = trainer.chunk_queue(1, 1, max_sentence_words=4)
    chunk_queue.put(*_chunk([1, 2], [2], [1]))  # nothing runs the queue: the next put must wait

    def interrupt(signum, frame):
        raise TimeoutError("interrupted")

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(TimeoutError, match="interrupted"):
            chunk_queue.put(*_chunk([3], [1], [1]))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert chunk_queue.finished == 0
    chunk_queue.abort()


def test_iterable_epoch_stops_the_training_threads_when_the_corpus_fails():
    key_to_index = {f"w{i}": i for i in range(20)}
    trainer = _model_of(key_to_index)._native_trainer(compute_loss=False)

    def corpus():
        for i in range(2000):
            yield [f"w{i % 20}", f"w{(i * 7) % 20}"]
        raise RuntimeError("the corpus broke")

    before = {t.name for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="the corpus broke"):
        list(iterable_epoch(trainer, corpus(), key_to_index, batch_words=50, workers=2, seed=1,
                            epoch=0, words_before=0, schedule=Schedule(0.025, 0.0001, 4000)))
    assert {t.name for t in threading.enumerate()} == before  # the training thread is gone


_SPACE = frozenset(b" \t\n\v\f\r\x1c\x1d\x1e\x1f")  # what str.split() splits on, in ASCII


def _index_by_hand(data, chunk_bytes):
    """The cut rule of ``index_file``, byte by byte: cut at the first chunk_queue start
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
            data = b"one long chunk_queue without an end " * 40  # the cut point is never followed by a chunk_queue start
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


@pytest.mark.parametrize("source", ["iterable", "corpus_file"])
def test_progress_is_reported_while_a_chunk_trains(source, tmp_path):
    # One chunk (iterable: 8 jobs; file: one native call over 5 file chunks) that trains for a
    # few hundred milliseconds: the progress callback must see the words of finished jobs or
    # file chunks while it runs, not only when the whole chunk or call is done.
    from w2vm import Word2Vec

    rng = np.random.default_rng(0)
    sentences = [[f"w{x}" for x in rng.integers(0, 500, 20)] for _ in range(2500)]
    corpus = dict(corpus_iterable=sentences)
    if source == "corpus_file":
        path = tmp_path / "corpus.txt"
        path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
        corpus = dict(corpus_file=str(path))
    model = Word2Vec(vector_size=64, window=10, negative=20, min_count=1, workers=1, sample=0,
                     batch_words=6250, sg=1)
    model.build_vocab(**corpus)
    total = model.corpus_total_words
    seen = []
    model.train(**corpus, total_examples=model.corpus_count, total_words=total, epochs=1,
                progress=lambda done, all_words: seen.append(done))
    assert seen[-1] == total
    assert all(a < b for a, b in zip(seen, seen[1:]))
    assert any(0 < done < total for done in seen), seen


def test_chunk_queue_counts_the_raw_words_of_finished_jobs():
    model = _model_of({"a": 0, "b": 1})
    trainer = model._native_trainer(False)
    queue = trainer.chunk_queue(1, 2, max_sentence_words=10)
    words = np.array([0, 1, 0, 1], dtype=np.uint32)
    queue.put(words, np.array([0, 2, 4], dtype=np.int64), np.array([0, 1, 2], dtype=np.int64),
              np.full(2, 0.025, dtype=np.float32), np.array([1, 2], dtype=np.uint64),
              job_raw_words=np.array([5, 7], dtype=np.int64))
    assert not queue.wait(timeout=0.0)  # nothing trains before run()
    queue.close()
    queue.run()
    assert queue.wait(timeout=0.0) and queue.wait_for_room(timeout=0.0)
    assert queue.raw_words_trained == 12
    with pytest.raises(ValueError, match="job_raw_words"):
        trainer.chunk_queue(1, 2, 10).put(words, np.array([0, 4], dtype=np.int64),
                                          np.array([0, 1], dtype=np.int64), np.full(1, 0.025, np.float32),
                                          np.array([1], dtype=np.uint64), job_raw_words=np.array([1, 2]))
