"""Security: no pickle anywhere, and files are read and written only where the caller said.

- the package never imports a pickle-like module nor passes ``allow_pickle=True``,
  and every ``numpy.load``/``numpy.save`` says ``allow_pickle=False``;
- a ``.npy`` holding a pickled object array is refused by every loader, and
  its payload never runs;
- keys are data, never paths: keys such as ``../../evil`` write exactly the
  files asked for;
- an index's JSON cannot make ``load`` read outside the index's folder
  (array entries must be plain file names; a ``vectors_file`` reference is
  followed only inside the folder unless the caller passes ``vectors_file=``);
- the command line writes only the ``--output`` / output paths it was given.
"""
import ast
import json
import os
import pathlib
import re

import numpy as np
import pytest

import w2vm
from w2vm import KeyedVectors, Word2Vec
from w2vm.similarities import BaseIndex, BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex

PACKAGE = pathlib.Path(w2vm.__file__).resolve().parent
SOURCE_SUFFIXES = (".py", ".pyx", ".pxi", ".pxd")
PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "cloudpickle", "dill", "joblib", "shelve", "marshal")
INDEX_CLASSES = [BruteForceIndex, HNSWIndex, IVFFlatIndex, LSHIndex]


def package_sources():
    files = sorted(p for p in PACKAGE.rglob("*") if p.suffix in SOURCE_SUFFIXES and p.is_file())
    assert any(p.name == "keyedvectors.py" for p in files) and any(p.suffix == ".pyx" for p in files)
    return files


# --------------------------------------------------------------------------- (a) source scans
_MODS = "|".join(PICKLE_MODULES)
# import statements (Python and Cython's cimport), not prose: "no pickle" in a docstring is fine
PICKLE_IMPORT = re.compile(rf"^\s*(?:(?:c?import)\s+(?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*)*(?:{_MODS})\b"
                           rf"|from\s+(?:{_MODS})(?:\.\w+)*\s+c?import\b)", re.MULTILINE)
PICKLE_DYNAMIC = re.compile(rf"""(?:__import__|import_module)\(\s*['"](?:{_MODS})['"]""")
ALLOW_PICKLE_TRUE = re.compile(r"allow_pickle\s*=\s*(?!False\b)")


def pickle_findings(text):
    """Lines of ``text`` that import a pickle-like module or allow numpy to pickle."""
    found = []
    for pattern in (PICKLE_IMPORT, PICKLE_DYNAMIC, ALLOW_PICKLE_TRUE):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, text.splitlines()[line - 1].strip()))
    return found


def test_pickle_scan_detects_what_it_should():
    bad = ["import pickle", "import os, pickle", "import numpy as np, joblib", "from dill import loads",
           "  from pickle import Unpickler", "from cPickle cimport x", "import _pickle as cp",
           "mod = importlib.import_module('pickle')", "np.load(f, allow_pickle=True)",
           "np.load(f, allow_pickle = flag)", "import shelve", "import marshal"]
    for line in bad:
        assert pickle_findings(line), line
    fine = ['"""No pickle anywhere; never unpickled."""', "# no pickle: np.load(f, allow_pickle=False)",
            "np.save(fh, array, allow_pickle=False)", "pickled = False", "import picklerick",
            "from w2vm.io import no_pickle_here"]
    for line in fine:
        assert not pickle_findings(line), line


@pytest.mark.parametrize("path", package_sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_pickle_in_package_sources(path):
    assert pickle_findings(path.read_text(encoding="utf-8")) == []


def _numpy_io_calls(tree):
    """``(call, name)`` for every call of numpy's ``load``/``save`` however it was imported."""
    numpy_names = {"numpy"}
    direct = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    numpy_names.add(alias.asname or "numpy")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "numpy":
            for alias in node.names:
                if alias.name in ("load", "save"):
                    direct[alias.asname or alias.name] = alias.name
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in direct:
            calls.append((node, direct[func.id]))
        elif isinstance(func, ast.Attribute) and func.attr in ("load", "save"):
            root = func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in numpy_names:
                calls.append((node, func.attr))
    return calls


def _allow_pickle_false(call):
    return any(kw.arg == "allow_pickle" and isinstance(kw.value, ast.Constant) and kw.value.value is False
               for kw in call.keywords)


def test_numpy_call_scan_detects_what_it_should():
    src = ("import numpy as xp\nfrom numpy import load as ld\nxp.load(f)\nld(f)\nxp.lib.npyio.load(f)\n"
           "xp.save(f, a)\nxp.load(f, allow_pickle=False)\njson.load(f)\n")
    calls = _numpy_io_calls(ast.parse(src))
    assert len(calls) == 5
    assert [_allow_pickle_false(c) for c, _ in calls].count(False) == 4


@pytest.mark.parametrize("path", [p for p in package_sources() if p.suffix == ".py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_numpy_load_and_save_passes_allow_pickle_false(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [f"{path.name}:{call.lineno}: numpy.{name} without allow_pickle=False"
           for call, name in _numpy_io_calls(tree) if not _allow_pickle_false(call)]
    assert bad == []


def test_cython_sources_do_not_load_npy_files():
    # The .pyx/.pxi files cannot be parsed by ast: they must not call numpy's load/save at all.
    for path in package_sources():
        if path.suffix != ".py":
            assert not re.search(r"\bnp\.(load|save)\s*\(", path.read_text(encoding="utf-8")), path


# --------------------------------------------------------------------------- (b) pickled .npy files
class Payload:
    """Unpickling this creates the marker file: proof that a loader ran pickle."""

    marker = None

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def write_pickled_npy(path, marker, rows=1):
    Payload.marker = str(marker)
    np.save(path, np.array([Payload()] * rows, dtype=object), allow_pickle=True)


def test_payload_is_live(tmp_path):
    """The test payload does run when unpickled (so the loaders' tests below can fail)."""
    marker = tmp_path / "ran"
    write_pickled_npy(tmp_path / "p.npy", marker)
    np.load(tmp_path / "p.npy", allow_pickle=True)
    assert marker.exists()


@pytest.fixture
def kv():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    kv = KeyedVectors(8, levels=[4, 8])
    kv.add_vectors(words, rng.standard_normal((30, 8)).astype(np.float32))
    kv.set_vecattr(words, "count", np.arange(30, 0, -1))
    return kv


@pytest.fixture(scope="module")
def model():
    sentences = [[f"w{i}", f"w{(i + 1) % 12}", f"w{(i + 3) % 12}"] for i in range(60)]
    return Word2Vec(sentences, vector_size=8, levels=[4, 8], min_count=1, epochs=1, workers=1, hs=1, seed=3)


@pytest.mark.parametrize("mmap", [None, "r"])
@pytest.mark.parametrize("victim", ["npy", "counts.npy"])
def test_keyedvectors_load_refuses_pickled_npy(tmp_path, kv, victim, mmap):
    kv.save(tmp_path / "kv")
    write_pickled_npy(tmp_path / f"kv.{victim}", tmp_path / "ran", rows=len(kv))
    with pytest.raises(ValueError, match=f"kv.{re.escape(victim)}"):
        KeyedVectors.load(tmp_path / "kv", mmap=mmap)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("victim", ["npy", "syn1neg.npy", "syn1.npy", "counts.npy"])
def test_word2vec_load_refuses_pickled_npy(tmp_path, model, victim):
    model.save(tmp_path / "m")
    assert (tmp_path / f"m.{victim}").exists()
    write_pickled_npy(tmp_path / f"m.{victim}", tmp_path / "ran", rows=len(model.wv))
    with pytest.raises(ValueError, match=f"m.{re.escape(victim)}"):
        Word2Vec.load(tmp_path / "m")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("cls", INDEX_CLASSES, ids=lambda c: c.__name__)
def test_index_load_refuses_pickled_npy(tmp_path, kv, cls):
    index = cls(n_threads=1).build(kv)
    index.save(tmp_path / "i")
    meta = json.loads((tmp_path / "i.json").read_text())
    for info in meta["arrays"].values():
        index.save(tmp_path / "i")
        write_pickled_npy(tmp_path / info["file"], tmp_path / "ran", rows=info["shape"][0])
        for mmap in (None, "r"):
            with pytest.raises(ValueError, match=re.escape(info["file"])):
                BaseIndex.load(tmp_path / "i", mmap=mmap)
    # the referenced vectors file too
    kv.save(tmp_path / "kv")
    index.save(tmp_path / "r", vectors_file=tmp_path / "kv.npy")
    write_pickled_npy(tmp_path / "kv.npy", tmp_path / "ran", rows=len(kv))
    with pytest.raises(ValueError, match="kv.npy"):
        BaseIndex.load(tmp_path / "r")
    with pytest.raises(ValueError, match="kv.npy"):
        BaseIndex.load(tmp_path / "r", vectors_file=tmp_path / "kv.npy")
    assert not (tmp_path / "ran").exists()


def test_load_word2vec_format_never_unpickles(tmp_path):
    marker = tmp_path / "ran"
    write_pickled_npy(tmp_path / "p.npy", marker)
    with pytest.raises(ValueError):
        KeyedVectors.load_word2vec_format(tmp_path / "p.npy", binary=True)
    assert not marker.exists()


# --------------------------------------------------------------------------- (c) paths written
NASTY_KEYS = ["../../evil", "/etc/passwd", "a/b", "..\\x", "C:\\Windows\\evil", "~/.bashrc", "$HOME",
              ".", "..", "-rf", "nul\x00byte", "new\nline", "ok"]


def tree(root):
    """Every file and folder under ``root``, relative, with sizes of files."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root)] = None if os.path.isdir(full) else os.path.getsize(full)
    return out


class Watch:
    """Asserts that a block creates exactly the expected files under ``root`` and changes nothing else."""

    def __init__(self, root, work):
        self.root, self.work = root, work

    def __enter__(self):
        self.before = tree(self.root)
        self.etc_passwd = pathlib.Path("/etc/passwd").read_bytes() if os.path.exists("/etc/passwd") else None
        return self

    def created(self):
        after = tree(self.root)
        changed = {k for k in self.before if k not in after or (after[k] != self.before[k] and after[k] is None)}
        assert not changed, f"removed or replaced: {changed}"
        return sorted(k for k in after if k not in self.before)

    def expect(self, names):
        rel = os.path.relpath(self.work, self.root)
        assert self.created() == sorted(os.path.join(rel, n) for n in names)
        if self.etc_passwd is not None:
            assert pathlib.Path("/etc/passwd").read_bytes() == self.etc_passwd

    def __exit__(self, *exc):
        return False


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """``root/a/b`` is where files go; ``root`` is watched, so ``../../x`` would be seen."""
    work = tmp_path / "root" / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return tmp_path / "root", work


@pytest.fixture
def nasty_kv():
    rng = np.random.default_rng(1)
    kv = KeyedVectors(4, levels=[2, 4])
    kv.add_vectors(NASTY_KEYS, rng.standard_normal((len(NASTY_KEYS), 4)).astype(np.float32))
    return kv


def test_keyedvectors_save_writes_only_its_files(sandbox, nasty_kv):
    root, work = sandbox
    with Watch(root, work) as watch:
        nasty_kv.save(work / "vecs")
        watch.expect(["vecs.vocab.json", "vecs.npy", "vecs.meta.json", "vecs.counts.npy"])
    assert KeyedVectors.load(work / "vecs").index_to_key == NASTY_KEYS


def test_save_word2vec_format_writes_only_its_files(sandbox, nasty_kv):
    root, work = sandbox
    keys = [k for k in NASTY_KEYS if " " not in k and "\n" not in k]
    kv = KeyedVectors(4)
    kv.add_vectors(keys, np.ones((len(keys), 4), np.float32))
    with Watch(root, work) as watch:
        kv.save_word2vec_format(work / "v.txt", fvocab=work / "v.vocab")
        kv.save_word2vec_format(work / "v.bin", binary=True)
        watch.expect(["v.txt", "v.vocab", "v.bin"])
    assert KeyedVectors.load_word2vec_format(work / "v.bin", binary=True).index_to_key == keys
    assert KeyedVectors.load_word2vec_format(work / "v.txt").index_to_key == keys


def test_word2vec_save_writes_only_its_files(sandbox):
    root, work = sandbox
    tokens = [k for k in NASTY_KEYS if k.strip()]
    model = Word2Vec([tokens] * 20, vector_size=4, levels=[2, 4], min_count=1, epochs=1, workers=1)
    with Watch(root, work) as watch:
        model.save(work / "m")
        watch.expect(["m.vocab.json", "m.npy", "m.meta.json", "m.counts.npy", "m.syn1neg.npy"])
    assert sorted(Word2Vec.load(work / "m").wv.index_to_key) == sorted(tokens)


@pytest.mark.parametrize("cls", INDEX_CLASSES, ids=lambda c: c.__name__)
def test_index_save_writes_only_its_files(sandbox, nasty_kv, cls):
    root, work = sandbox
    index = cls(n_threads=1).build(nasty_kv)
    with Watch(root, work) as watch:
        index.save(work / "idx")
        arrays = json.loads((work / "idx.json").read_text())["arrays"]
        watch.expect(["idx.json"] + [f"idx.{name}.npy" for name in arrays])
    loaded = BaseIndex.load(work / "idx")
    assert loaded._keys == NASTY_KEYS
    assert loaded.most_similar(nasty_kv["../../evil"], 1)[0][0] == "../../evil"


# --------------------------------------------------------------------------- index references
@pytest.fixture
def saved_index(tmp_path, kv):
    """An index in ``tmp/idx/`` that stores its own arrays, plus the KeyedVectors in ``tmp/kv/``."""
    (tmp_path / "idx").mkdir()
    (tmp_path / "kv").mkdir()
    kv.save(tmp_path / "kv" / "kv")
    index = HNSWIndex(n_threads=1, seed=1).build(kv)
    index.save(tmp_path / "idx" / "i")
    return tmp_path, index


def edit_json(path, fn):
    meta = json.loads(path.read_text())
    fn(meta)
    path.write_text(json.dumps(meta))


@pytest.mark.parametrize("where", ["parent", "absolute", "subfolder", "backslash", "nul"])
def test_index_array_files_must_be_plain_names(saved_index, where):
    tmp, _ = saved_index
    folder = tmp / "idx"
    # a valid copy of the ids array outside the folder: following the entry would load fine
    (folder / "sub").mkdir()
    for target in (tmp / "ids.npy", folder / "sub" / "ids.npy"):
        target.write_bytes((folder / "i.ids.npy").read_bytes())
    entry = {"parent": "../ids.npy", "absolute": str(tmp / "ids.npy"), "subfolder": "sub/ids.npy",
             "backslash": "..\\ids.npy", "nul": "i.ids.npy\x00"}[where]
    edit_json(folder / "i.json", lambda m: m["arrays"]["ids"].update(file=entry))
    with pytest.raises(ValueError, match="plain file name"):
        BaseIndex.load(folder / "i")


def test_index_vectors_reference_policy(saved_index, kv):
    tmp, index = saved_index
    folder = tmp / "idx"
    ref = index.search(kv.vectors[:3], k=4)[0]

    # Saved next to its vectors (the usual case): the reference is followed.
    index.save(tmp / "kv" / "near", vectors_file=tmp / "kv" / "kv.npy")
    assert json.loads((tmp / "kv" / "near.json").read_text())["vectors_file"] == "kv.npy"
    np.testing.assert_array_equal(BaseIndex.load(tmp / "kv" / "near").search(kv.vectors[:3], k=4)[0], ref)

    # In a subfolder of the index's folder: followed.
    (folder / "vectors").mkdir()
    kv.save(folder / "vectors" / "kv")
    index.save(folder / "sub", vectors_file=folder / "vectors" / "kv.npy")
    assert json.loads((folder / "sub.json").read_text())["vectors_file"] == os.path.join("vectors", "kv.npy")
    BaseIndex.load(folder / "sub")

    # In a sibling folder: save writes the relative reference, load needs the caller's consent.
    index.save(folder / "far", vectors_file=tmp / "kv" / "kv.npy")
    assert json.loads((folder / "far.json").read_text())["vectors_file"] == os.path.join("..", "kv", "kv.npy")
    with pytest.raises(ValueError, match="outside the index's folder.*vectors_file="):
        BaseIndex.load(folder / "far")
    loaded = BaseIndex.load(folder / "far", vectors_file=tmp / "kv" / "kv.npy", mmap="r")
    np.testing.assert_array_equal(loaded.search(kv.vectors[:3], k=4)[0], ref)

    # Tampered references: absolute, escaping through a subfolder, not a .npy.
    for bad, pattern in [(str(tmp / "kv" / "kv.npy"), "outside"), ("vectors/../../kv/kv.npy", "outside"),
                         ("../../../../../../etc/passwd", "relative path of a .npy"), (7, "relative path")]:
        edit_json(folder / "sub.json", lambda m: m.update(vectors_file=bad))
        with pytest.raises(ValueError, match=pattern):
            BaseIndex.load(folder / "sub")

    # An explicit vectors_file must still hold vectors of the index's shape.
    np.save(tmp / "small.npy", kv.vectors[:5])
    with pytest.raises(ValueError, match="vectors"):
        BaseIndex.load(folder / "far", vectors_file=tmp / "small.npy")
    # ... and makes no sense for an index that stores its own vectors.
    with pytest.raises(ValueError, match="stores its own vectors"):
        BaseIndex.load(folder / "i", vectors_file=tmp / "kv" / "kv.npy")


def test_keyedvectors_counts_file_must_be_a_plain_name(tmp_path, kv):
    kv.save(tmp_path / "kv")
    (tmp_path / "other.npy").write_bytes((tmp_path / "kv.counts.npy").read_bytes())
    (tmp_path / "sub").mkdir()
    kv.save(tmp_path / "sub" / "kv")
    for bad in ["../other.npy", str(tmp_path / "other.npy"), "sub/kv.counts.npy"]:
        edit_json(tmp_path / "sub" / "kv.meta.json", lambda m: m.update(counts_file=bad))
        with pytest.raises(ValueError, match="counts_file"):
            KeyedVectors.load(tmp_path / "sub" / "kv")


# --------------------------------------------------------------------------- command line
def run_main(*argv):
    from w2vm.cli import main

    return main([str(a) for a in argv])


def test_cli_writes_only_its_outputs(sandbox, capsys):
    root, work = sandbox
    corpus = work / "corpus.txt"
    corpus.write_text("the ../../evil king /etc/passwd queen\n" * 30)
    keys = [k for k in NASTY_KEYS if "\n" not in k]  # the word2vec formats cannot hold a newline
    vecs = KeyedVectors(4, levels=[2, 4])
    vecs.add_vectors(keys, np.random.default_rng(2).standard_normal((len(keys), 4)).astype(np.float32))
    vecs.save(work / "vecs")
    out = work / "out"
    out.mkdir()

    with Watch(root, out) as watch:
        assert run_main("train", corpus, "--output", out / "m", "--vector-size", "8", "--levels", "4,8",
                        "--min-count", "1", "--epochs", "2", "--workers", "1", "--checkpoint-every-epoch",
                        "--quiet") == 0
        watch.expect(["m.vocab.json", "m.npy", "m.meta.json", "m.counts.npy", "m.syn1neg.npy"])
    with Watch(root, out) as watch:
        assert run_main("convert", work / "vecs", out / "c.txt") == 0
        assert run_main("convert", work / "vecs", out / "c.bin") == 0
        assert run_main("convert", work / "vecs", out / "c", "--level", "2") == 0
        watch.expect(["c.txt", "c.bin", "c.vocab.json", "c.npy", "c.meta.json", "c.counts.npy"])
    with Watch(root, out) as watch:
        assert run_main("index", "build", out / "m", out / "words", "--type", "hnsw", "--threads", "1") == 0
        arrays = json.loads((out / "words.json").read_text())["arrays"]
        watch.expect(["words.json"] + [f"words.{name}.npy" for name in arrays])
    with Watch(root, out) as watch:
        assert run_main("query", out / "m", "king", "--topn", "2") == 0
        assert run_main("index", "query", out / "words", "king", "--topn", "2") == 0
        assert run_main("query", work / "vecs", "../../evil", "--topn", "2") == 0
        watch.expect([])
    capsys.readouterr()


def test_cli_index_query_follows_its_reference_into_another_folder(tmp_path, kv, capsys):
    (tmp_path / "models").mkdir()
    (tmp_path / "indexes").mkdir()
    kv.save(tmp_path / "models" / "m")
    assert run_main("index", "build", tmp_path / "models" / "m", tmp_path / "indexes" / "w", "--type", "brute") == 0
    capsys.readouterr()
    assert run_main("index", "query", tmp_path / "indexes" / "w", "w1", "--topn", "3", "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["word"] == "w1" and len(answer["results"]) == 3
