"""Inputs and targets shared by the loader fuzz tests and ``run_fuzz.py``.

A *target* is a function ``target(folder, rng)``: it writes one input (a valid
file, a mutated one or random bytes, chosen with ``rng``, a ``random.Random``)
into the empty ``folder``, runs one loader on it and, when the load succeeds,
uses the result a little (a search, a training pass) so that a value that got
past validation but would crash native code is caught too. The contract is
:func:`check_outcome`'s: load, or raise ``ValueError`` / ``EOFError`` (or a
subclass) with a message.

The same targets are driven by hypothesis (``st.randoms()``, shrinkable) in
the ``test_fuzz_*.py`` files and by a seeded ``random.Random`` in
``run_fuzz.py``.
"""
import atexit
import bz2
import copy
import functools
import gzip
import io
import json
import lzma
import os
import random
import re
import shutil
import tempfile
import warnings

import numpy as np

ALLOWED = (ValueError, EOFError)  # UnicodeDecodeError is a ValueError

# Values a damaged or hostile file may declare.
INTS = [0, 1, -1, 2, 3, 4, 7, 8, 31, 32, 33, 64, 255, 256, 65535, 2**31 - 1, 2**31, -2**31, 2**32,
        2**53 + 1, 2**63 - 1, 2**63, -2**63, 2**64, 10**30, -(10**30)]
NUMBER_TEXT = [b"0", b"1", b"-1", b"2", b"-0", b"+5", b"007", b"99999999999999999999", b"2147483648",
               b"18446744073709551616", b"1e309", b"-1e309", b"nan", b"inf", b"-inf", b"NaN", b"1_000",
               b"0x10", b"1.5", b"3e38", b"1e-50", "\u0661\u0662".encode(), b"9" * 5000, b""]
JSON_VALUES = [None, True, False, 0, -1, 1, 2, 2**31, 2**63, 2**64, 10**30, -(10**30), 1.5, -0.0, 1e308,
               float("nan"), float("inf"), "", "x", "float32", "../../etc/passwd", "\ud800", [], [1], [[1]],
               [-1, 2**40], {}, {"a": 1}, [None], ["a", "a"], list(range(40))]
SPECIAL_BYTES = b"\x00\n\r \t\x0b\x0c\x1c\x85\xa0\xff\xfe\x80\xc0\xed-+.e9"


def check_outcome(call):
    """Run ``call()``; return ``'loaded'`` or the name of an allowed exception type.

    Any other exception propagates (a test failure); an allowed one must carry
    a message.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except ALLOWED as exc:
            if not str(exc).strip():
                raise AssertionError(f"{type(exc).__name__} raised without a message") from exc
            return type(exc).__name__
    return "loaded"


def fresh_folder(root, name="case"):
    """An empty folder ``root/name`` (emptied if it exists)."""
    path = os.path.join(root, name)
    shutil.rmtree(path, ignore_errors=True)
    os.mkdir(path)
    return path


def scratch_root():
    """A temporary folder, on tmpfs when there is one (faster for millions of small files)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="w2vm-fuzz-", dir=base)


_SCRATCH = []


def run_seeded(name, seed):
    """Run target ``name`` on the input drawn from ``random.Random(seed)``; return its outcome."""
    if not _SCRATCH:
        _SCRATCH.append(scratch_root())
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    folder = fresh_folder(_SCRATCH[0])
    rng = random.Random(seed)
    return check_outcome(lambda: TARGETS[name](folder, rng))


def fuzz_settings(max_examples):
    """Deterministic hypothesis settings for the default suite (no database, no deadline)."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def npy_raw_header(header_text, payload=b""):
    """A version-1.0 ``.npy`` file with ``header_text`` as its header, verbatim (possibly malformed)."""
    hb = header_text.encode("latin1")
    hb += b" " * (-(10 + len(hb) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(hb).to_bytes(2, "little") + hb + payload


# ------------------------------------------------------------------ mutations
def mutate_bytes(data, rng, n_ops=None):
    """Byte-level mutations: truncate, flip, overwrite, insert, delete, duplicate, numbers."""
    data = bytearray(data)
    for _ in range(n_ops or rng.randint(1, 4)):
        op = rng.randrange(9)
        n = len(data)
        if op == 0 and n:  # truncate
            del data[rng.randrange(n):]
        elif op == 1 and n:  # flip bits
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 2 and n:  # overwrite with a special byte
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(n)] = rng.choice(SPECIAL_BYTES)
        elif op == 3:  # insert random bytes
            pos = rng.randint(0, n)
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 4 and n:  # delete a range
            a = rng.randrange(n)
            del data[a:a + rng.randint(1, 16)]
        elif op == 5 and n:  # duplicate a range
            a = rng.randrange(n)
            b = min(n, a + rng.randint(1, 64))
            data[b:b] = data[a:b]
        elif op == 6:  # replace a number
            data = bytearray(mutate_numbers(bytes(data), rng))
        elif op == 7 and n:  # insert a special byte
            pos = rng.randint(0, n)
            data[pos:pos] = bytes([rng.choice(SPECIAL_BYTES)]) * rng.choice([1, 1, 2, 100])
        elif op == 8 and n > 1:  # swap two ranges' bytes
            a, b = rng.randrange(n), rng.randrange(n)
            data[a], data[b] = data[b], data[a]
    return bytes(data)


_NUMBER = re.compile(rb"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")


def mutate_numbers(data, rng):
    """Replace one number written in ``data`` by a hostile one."""
    found = list(_NUMBER.finditer(data[:1 << 16]))
    if not found:
        return data
    m = rng.choice(found)
    return data[:m.start()] + rng.choice(NUMBER_TEXT) + data[m.end():]


def random_bytes(rng, max_len=256):
    """Random bytes, biased towards the bytes parsers care about."""
    n = rng.choice([0, 1, 2, rng.randint(0, 16), rng.randint(0, max_len)])
    if rng.random() < 0.5:
        return bytes(rng.randrange(256) for _ in range(n))
    return bytes(rng.choice(SPECIAL_BYTES + b"0123456789 ab\n") for _ in range(n))


def _json_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:8]):
            yield from _json_paths(v, prefix + (i,))


def mutate_json(data, rng):
    """Structured mutation: one value (anywhere in the tree) replaced, deleted or retyped."""
    try:
        obj = json.loads(data)
    except ValueError:
        return mutate_bytes(data, rng)
    for _ in range(rng.randint(1, 3)):
        paths = list(_json_paths(obj))
        path = rng.choice(paths)
        value = copy.deepcopy(rng.choice(JSON_VALUES))
        if rng.random() < 0.3 and isinstance(value, int) and not isinstance(value, bool):
            value = rng.choice(INTS)
        if not path:
            obj = value if rng.random() < 0.2 else obj
            continue
        parent = obj
        for p in path[:-1]:
            parent = parent[p]
        last = path[-1]
        r = rng.random()
        if r < 0.15 and isinstance(parent, dict):
            del parent[last]
        elif r < 0.25 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif r < 0.35 and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
            parent[last] = parent[last] + rng.choice([-1, 1, 2**31])
        else:
            parent[last] = value
    return json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_with_header(header, payload):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + payload


def _npy_parts(data):
    buf = io.BytesIO(data)
    np.lib.format.read_magic(buf)
    shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf)
    return shape, fortran, dtype, data[buf.tell():]


def mutate_npy(data, rng):
    """Structured mutation of a ``.npy`` file: its declared shape/dtype/order, or its values."""
    try:
        shape, fortran, dtype, payload = _npy_parts(data)
    except Exception:
        return mutate_bytes(data, rng)
    op = rng.randrange(4)
    if op == 0:  # declared shape
        shape = list(shape) or [1]
        choice = rng.randrange(4)
        if choice == 0:
            shape[rng.randrange(len(shape))] = rng.choice([0, 1, 2, 3, 2**31, 2**40, 2**62, 10**12])
        elif choice == 1:
            shape.append(rng.choice([0, 1, 2, 2**33]))
        elif choice == 2:
            shape = shape[:-1]
        else:
            shape = [rng.choice([0, 1, 5, 2**32, 2**62]) for _ in range(rng.randint(0, 3))]
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran, "shape": tuple(shape)}
        return npy_with_header(header, payload)
    if op == 1:  # declared dtype / order
        descr = rng.choice(["<f4", ">f4", "<f8", "<f2", "<i4", "<i8", ">i8", "<u8", "|u1", "|b1", "<c8",
                            "|S4", "<U2", "|V4", [("a", "<f4")]])
        header = {"descr": descr, "fortran_order": rng.random() < 0.2, "shape": shape}
        return npy_with_header(header, payload)
    if op == 2:  # values
        try:
            arr = np.frombuffer(payload, dtype=dtype).copy()
        except ValueError:
            return mutate_bytes(data, rng)
        if arr.size:
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(arr.size)
                if dtype.kind == "f":
                    arr[i] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e38, 1e-45])
                elif dtype.kind in "iu":
                    info = np.iinfo(dtype)
                    v = rng.choice(INTS + [arr.size, arr.size - 1, arr.size + 1, int(arr.max()) + 1])
                    arr[i] = min(max(v, info.min), info.max)
                else:
                    arr.view(np.uint8)[rng.randrange(arr.nbytes)] ^= 0xFF
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran, "shape": shape}
        return npy_with_header(header, arr.tobytes())
    return mutate_bytes(data, rng)


def mutate_file_bytes(name, data, rng):
    """A mutation suited to the file's kind (JSON, .npy or text/binary)."""
    r = rng.random()
    if r < 0.05:
        return random_bytes(rng)
    if name.endswith(".json") and r < 0.75:
        return mutate_json(data, rng)
    if name.endswith(".npy") and r < 0.75:
        return mutate_npy(data, rng)
    return mutate_bytes(data, rng)


def compress(name, data, rng):
    """``(name, data)`` compressed as gz/bz2/xz, sometimes with the compressed bytes damaged."""
    kind = rng.choice(["gz", "bz2", "xz"])
    packed = {"gz": lambda b: gzip.compress(b, mtime=0), "bz2": bz2.compress, "xz": lzma.compress}[kind](data)
    if rng.random() < 0.4:
        packed = mutate_bytes(packed, rng)
    return f"{name}.{kind}", packed


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


# --------------------------------------------------------- word2vec formats
KEY_ALPHABET = "abcxyz\u00e9\u4e2d\U0001f600_-'\t\x00"


def _random_key(rng):
    return "".join(rng.choice(KEY_ALPHABET) for _ in range(rng.randint(1, 5)))


def w2v_bytes(rng, binary, header=True):
    """A valid word2vec file (plus its keys and vectors) with a few variations of layout."""
    n, d = rng.randint(0, 6), rng.randint(1, 5)
    keys = [_random_key(rng) for _ in range(n)]
    vecs = (np.array([rng.gauss(0, 1) for _ in range(n * d)], dtype=np.float32).reshape(n, d))
    out = [f"{n} {d}\n".encode()] if header else []
    for key, row in zip(keys, vecs):
        k = key.encode("utf-8")
        if binary:
            out.append(k + b" " + row.astype("<f4").tobytes() + (b"\n" if rng.random() < 0.5 else b""))
        else:
            line = k + b" " + " ".join(map(str, row)).encode()
            out.append(line + rng.choice([b"\n", b"\n", b" \n", b"\r\n"]))
    return b"".join(out), keys


def fvocab_bytes(rng, keys):
    return b"".join(f"{k} {rng.randint(0, 100)}\n".encode() for k in keys)


def run_w2v(folder, rng, binary, via_kv=False):
    """One word2vec-format input through ``load_word2vec_format`` (sometimes via KeyedVectors)."""
    from w2vm.io.word2vec_format import load_word2vec_format
    from w2vm.models.keyedvectors import KeyedVectors

    no_header = not binary and rng.random() < 0.15
    if rng.random() < 0.07:
        data, keys = random_bytes(rng), []
    else:
        data, keys = w2v_bytes(rng, binary, header=not no_header)
        if rng.random() < 0.85:
            data = mutate_bytes(data, rng)
    name = "vectors.bin" if binary else "vectors.txt"
    if rng.random() < 0.1:
        name, data = compress(name, data, rng)
    path = write(folder, name, data)
    fvocab = None
    if rng.random() < 0.2:
        vocab = fvocab_bytes(rng, keys)
        if rng.random() < 0.6:
            vocab = mutate_bytes(vocab, rng)
        fvocab = write(folder, "vocab.txt", vocab)
    kwargs = dict(binary=binary, fvocab=fvocab, no_header=no_header,
                  limit=rng.choice([None, None, 0, 1, 2, 3, 100]),
                  unicode_errors=rng.choice(["strict", "strict", "replace", "ignore"]),
                  datatype=rng.choice([np.float32, np.float32, np.float64, np.float16]))
    if via_kv:
        kv = KeyedVectors.load_word2vec_format(path, **kwargs)
        check_kv(kv)
    else:
        keys, vectors, counts = load_word2vec_format(path, **kwargs)
        assert vectors.ndim == 2 and vectors.shape[0] == len(keys) == len(counts)
        assert vectors.dtype == kwargs["datatype"] and np.isfinite(vectors).all()
        assert len(set(keys)) == len(keys)


def check_kv(kv, finite=True):
    """Use a loaded KeyedVectors: lookups and a most_similar through the native top-k."""
    n = len(kv.index_to_key)
    assert kv.vectors.shape[0] == n
    if finite:
        assert np.isfinite(np.asarray(kv.vectors)).all()
    if n:
        key = kv.index_to_key[0]
        assert kv.get_index(key) == 0
        kv.get_vector(key)
        if n > 1 and finite:
            kv.most_similar(key, topn=3)


# ------------------------------------------------------- vocab.json + .npy
def _files_in(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh:
            out[name] = fh.read()
    return out


@functools.lru_cache(maxsize=None)
def kv_seed_files():
    """A few saved KeyedVectors (name -> bytes), with and without counts, str and int keys."""
    from w2vm.models.keyedvectors import KeyedVectors

    seeds = []
    root = tempfile.mkdtemp(prefix="w2vm-fuzz-seed-")
    try:
        for i, (n, d, keys) in enumerate([(5, 4, None), (1, 1, None), (7, 8, "int"), (3, 6, "mixed")]):
            rs = np.random.default_rng(i)
            if keys is None:
                names = [f"w{j}\u00e9" for j in range(n)]
            elif keys == "int":
                names = list(range(n))
            else:
                names = ["a", 1, "\U0001f600"]
            kv = KeyedVectors(d, levels=[d // 2, d] if d > 1 else None)
            kv.add_vectors(names, rs.standard_normal((n, d)).astype(np.float32))
            if i % 2 == 0:
                kv.set_vecattr(names, "count", np.arange(n, 0, -1))
            folder = os.path.join(root, str(i))
            os.mkdir(folder)
            kv.save(os.path.join(folder, "kv"))
            seeds.append(_files_in(folder))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tuple(seeds)


@functools.lru_cache(maxsize=None)
def model_seed_files():
    """A few saved Word2Vec models (negative sampling, hierarchical softmax, both)."""
    from w2vm.models.word2vec import Word2Vec

    seeds = []
    root = tempfile.mkdtemp(prefix="w2vm-fuzz-seed-")
    try:
        corpus = [["a", "b", "c", "d"], ["e", "f", "a", "b"], ["c", "e", "\u00e9"]] * 5
        for i, (hs, negative) in enumerate([(0, 3), (1, 0), (1, 2)]):
            model = Word2Vec(corpus, vector_size=4, min_count=1, epochs=1, workers=1, seed=i, hs=hs,
                             negative=negative, levels=[2, 4])
            folder = os.path.join(root, str(i))
            os.mkdir(folder)
            model.save(os.path.join(folder, "model"))
            seeds.append(_files_in(folder))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tuple(seeds)


def mutate_file_set(files, rng, removable=()):
    """Mutate one or more files of a saved set; sometimes drop an optional one."""
    files = dict(files)
    names = sorted(files)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        name = rng.choice(names)
        files[name] = mutate_file_bytes(name, files[name], rng)
    for name in removable:
        if name in files and rng.random() < 0.05:
            del files[name]
    return files


def run_npy_vocab(folder, rng, via="kv"):
    """One ``.vocab.json`` + ``.npy`` (+ meta, counts) input through a loader."""
    from w2vm.io.npy_vocab import load_base, load_counts
    from w2vm.models.keyedvectors import KeyedVectors

    files = mutate_file_set(rng.choice(kv_seed_files()), rng, removable=("kv.meta.json", "kv.counts.npy"))
    for name, data in files.items():
        write(folder, name, data)
    base = os.path.join(folder, "kv")
    mmap = rng.choice([None, None, "r", "c"])
    if via == "kv":
        kv = KeyedVectors.load(base, mmap=mmap)
        check_kv(kv, finite=mmap is None)
    else:
        keys, vectors, meta = load_base(base, mmap=mmap)
        counts = load_counts(base, meta, len(keys))
        assert vectors.shape[0] == len(keys) and (counts is None or counts.shape == (len(keys),))


def run_model(folder, rng):
    """One Word2Vec model input through ``Word2Vec.load``, then a short training pass."""
    from w2vm.models.word2vec import Word2Vec

    files = mutate_file_set(rng.choice(model_seed_files()), rng, removable=("model.meta.json",))
    for name, data in files.items():
        write(folder, name, data)
    model = Word2Vec.load(os.path.join(folder, "model"))
    check_kv(model.wv)
    if rng.random() < 0.5:
        model.train([["a", "b", "c"], ["zz", "a"]], total_examples=2, epochs=1)


# ------------------------------------------------------------- index files
INDEX_KINDS = ("brute", "hnsw", "ivf_flat", "lsh")


@functools.lru_cache(maxsize=None)
def index_seed_files(kind):
    """A few saved indexes of ``kind``: plain, with keys/levels, rotated, with deletions, by reference."""
    from w2vm.models.keyedvectors import KeyedVectors
    from w2vm.similarities import INDEX_CLASSES

    klass = INDEX_CLASSES[kind]
    extra = {"hnsw": dict(M=4, ef_construction=16, seed=1), "ivf_flat": dict(n_lists=4, seed=1),
             "lsh": dict(n_tables=3, seed=1), "brute": {}}[kind]
    seeds = []
    root = tempfile.mkdtemp(prefix="w2vm-fuzz-seed-")
    try:
        rs = np.random.default_rng(7)
        x = rs.standard_normal((40, 8)).astype(np.float32)
        variants = [
            dict(params=dict(metric="cosine"), data=x),
            dict(params=dict(metric="l2", index_level=4), data="kv"),
            dict(params=dict(metric="ip", rotation="pca"), data=x, remove=[3, 5]),
            dict(params=dict(metric="cosine", index_level=2), data=x, reference=True),
        ]
        for i, v in enumerate(variants):
            folder = os.path.join(root, str(i))
            os.mkdir(folder)
            data = v["data"]
            if isinstance(data, str):
                data = KeyedVectors(8, levels=[2, 4, 8])
                data.add_vectors([f"k{j}" for j in range(40)], x)
            index = klass(**v["params"], **extra).build(data)
            for r in v.get("remove", ()):
                index.remove(r)
            if v.get("reference"):
                np.save(os.path.join(folder, "vectors.npy"), x)
                index.save(os.path.join(folder, "index"), vectors_file=os.path.join(folder, "vectors.npy"))
            else:
                index.save(os.path.join(folder, "index"))
            seeds.append(_files_in(folder))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tuple(seeds)


def run_index(folder, rng, kind):
    """One saved index of ``kind`` mutated, loaded and searched (native walk included)."""
    from w2vm.similarities import BaseIndex, INDEX_CLASSES

    files = mutate_file_set(rng.choice(index_seed_files(kind)), rng)
    for name, data in files.items():
        write(folder, name, data)
    klass = BaseIndex if rng.random() < 0.5 else INDEX_CLASSES[kind]
    index = klass.load(os.path.join(folder, "index"), mmap=rng.choice([None, None, "r"]))
    exercise_index(index, rng)


def exercise_index(index, rng):
    """Searches (single, batch, filtered, funnel), then an add and a remove."""
    if len(index) == 0:
        return
    dim = index.dim
    q = np.random.default_rng(rng.randrange(1 << 30)).standard_normal((3, dim)).astype(np.float32)
    params = {"hnsw": {"ef": rng.choice([1, 8, 64])}, "ivf_flat": {"n_probe": rng.choice([1, 2, 50])},
              "lsh": {"n_probe": rng.choice([1, 8, 100])}}.get(index.kind, {})
    k = rng.choice([1, 5, 50])
    ids, scores = index.search(q, k=k, **params)
    assert ids.shape == scores.shape and ids.shape[0] == 3
    index.search(q[0], k=k, n_threads=rng.choice([1, 2]), **params)
    live = index.ids
    if len(live) > 1:
        index.search(q, k=k, filter=live[: max(1, len(live) // 3)], **params)
    if rng.random() < 0.3:
        new = index.add(q[:1])
        index.remove(new)


# ------------------------------------------------------------ corpus readers
WHITESPACE = [b" ", b"  ", b"\t", b"\n", b"\r\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x85", b"\xc2\x85",
              "\u2028".encode(), b"\xc2\xa0"]
TOKENS = [b"a", b"the", b"cat", "\u00e9t\u00e9".encode(), "\u4e2d\u6587".encode(), b"\x00", b"x" * 300,
          b"\xf0\x9f\x98\x80", b"1"]
BAD_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f"]


def corpus_bytes(rng, max_len=4000):
    """Corpus text: tokens and every kind of whitespace, sometimes bad UTF-8 or NUL, or random bytes."""
    r = rng.random()
    if r < 0.1:
        return random_bytes(rng, max_len=512)
    if r < 0.15:
        return rng.choice([b"", b"\n", b"   \n\t\n", b"\r\n\r\n", b"\x00", b" " * 100])
    out = []
    size = 0
    limit = rng.choice([20, 200, max_len])
    while size < limit:
        r = rng.random()
        piece = rng.choice(TOKENS) if r < 0.6 else rng.choice(WHITESPACE) if r < 0.9998 else rng.choice(BAD_UTF8)
        if rng.random() < 0.02:
            piece = b"w" * rng.randint(1000, 20000)  # a long token / line
        out.append(piece)
        size += len(piece)
    data = b"".join(out)
    if rng.random() < 0.3:
        data = mutate_bytes(data, rng)
    return data


def corpus_file(folder, rng, allow_compressed=True):
    data = corpus_bytes(rng)
    name = "corpus.txt"
    if allow_compressed and rng.random() < 0.2:
        name, data = compress(name, data, rng)
    return write(folder, name, data)


def run_line_sentence(folder, rng):
    from w2vm.corpora import LineSentence, PathLineSentences, Text8Corpus

    path = corpus_file(folder, rng)
    max_len = rng.choice([1, 3, 10000])
    kind = rng.randrange(4)
    if kind == 0:
        reader = LineSentence(path, max_sentence_length=max_len, limit=rng.choice([None, 1, 5]))
    elif kind == 1:
        with open(path, "rb") as fh:
            reader = LineSentence(io.BytesIO(fh.read()), max_sentence_length=max_len)
    elif kind == 2:
        write(folder, "another.txt", corpus_bytes(rng))
        reader = PathLineSentences(folder, max_sentence_length=max_len)
    else:
        reader = Text8Corpus(path, max_sentence_length=max_len)
    for sentence in reader:
        assert isinstance(sentence, list) and len(sentence) <= max_len
        assert all(isinstance(t, str) and t for t in sentence)


def run_scan_corpus_file(folder, rng):
    """The native counter, checked against the Python reader on what both must agree on."""
    from w2vm.corpora import LineSentence
    from w2vm.models.vocab import scan_corpus_file, scan_vocab

    path = corpus_file(folder, rng, allow_compressed=False)
    max_vocab_size = rng.choice([None, None, 2, 5])
    counts, n_sentences, n_words = scan_corpus_file(path, max_vocab_size=max_vocab_size)
    assert all(isinstance(k, str) and k and v > 0 for k, v in counts.items())
    if max_vocab_size is not None:
        return
    with open(path, "rb") as fh:
        text = fh.read()
    # The two readers agree when the text is ASCII-whitespace-only UTF-8 (str.split() also splits
    # on Unicode spaces and the native reader does not); long lines are split differently.
    if not re.search(rb"[\x1c-\x1f\x85\xa0\x00]|\xe2\x80[\xa8\xa9]|\xe1\x9a\x80|\xe3\x80\x80", text):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return
        py_counts, _, py_words = scan_vocab(LineSentence(path))
        assert py_words == n_words
        assert py_counts == counts


def run_word2vec_corpus_file(folder, rng):
    """Word2Vec(corpus_file=...) or build_vocab(corpus_file=...) on a corpus input (native reader)."""
    from w2vm.models.word2vec import Word2Vec

    path = corpus_file(folder, rng)
    params = dict(vector_size=4, min_count=rng.choice([1, 1, 2]), epochs=1, workers=rng.choice([1, 2]),
                  seed=1, hs=rng.choice([0, 1]), negative=rng.choice([0, 2]) or 2, sg=rng.choice([0, 1]),
                  window=rng.choice([1, 5]))
    if rng.random() < 0.5:
        model = Word2Vec(corpus_file=path, **params)
    else:
        model = Word2Vec(**params)
        model.build_vocab(corpus_file=path)
        if rng.random() < 0.5:
            model.train(corpus_file=path, total_examples=model.corpus_count,
                        total_words=model.corpus_total_words, epochs=1)
    assert np.isfinite(model.wv.vectors).all()


# ----------------------------------------------------------------- registry
TARGETS = {
    "w2v_text": lambda f, r: run_w2v(f, r, binary=False),
    "w2v_binary": lambda f, r: run_w2v(f, r, binary=True),
    "w2v_text_kv": lambda f, r: run_w2v(f, r, binary=False, via_kv=True),
    "w2v_binary_kv": lambda f, r: run_w2v(f, r, binary=True, via_kv=True),
    "npy_vocab_base": lambda f, r: run_npy_vocab(f, r, via="base"),
    "npy_vocab_kv": lambda f, r: run_npy_vocab(f, r, via="kv"),
    "word2vec_model": run_model,
    "index_brute": lambda f, r: run_index(f, r, "brute"),
    "index_hnsw": lambda f, r: run_index(f, r, "hnsw"),
    "index_ivf_flat": lambda f, r: run_index(f, r, "ivf_flat"),
    "index_lsh": lambda f, r: run_index(f, r, "lsh"),
    "corpus_readers": run_line_sentence,
    "scan_corpus_file": run_scan_corpus_file,
    "word2vec_corpus_file": run_word2vec_corpus_file,
}
