"""A PyTorch two-tower model on top of item2vec (needs ``pip install 'w2vm[torch]'``).

- Item tower: ``nn.Embedding.from_pretrained(item2vec vectors)``, fine-tuned.
- User tower: the mean (``nn.EmbeddingBag``) of the user's last ``hist_len``
  items, also initialised from item2vec, then a linear map initialised to the
  identity: at step 0 the model *is* item2vec with a last-N user vector.
- Training: next-item prediction over the training log, InfoNCE with
  in-batch negatives on CPU, summed over the Matryoshka prefixes (each prefix
  normalised, so every prefix stays usable for funnel search). In-batch
  negatives are drawn in proportion to popularity; the logQ correction
  (Yi et al. 2019) subtracts ``log`` of each item's frequency from its
  logit so that popular items are not pushed away merely for being frequent.
- Export: item vectors as a :class:`w2vm.KeyedVectors` and user vectors as
  an array, which :class:`~w2vm.recall.retrieval.ItemRecall` indexes as it
  does item2vec's.

This module imports torch at import time; ``w2vm.recall`` never imports it
unless it is used.
"""
import numbers
import time

import numpy as np
import torch
from torch import nn

from w2vm.recall.interactions import Interactions

__all__ = ["TwoTower", "train_two_tower"]


def _history_batch(items, starts, ends, hist_len):
    """Flat EmbeddingBag input for windows ``items[max(start, end - hist_len):end]``."""
    lo = np.maximum(starts, ends - hist_len)
    lengths = ends - lo
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat = np.repeat(lo - offsets, lengths) + np.arange(int(lengths.sum()))
    return torch.from_numpy(items[flat]), torch.from_numpy(offsets)


class TwoTower(nn.Module):
    """User tower (mean of history embeddings + linear map) and item tower (embedding table).

    Parameters
    ----------
    item_init : float array (n_items, d)
        Initial item vectors by item code (item2vec's); zero rows allowed.
    levels : list of int, optional
        Prefixes trained jointly (default: the full dimension only).
    hist_len : int
        History length the user tower reads.
    """

    def __init__(self, item_init, levels=None, hist_len=20):
        super().__init__()
        init = torch.as_tensor(np.ascontiguousarray(item_init, dtype=np.float32))
        if init.ndim != 2:
            raise ValueError(f"item_init must be 2-d (n_items, d), got shape {tuple(init.shape)}")
        d = init.shape[1]
        self.levels = [d] if levels is None else [int(m) for m in levels]
        if not self.levels or self.levels[-1] != d or any(b <= a for a, b in zip(self.levels, self.levels[1:])):
            raise ValueError(f"levels must increase and end at d={d}, got {self.levels}")
        self.hist_len = int(hist_len)
        self.item_tower = nn.Embedding.from_pretrained(init.clone(), freeze=False)
        self.history = nn.EmbeddingBag.from_pretrained(init.clone(), freeze=False, mode="mean")
        self.user_map = nn.Linear(d, d, bias=False)
        with torch.no_grad():
            self.user_map.weight.copy_(torch.eye(d))

    def user(self, flat_items, offsets):
        return self.user_map(self.history(flat_items, offsets))

    def loss(self, users, targets, log_q=None, temperature=0.05):
        """Summed InfoNCE over the levels; in-batch negatives, repeated targets masked."""
        items = self.item_tower(targets)
        same = targets[:, None] == targets[None, :]
        mask = same & ~torch.eye(len(targets), dtype=torch.bool)
        total = 0.0
        for m in self.levels:
            u = nn.functional.normalize(users[:, :m], dim=1)
            v = nn.functional.normalize(items[:, :m], dim=1)
            logits = u @ v.T / temperature
            if log_q is not None:
                logits = logits - log_q[targets][None, :]
            logits = logits.masked_fill(mask, float("-inf"))
            total = total + nn.functional.cross_entropy(logits, torch.arange(len(targets)))
        return total

    def export(self, history, keys=None):
        """``(item KeyedVectors, user vectors (n_users, d) float32)``.

        Parameters
        ----------
        history : Interactions
            Each user's vector reads their last ``hist_len`` events.
        keys : list of str, optional
            Item keys by code (default ``str(history.item_labels)``).
        """
        from w2vm.models.keyedvectors import KeyedVectors

        if not isinstance(history, Interactions):
            raise TypeError(f"history must be an Interactions, not {type(history).__name__}")
        with torch.no_grad():
            V = self.item_tower.weight.detach().numpy().astype(np.float32)
            off = history.offsets
            U = np.zeros((history.n_users, V.shape[1]), np.float32)
            has = np.flatnonzero(np.diff(off) > 0)
            for s in range(0, has.size, 4096):
                u = has[s:s + 4096]
                flat, offsets = _history_batch(history.items, off[u], off[u + 1], self.hist_len)
                U[u] = self.user(flat, offsets).numpy()
        keys = [str(x) for x in history.item_labels.tolist()] if keys is None else list(keys)
        seen = np.flatnonzero(np.bincount(history.items, minlength=history.n_items) > 0)
        kv = KeyedVectors(V.shape[1], levels=self.levels)
        kv.add_vectors([keys[i] for i in seen.tolist()], V[seen])
        return kv, U


def train_two_tower(train, item_vecs, levels=None, hist_len=20, epochs=3, batch_size=512, lr=1e-3,
                    temperature=0.05, logq=True, seed=1, threads=1, log=None):
    """Fine-tune a :class:`TwoTower` on next-item prediction over ``train``.

    Every event after a user's first is a training example: its item is the
    target and the user's ``hist_len`` events before it are the history.

    Parameters
    ----------
    train : Interactions
    item_vecs : float array (n_items, d)
        item2vec vectors by item code (:func:`~w2vm.recall.item2vec.item_vectors`).
    levels : list of int, optional
    hist_len, epochs, batch_size : int
    lr, temperature : float
    logq : bool
        Apply the logQ popularity correction to in-batch negatives.
    seed : int
    threads : int or None
        ``torch.set_num_threads`` for the run (restored afterwards). Default 1:
        the batches are small, and on a shared 2-core machine two torch
        threads ran 8x slower than one (OpenMP threads spin while waiting
        for each other). ``None`` keeps torch's setting.
    log : callable, optional
        Called with one progress string per epoch.

    Returns
    -------
    TwoTower
        In eval mode; call :meth:`TwoTower.export`.
    """
    if not isinstance(train, Interactions):
        raise TypeError(f"train must be an Interactions, not {type(train).__name__}")
    for name, v in (("hist_len", hist_len), ("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    if batch_size < 2:
        raise ValueError("batch_size must be >= 2: in-batch negatives need other rows")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    # Softmax gradients of far-off negatives underflow into denormals, which
    # made later epochs up to 10x slower on x86 CPUs; flush them to zero.
    torch.set_flush_denormal(True)
    try:
        model = TwoTower(item_vecs, levels=levels, hist_len=hist_len)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        off = train.offsets
        pos_in_user = np.arange(len(train)) - off[train.users]
        examples = np.flatnonzero(pos_in_user >= 1)
        if examples.size < 2:
            raise ValueError("train has fewer than 2 events with a history: nothing to learn")
        counts = np.bincount(train.items, minlength=train.n_items).astype(np.float64)
        log_q = torch.from_numpy(np.log(np.maximum(counts, 1) / counts.sum()).astype(np.float32)) if logq else None
        starts = off[train.users]
        model.train()
        for epoch in range(epochs):
            t0 = time.perf_counter()
            order = rng.permutation(examples)
            total, steps = 0.0, 0
            for s in range(0, order.size - 1, batch_size):
                ex = order[s:s + batch_size]
                if ex.size < 2:
                    break
                flat, offsets = _history_batch(train.items, starts[ex], ex, hist_len)
                users = model.user(flat, offsets)
                loss = model.loss(users, torch.from_numpy(train.items[ex]), log_q, temperature)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
                steps += 1
            if log is not None:
                log(f"two-tower epoch {epoch + 1}/{epochs}: loss {total / max(steps, 1):.4f} "
                    f"({time.perf_counter() - t0:.1f} s)")
        model.eval()
        return model
    finally:
        torch.set_num_threads(old_threads)
        torch.set_flush_denormal(False)
