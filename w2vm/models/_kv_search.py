"""Exact cosine search kernels for :class:`~w2vm.models.keyedvectors.KeyedVectors`.

Pure numpy over an immutable snapshot: one BLAS product per query (gemv) or
per chunk of queries (gemm) over the prefix columns ``vectors[:, :m]`` (a
strided view, so no copy), a division by the cached per-level norms, then
``argpartition``. Nothing here loops over vocabulary rows in Python.
"""
import numpy as np

# Upper bound on one chunk's score matrix in bytes; keeps big batches bounded in memory.
SCORE_BUDGET_BYTES = 64 << 20


def topk_desc(scores, topn):
    """Indices of the ``topn`` largest ``scores``, best first (gensim's ``matutils.argsort``)."""
    neg = -scores
    if topn >= neg.size:
        return np.argsort(neg)[:topn]
    part = np.argpartition(neg, topn)[:topn]
    return part.take(np.argsort(neg.take(part)))


_BLOCK = 64


def topk_desc_rows(scores, k):
    """Row-wise :func:`topk_desc` for a 2-D score matrix: ``(rows, k)`` column indices, best first.

    For wide rows and small ``k`` the columns are cut into 64-column blocks:
    the ``k`` blocks with the largest maxima hold every top-``k`` score (each
    top-``k`` score lifts its block's maximum to at least the ``k``-th score,
    and at most ``k`` blocks can do that), so the selection runs on one cheap
    max-reduction plus ``64 k`` candidates instead of the whole row. Blocks
    are interleaved (block ``b`` = columns ``b, b + nb, b + 2 nb, ...``) so that
    the reduction is an element-wise maximum of 64 contiguous slices, which
    vectorises far better than 64-wide row reductions.
    """
    rows, n = scores.shape
    if k <= 0:
        return np.zeros((rows, 0), dtype=np.intp)
    if k >= n:
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    n_blocks = n // _BLOCK
    if n_blocks >= 8 * k:
        head = scores[:, :n_blocks * _BLOCK].reshape(rows, _BLOCK, n_blocks)
        block_max = head.max(axis=1)
        top_blocks = np.argpartition(block_max, n_blocks - k, axis=1)[:, n_blocks - k:]
        cols = (top_blocks[:, :, None] + np.arange(_BLOCK) * n_blocks).reshape(rows, k * _BLOCK)
        if n_blocks * _BLOCK < n:  # the ragged tail is always a candidate
            tail = np.broadcast_to(np.arange(n_blocks * _BLOCK, n), (rows, n - n_blocks * _BLOCK))
            cols = np.concatenate([cols, tail], axis=1)
        sub = np.take_along_axis(scores, cols, axis=1)
    else:
        cols, sub = None, scores
    width = sub.shape[1]
    part = np.argpartition(sub, width - k, axis=1)[:, width - k:]
    order = np.argsort(-np.take_along_axis(sub, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    return best if cols is None else np.take_along_axis(cols, best, axis=1)


def candidate_rows(vectors, cand, m):
    """The prefix rows searched: a view for a slice, a gathered copy for an index array."""
    if isinstance(cand, slice):
        return vectors[cand, :m]
    return vectors[cand, :m] if cand.size else np.zeros((0, m), dtype=vectors.dtype)


def scores_for(vectors, safe_norms, query, m, cand):
    """Cosine scores of one unit-length prefix ``query`` against the candidates.

    ``query`` must be unit length; dividing by the row norms afterwards is
    the computation gensim does (``dot(vectors, mean) / norms``), so full
    level results agree with gensim to the last bit for the same BLAS.
    """
    query = np.asarray(query, dtype=vectors.dtype)
    if isinstance(cand, slice):
        return vectors[cand, :m] @ query / safe_norms[cand]
    n = vectors.shape[0]
    if cand.size * 4 > n:
        # A large subset: one pass over the strided prefix beats gathering rows.
        return (vectors[:, :m] @ query)[cand] / safe_norms[cand]
    return candidate_rows(vectors, cand, m) @ query / safe_norms[cand]


def batch_topk(vectors, safe_norms, queries, m, cand, k, self_idx=None):
    """Top-``k`` cosine neighbours of many unit-length prefix ``queries``.

    Parameters
    ----------
    vectors : numpy.ndarray
        ``(n, d)`` full matrix; only ``[:, :m]`` is read.
    safe_norms : numpy.ndarray
        Row norms of the prefix, zeros replaced by one.
    queries : numpy.ndarray
        ``(q, m)`` unit rows, same dtype as ``vectors``.
    cand : slice or numpy.ndarray
        Candidate rows (sorted global indices when an array).
    k : int
        Neighbours per query (already capped by the caller).
    self_idx : numpy.ndarray, optional
        Global index to exclude per query (``-1`` for none).

    Returns
    -------
    indices : numpy.ndarray of int64, shape ``(q, k)``
    scores : numpy.ndarray of float32, shape ``(q, k)``
    """
    n_q = queries.shape[0]
    if isinstance(cand, slice):
        start, stop, _ = cand.indices(vectors.shape[0])
        cand_global = None
        n_cand = max(0, stop - start)
        cand_norms = safe_norms[start:stop]
    else:
        start = 0
        cand_global = cand
        n_cand = cand.size
        cand_norms = safe_norms[cand]
    block = candidate_rows(vectors, cand, m)
    out_idx = np.empty((n_q, k), dtype=np.int64)
    out_scores = np.empty((n_q, k), dtype=np.float32)
    if n_q == 0 or k == 0:
        return out_idx, out_scores
    self_pos = None
    if self_idx is not None:
        if cand_global is None:
            self_pos = np.where((self_idx >= start) & (self_idx < start + n_cand), self_idx - start, -1)
        else:
            pos = np.searchsorted(cand_global, self_idx)
            pos = np.minimum(pos, max(n_cand - 1, 0))
            hit = (n_cand > 0) & (cand_global[pos] == self_idx) if n_cand else np.zeros(n_q, bool)
            self_pos = np.where(hit, pos, -1)
    rows_per_chunk = max(1, SCORE_BUDGET_BYTES // max(1, 4 * n_cand))
    for lo in range(0, n_q, rows_per_chunk):
        hi = min(n_q, lo + rows_per_chunk)
        sims = queries[lo:hi] @ block.T
        sims /= cand_norms
        if self_pos is not None:
            sp = self_pos[lo:hi]
            rows = np.flatnonzero(sp >= 0)
            sims[rows, sp[rows]] = -np.inf
        best = topk_desc_rows(sims, k)
        out_scores[lo:hi] = np.take_along_axis(sims, best, axis=1)
        out_idx[lo:hi] = best + start if cand_global is None else cand_global[best]
    return out_idx, out_scores
