"""Exact search with BLAS: the reference every approximate index is measured against."""
from w2vm.similarities.base import BaseIndex


class BruteForceIndex(BaseIndex):
    """Exact top-K by matrix products (numpy ``@`` on float32, i.e. BLAS sgemm).

    With ``index_level`` below the full dimension it becomes a funnel too: an
    exact scan of the prefix, then re-ranking of the shortlist on the full
    vector. Deleted rows are compacted away once they reach half the index.
    """

    kind = "brute"

    def _build_structure(self):
        pass

    def _add_structure(self, new_slots):
        pass

    def _search_slots(self, queries, n_out, allowed, n_threads, params):
        # queries are already prepared at index_level; _exact re-prepares
        # idempotently (normalising a unit vector is a no-op).
        import numpy as np

        subset = None if allowed is None else np.flatnonzero(allowed)
        return self._exact(queries, self.index_level, n_out, subset)
