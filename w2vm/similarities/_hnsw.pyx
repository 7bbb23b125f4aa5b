# cython: freethreading_compatible = True
"""Native core of :class:`w2vm.similarities.HNSWIndex` (insertion and search).

The graph lives in numpy arrays owned by the Python class, so that it can be
saved as ``.npy`` and memory-mapped back:

- ``data``     float32 (capacity, dim): the vectors the graph is walked on
  (normalised prefixes for cosine).
- ``links0``   int32 (capacity, 1 + 2M): level-0 neighbours, ``[count, ids...]``.
- ``levels``   int32 (capacity,): top level of each node.
- ``upper_off`` int64 (capacity,): where a node's level>=1 blocks start in ``upper``.
- ``upper``    int32 pool: per node and level >= 1 a block ``[count, M ids]``.

Python validates every array (shapes, dtypes, id ranges) before calling in;
nothing here checks again, because it runs without the GIL.
"""
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset, memcpy
from libc.math cimport INFINITY

from w2vm.similarities._distances cimport (
    w2vm_pair, w2vm_kernels_init, w2vm_kernel_name, w2vm_distance,
    w2vm_maxheap_push, w2vm_maxheap_pop, w2vm_minheap_push, w2vm_minheap_pop,
    w2vm_maxheap_drain_sorted, w2vm_prefetch_row,
)
from w2vm.similarities._omp_compat cimport (
    w2vm_lock_t, w2vm_lock_init, w2vm_lock_destroy, w2vm_lock_set, w2vm_lock_unset,
    w2vm_thread_num,
)

w2vm_kernels_init(0)
KERNEL = w2vm_kernel_name.decode()


cdef struct Graph:
    const float *data
    int dim
    int metric
    int32_t *links0
    int stride0          # 1 + M0
    const int32_t *levels
    const int64_t *upper_off
    int32_t *upper
    int stride_up        # 1 + M
    int M
    int M0
    w2vm_lock_t *locks   # NULL at query time: the graph is read-only then


cdef struct Scratch:
    uint16_t *visited      # uint16 tags: half the cache footprint of uint32
    uint16_t tag
    int64_t n_visited_cap
    w2vm_pair *cand
    int64_t cand_cap
    w2vm_pair *res
    w2vm_pair *sorted_res
    w2vm_pair *sel
    w2vm_pair *prune
    w2vm_pair *prune_sel   # separate from sel: link_back runs while sel is being iterated
    int32_t *nbuf


cdef inline int32_t *get_links(Graph *g, int32_t node, int level) noexcept nogil:
    if level == 0:
        return g.links0 + <int64_t>node * g.stride0
    return g.upper + g.upper_off[node] + <int64_t>(level - 1) * g.stride_up


cdef inline float dist_to(Graph *g, const float *q, int32_t node) noexcept nogil:
    return w2vm_distance(g.metric, q, g.data + <int64_t>node * g.dim, g.dim)


cdef inline int read_links(Graph *g, int32_t node, int level, int32_t *out) noexcept nogil:
    """Copy a neighbour list; under the node's lock while the graph is being built."""
    cdef int32_t *links = get_links(g, node, level)
    cdef int cnt
    if g.locks != NULL:
        w2vm_lock_set(&g.locks[node])
    cnt = links[0]
    memcpy(out, links + 1, cnt * sizeof(int32_t))
    if g.locks != NULL:
        w2vm_lock_unset(&g.locks[node])
    return cnt


cdef int scratch_init(Scratch *s, int64_t n_cap, int64_t ef, int M0,
                      uint16_t *visited) noexcept nogil:
    s.visited = visited
    s.n_visited_cap = n_cap
    s.tag = 0
    s.cand_cap = 1024
    s.cand = <w2vm_pair *> malloc(s.cand_cap * sizeof(w2vm_pair))
    s.res = <w2vm_pair *> malloc((ef + 2) * sizeof(w2vm_pair))
    s.sorted_res = <w2vm_pair *> malloc((ef + 2) * sizeof(w2vm_pair))
    s.sel = <w2vm_pair *> malloc((M0 + 2) * sizeof(w2vm_pair))
    s.prune = <w2vm_pair *> malloc((2 * M0 + 2) * sizeof(w2vm_pair))
    s.prune_sel = <w2vm_pair *> malloc((2 * M0 + 2) * sizeof(w2vm_pair))
    s.nbuf = <int32_t *> malloc((M0 + 2) * sizeof(int32_t))
    if (s.cand == NULL or s.res == NULL or s.sorted_res == NULL or s.sel == NULL
            or s.prune == NULL or s.prune_sel == NULL or s.nbuf == NULL):
        return -1
    return 0


cdef void scratch_free(Scratch *s) noexcept nogil:
    free(s.cand)
    free(s.res)
    free(s.sorted_res)
    free(s.sel)
    free(s.prune)
    free(s.prune_sel)
    free(s.nbuf)


cdef inline uint16_t next_tag(Scratch *s, uint16_t *tag_store) noexcept nogil:
    # A per-thread generation counter makes "clear the visited set" O(1); the
    # array is only wiped when the counter wraps around.
    tag_store[0] += 1
    if tag_store[0] == 0:
        memset(s.visited, 0, s.n_visited_cap * sizeof(uint16_t))
        tag_store[0] = 1
    return tag_store[0]


cdef int64_t search_layer(Graph *g, Scratch *s, uint16_t *tag_store, const float *q,
                          int32_t ep, float ep_d, int64_t ef, int level,
                          const uint8_t *allowed) noexcept nogil:
    """Best-first search of one layer; returns the size of the result max-heap ``s.res``.

    With ``allowed`` the walk still passes through disallowed nodes (they keep
    the graph connected) but only allowed ones enter the results.
    """
    cdef uint16_t tag = next_tag(s, tag_store)
    cdef int64_t cand_size = 0, res_size = 0
    cdef float lower, d
    cdef w2vm_pair c
    cdef int cnt, j, n_new
    cdef int32_t nb
    cdef w2vm_pair *grown
    s.visited[ep] = tag
    w2vm_minheap_push(s.cand, &cand_size, ep_d, ep)
    if allowed == NULL or allowed[ep]:
        w2vm_maxheap_push(s.res, &res_size, ep_d, ep)
    lower = s.res[0].d if res_size > 0 else INFINITY
    while cand_size > 0:
        c = s.cand[0]
        if c.d > lower and (res_size >= ef or allowed == NULL):
            break
        w2vm_minheap_pop(s.cand, &cand_size)
        cnt = read_links(g, c.id, level, s.nbuf)
        # Two passes: first keep the unvisited neighbours and prefetch their
        # rows, then compute distances while the later rows are on their way.
        n_new = 0
        for j in range(cnt):
            nb = s.nbuf[j]
            if s.visited[nb] != tag:
                s.visited[nb] = tag
                s.nbuf[n_new] = nb
                n_new += 1
                w2vm_prefetch_row(g.data + <int64_t>nb * g.dim, g.dim)
        for j in range(n_new):
            nb = s.nbuf[j]
            d = dist_to(g, q, nb)
            if res_size < ef or d < lower:
                if cand_size == s.cand_cap:
                    grown = <w2vm_pair *> realloc(s.cand, 2 * s.cand_cap * sizeof(w2vm_pair))
                    if grown == NULL:
                        return res_size   # out of memory: stop with what we have
                    s.cand = grown
                    s.cand_cap *= 2
                w2vm_minheap_push(s.cand, &cand_size, d, nb)
                if allowed == NULL or allowed[nb]:
                    w2vm_maxheap_push(s.res, &res_size, d, nb)
                    if res_size > ef:
                        w2vm_maxheap_pop(s.res, &res_size)
                if res_size > 0:
                    lower = s.res[0].d
    return res_size


cdef inline int32_t greedy(Graph *g, Scratch *s, const float *q, int32_t cur, float *cur_d,
                           int level) noexcept nogil:
    cdef bint changed = True
    cdef int cnt, j
    cdef float d
    while changed:
        changed = False
        cnt = read_links(g, cur, level, s.nbuf)
        for j in range(cnt):
            d = dist_to(g, q, s.nbuf[j])
            if d < cur_d[0]:
                cur_d[0] = d
                cur = s.nbuf[j]
                changed = True
    return cur


cdef int select_heuristic(Graph *g, w2vm_pair *cands, int64_t n_cands, int max_out,
                          w2vm_pair *out, int32_t skip) noexcept nogil:
    """HNSW's neighbour heuristic: keep a candidate only if it is closer to the
    base point than to every neighbour kept so far (``cands`` sorted ascending).
    This spreads links over directions instead of piling them into one cluster."""
    cdef int n_out = 0, j
    cdef int64_t i
    cdef bint good
    cdef const float *ci
    for i in range(n_cands):
        if cands[i].id == skip:
            continue
        good = True
        ci = g.data + <int64_t>cands[i].id * g.dim
        for j in range(n_out):
            if w2vm_distance(g.metric, ci, g.data + <int64_t>out[j].id * g.dim, g.dim) < cands[i].d:
                good = False
                break
        if good:
            out[n_out] = cands[i]
            n_out += 1
            if n_out >= max_out:
                break
    return n_out


cdef inline void sort_pairs(w2vm_pair *a, int n) noexcept nogil:
    # Insertion sort: lists here hold at most 2M + 1 items.
    cdef int i, j
    cdef w2vm_pair x
    for i in range(1, n):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j].d > x.d:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


cdef void link_back(Graph *g, Scratch *s, int32_t node, int32_t new_id, float d_new,
                    int level) noexcept nogil:
    """Add ``new_id`` to ``node``'s list, pruning with the heuristic when full."""
    cdef int mmax = g.M0 if level == 0 else g.M
    cdef int32_t *links
    cdef int cnt, j, n_keep
    cdef const float *base
    w2vm_lock_set(&g.locks[node])
    links = get_links(g, node, level)
    cnt = links[0]
    for j in range(cnt):
        if links[1 + j] == new_id:
            w2vm_lock_unset(&g.locks[node])
            return
    if cnt < mmax:
        links[1 + cnt] = new_id
        links[0] = cnt + 1
    else:
        base = g.data + <int64_t>node * g.dim
        for j in range(cnt):
            s.prune[j].id = links[1 + j]
            s.prune[j].d = w2vm_distance(g.metric, base, g.data + <int64_t>links[1 + j] * g.dim, g.dim)
        s.prune[cnt].id = new_id
        s.prune[cnt].d = d_new
        sort_pairs(s.prune, cnt + 1)
        n_keep = select_heuristic(g, s.prune, cnt + 1, mmax, s.prune_sel, node)
        for j in range(n_keep):
            links[1 + j] = s.prune_sel[j].id
        links[0] = n_keep
    w2vm_lock_unset(&g.locks[node])


cdef void set_own_links(Graph *g, Scratch *s, int32_t x, int level, int n_sel) noexcept nogil:
    """Write the new node's list at ``level`` from ``s.sel``.

    With parallel insertion another thread may already have linked to ``x``
    at this level (it reached ``x`` through a level above); those links are
    merged in, and pruned with the heuristic if the list overflows, instead
    of being overwritten.
    """
    cdef int mmax = g.M0 if level == 0 else g.M
    cdef int32_t *links
    cdef int cnt, j, i, n = 0, n_keep
    cdef bint dup
    cdef const float *base = g.data + <int64_t>x * g.dim
    w2vm_lock_set(&g.locks[x])
    links = get_links(g, x, level)
    cnt = links[0]
    if cnt == 0:
        for j in range(n_sel):
            links[1 + j] = s.sel[j].id
        links[0] = n_sel
    else:
        for j in range(n_sel):
            s.prune[n] = s.sel[j]
            n += 1
        for i in range(cnt):
            dup = links[1 + i] == x
            for j in range(n_sel):
                if s.sel[j].id == links[1 + i]:
                    dup = True
                    break
            if not dup:
                s.prune[n].id = links[1 + i]
                s.prune[n].d = w2vm_distance(g.metric, base, g.data + <int64_t>links[1 + i] * g.dim, g.dim)
                n += 1
        if n <= mmax:
            for j in range(n):
                links[1 + j] = s.prune[j].id
            links[0] = n
        else:
            sort_pairs(s.prune, n)
            n_keep = select_heuristic(g, s.prune, n, mmax, s.prune_sel, x)
            for j in range(n_keep):
                links[1 + j] = s.prune_sel[j].id
            links[0] = n_keep
    w2vm_lock_unset(&g.locks[x])


cdef void insert_one(Graph *g, Scratch *s, uint16_t *tag_store, int32_t x, int64_t ef_c,
                     int64_t *state, w2vm_lock_t *global_lock) noexcept nogil:
    cdef int L = g.levels[x]
    cdef int32_t ep
    cdef int maxlevel, lev, j, n_sel
    cdef bint top = False
    cdef float cur_d
    cdef int64_t n_res
    cdef int32_t *links
    cdef const float *q = g.data + <int64_t>x * g.dim

    w2vm_lock_set(global_lock)
    ep = <int32_t>state[0]
    maxlevel = <int>state[1]
    if L > maxlevel:
        top = True     # keep the lock: this node becomes the new entry point
    else:
        w2vm_lock_unset(global_lock)

    cur_d = dist_to(g, q, ep)
    lev = maxlevel
    while lev > L:
        ep = greedy(g, s, q, ep, &cur_d, lev)
        lev -= 1
    lev = L if L < maxlevel else maxlevel
    while lev >= 0:
        n_res = search_layer(g, s, tag_store, q, ep, cur_d, ef_c, lev, NULL)
        w2vm_maxheap_drain_sorted(s.res, n_res, s.sorted_res)
        n_sel = select_heuristic(g, s.sorted_res, n_res, g.M, s.sel, x)
        set_own_links(g, s, x, lev, n_sel)
        for j in range(n_sel):
            link_back(g, s, s.sel[j].id, x, s.sel[j].d, lev)
        if n_res > 0 and s.sorted_res[0].id != x:
            ep = s.sorted_res[0].id
            cur_d = s.sorted_res[0].d
        lev -= 1

    if top:
        state[0] = x
        state[1] = L
        w2vm_lock_unset(global_lock)


cdef void fill_graph(Graph *g, const float[:, ::1] data, const int32_t[:, ::1] links0,
                     const int32_t[::1] levels, const int64_t[::1] upper_off,
                     const int32_t[::1] upper, int M, int metric) noexcept nogil:
    # The const views let a memory-mapped (read-only) index be searched; only
    # insert_batch writes through these pointers, and it is given writable arrays.
    g.data = &data[0, 0]
    g.dim = data.shape[1]
    g.metric = metric
    g.links0 = <int32_t *> &links0[0, 0]
    g.stride0 = links0.shape[1]
    g.M0 = links0.shape[1] - 1
    g.levels = &levels[0]
    g.upper_off = &upper_off[0]
    g.upper = <int32_t *> &upper[0]
    g.M = M
    g.stride_up = M + 1
    g.locks = NULL


def insert_batch(const float[:, ::1] data, int32_t[:, ::1] links0, const int32_t[::1] levels,
                 const int64_t[::1] upper_off, int32_t[::1] upper, int M, int metric,
                 const int32_t[::1] new_slots, int64_t ef_construction, int64_t[::1] state,
                 uint16_t[:, ::1] visited, uint16_t[::1] tags, int n_threads):
    """Insert ``new_slots`` (rows of ``data`` already written, links zeroed).

    ``state`` is ``[entry point, max level]``, updated in place; the graph must
    already hold at least one node (Python inserts the first one).
    ``visited`` has one row per thread (``n_threads`` rows).
    """
    cdef Graph g
    cdef int64_t n_nodes = data.shape[0], i, n_new = new_slots.shape[0]
    cdef w2vm_lock_t *locks
    cdef w2vm_lock_t global_lock
    cdef Scratch *scratch
    cdef int t, failed = 0
    if n_new == 0:
        return
    fill_graph(&g, data, links0, levels, upper_off, upper, M, metric)
    locks = <w2vm_lock_t *> malloc(n_nodes * sizeof(w2vm_lock_t))
    scratch = <Scratch *> malloc(n_threads * sizeof(Scratch))
    if locks == NULL or scratch == NULL:
        free(locks)
        free(scratch)
        raise MemoryError()
    memset(scratch, 0, n_threads * sizeof(Scratch))
    with nogil:
        for i in range(n_nodes):
            w2vm_lock_init(&locks[i])
        w2vm_lock_init(&global_lock)
        g.locks = locks
        for t in range(n_threads):
            if scratch_init(&scratch[t], visited.shape[1], ef_construction, g.M0, &visited[t, 0]) != 0:
                failed = 1
        if not failed:
            for i in prange(n_new, num_threads=n_threads, schedule='dynamic', chunksize=16):
                t = w2vm_thread_num()
                insert_one(&g, &scratch[t], &tags[t], new_slots[i], ef_construction,
                           &state[0], &global_lock)
        for t in range(n_threads):
            scratch_free(&scratch[t])
        for i in range(n_nodes):
            w2vm_lock_destroy(&locks[i])
        w2vm_lock_destroy(&global_lock)
    free(locks)
    free(scratch)
    if failed:
        raise MemoryError()


def search_batch(const float[:, ::1] data, const int32_t[:, ::1] links0, const int32_t[::1] levels,
                 const int64_t[::1] upper_off, const int32_t[::1] upper, int M, int metric,
                 int32_t entry, int max_level, const float[:, ::1] queries, int64_t ef,
                 const uint8_t[::1] allowed, uint16_t[:, ::1] visited, uint16_t[::1] tags,
                 int n_threads, int32_t[:, ::1] out_ids, float[:, ::1] out_dist):
    """Search every query; writes the ``out_ids.shape[1]`` closest (sorted) per row.

    ``allowed`` (uint8 per slot, or None) restricts the results; -1 / +inf pad
    rows with fewer results. ``ef`` >= ``out_ids.shape[1]``.
    """
    cdef Graph g
    cdef int64_t n_q = queries.shape[0], i, j, n_res, k_out = out_ids.shape[1]
    cdef const uint8_t *allowed_p = NULL
    cdef Scratch *scratch
    cdef int t, lev, failed = 0
    cdef int32_t cur
    cdef float cur_d
    cdef const float *q
    if n_q == 0:
        return
    if allowed is not None:
        allowed_p = &allowed[0]
    fill_graph(&g, data, links0, levels, upper_off, upper, M, metric)
    scratch = <Scratch *> malloc(n_threads * sizeof(Scratch))
    if scratch == NULL:
        raise MemoryError()
    memset(scratch, 0, n_threads * sizeof(Scratch))
    with nogil:
        for t in range(n_threads):
            if scratch_init(&scratch[t], visited.shape[1], ef, g.M0, &visited[t, 0]) != 0:
                failed = 1
        if not failed:
            for i in prange(n_q, num_threads=n_threads, schedule='dynamic', chunksize=4):
                t = w2vm_thread_num()
                q = &queries[i, 0]
                cur = entry
                cur_d = dist_to(&g, q, cur)
                lev = max_level
                while lev > 0:
                    cur = greedy(&g, &scratch[t], q, cur, &cur_d, lev)
                    lev = lev - 1
                n_res = search_layer(&g, &scratch[t], &tags[t], q, cur, cur_d, ef, 0, allowed_p)
                w2vm_maxheap_drain_sorted(scratch[t].res, n_res, scratch[t].sorted_res)
                for j in range(k_out):
                    if j < n_res:
                        out_ids[i, j] = scratch[t].sorted_res[j].id
                        out_dist[i, j] = scratch[t].sorted_res[j].d
                    else:
                        out_ids[i, j] = -1
                        out_dist[i, j] = INFINITY
        for t in range(n_threads):
            scratch_free(&scratch[t])
    free(scratch)
    if failed:
        raise MemoryError()
