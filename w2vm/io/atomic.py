"""Atomic saves: a crash mid-save leaves the previous files or the new ones, never a mix.

One file: data goes to a temporary file in the destination's folder (so the
final ``os.replace`` is a rename within one file system), is flushed and
fsynced, and only then replaces the destination.

Several files that belong together (a model's ``base.npy``, ``base.vocab.json``,
``base.syn1neg.npy`` ...; an index's ``path.json`` and its arrays) keep their
names but are written as one *file set*::

    with atomic_file_set(base):     # atomic writes into base's folder join the set
        atomic_save_npy(base + ".syn1neg.npy", syn1neg)
        atomic_save_json(base + ".meta.json", meta)

Each file goes to a temporary ``.NAME.XXXXXXXX.w2vm-tmp`` and is fsynced.
When the block ends, a small journal, ``.w2vm-journal.json``, listing the
renames is put in place atomically and fsynced: that is the commit point. The
renames follow, then an fsync of the folder, then the journal is deleted. A
crash before the commit point leaves the old files (and temporary files);
after it, the journal says how to finish the save.

Loaders read inside :func:`reading_file_set`, which finishes a committed save
(the renames are idempotent) and, like every save, deletes the temporary
files of saves that never committed. In a folder that cannot be written,
nothing can be finished: there :func:`resolve` points the loader at the
committed temporary files, so it still reads the new set. Tools that know
nothing of the journal (e.g. word2vec-matryoshka) can see a mix only in the
folder of a save killed between its renames, until w2vm loads or saves there.

Concurrency: a save holds an exclusive ``flock`` on the folder and a load a
shared one, so two saves into one folder never interleave and a load never
sees a set half renamed by a live save. Temporary files are deleted only
under an exclusive lock, when they cannot be a live save's. Where ``flock``
is missing (Windows) or refused (some network file systems) saves take no
lock: crash safety holds, but two processes saving into one folder at once
may fail or mix their files, and stray temporary files stay.
"""
import contextlib
import errno
import json
import os
import tempfile
import threading

import numpy as np

try:
    import fcntl
    _EX, _SH, _NB = fcntl.LOCK_EX, fcntl.LOCK_SH, fcntl.LOCK_NB
except ImportError:  # Windows
    fcntl = None
    _EX = _SH = _NB = 0

TMP_SUFFIX = ".w2vm-tmp"
JOURNAL_NAME = ".w2vm-journal.json"
_JOURNAL_FORMAT = "w2vm-journal"
_JOURNAL_VERSION = 1
_MAX_JOURNAL_BYTES = 1 << 20

# per thread: {real folder path: _FileSet} of the sets being written or read, so nested calls join them
_local = threading.local()

__all__ = ["atomic_open", "atomic_save_npy", "atomic_save_json", "atomic_file_set", "reading_file_set",
           "resolve", "TMP_SUFFIX", "JOURNAL_NAME"]


def _check_target(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    return path, folder


def _fsync_folder(folder):
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask_at_import():
    mask = os.umask(0o022)  # the only portable way to read it; at import, before threads start saving
    os.umask(mask)
    return mask


_UMASK = _umask_at_import()


def _file_mode():
    """``0o666`` less the umask: what ``open()`` would have given (``mkstemp`` gives 0o600)."""
    try:  # Linux tells the current umask without changing it
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o666 & ~_UMASK


def _sessions():
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    return sessions


def _lock(folder, how):
    """``flock(how)`` on the folder: the descriptor that holds the lock, or ``None``.

    ``None`` where there is no lock to take (Windows; a file system that
    refuses it) and, with ``LOCK_NB``, when another descriptor holds one.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, how)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            return None
        raise
    return fd


def _unlock(fd):
    if fd is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)  # explicit: a forked child may share the descriptor
    finally:
        os.close(fd)


# ------------------------------------------------------------------ the journal
def _plain_name(name):
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\0" not in name)


def _read_journal(folder):
    """The committed ``[(temporary name, final name), ...]`` of ``folder``, or ``None``."""
    path = os.path.join(folder, JOURNAL_NAME)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_JOURNAL_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the save journal ({exc})") from None
    why = None
    try:
        doc = json.loads(raw.decode("utf-8")) if len(raw) <= _MAX_JOURNAL_BYTES else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != _JOURNAL_FORMAT:
        why = "not a w2vm save journal"
    elif doc.get("version") != _JOURNAL_VERSION:
        why = f"unsupported journal version {doc.get('version')!r}"
    else:
        renames = doc.get("renames")
        ok = isinstance(renames, list) and all(
            isinstance(pair, list) and len(pair) == 2 and all(map(_plain_name, pair))
            # a journal only ever moves ".NAME.XXXX.w2vm-tmp" onto "NAME" in its own folder
            and pair[0].startswith("." + pair[1] + ".") and pair[0].endswith(TMP_SUFFIX)
            for pair in renames)
        if ok:
            return [tuple(pair) for pair in renames]
        why = "malformed list of renames"
    raise ValueError(f"{path}: damaged save journal ({why}); it finishes an interrupted save in this folder: "
                     f"delete it to keep the files as they are")


def _rename_all(folder, renames):
    for tmp, final in renames:
        try:
            os.replace(os.path.join(folder, tmp), os.path.join(folder, final))
        except FileNotFoundError:
            if os.path.exists(os.path.join(folder, tmp)):
                raise
            # already moved, by an earlier interrupted recovery or a concurrent reader


def _recover(folder, clean):
    """Finish the committed save of ``folder``; with ``clean``, delete the temporary files of others.

    Returns ``{final name: temporary path}`` for the committed renames that
    could not be done because the folder cannot be written (else ``{}``).
    ``clean`` needs an exclusive lock on the folder: without it a temporary
    file may be a live save's.
    """
    renames = _read_journal(folder)
    pending = {}
    if renames:
        try:
            _rename_all(folder, renames)
            _fsync_folder(folder)
            with contextlib.suppress(FileNotFoundError):  # another reader may have finished first
                os.unlink(os.path.join(folder, JOURNAL_NAME))
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            pending = {final: os.path.join(folder, tmp) for tmp, final in renames
                       if os.path.exists(os.path.join(folder, tmp))}
    if clean and not pending:
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        for name in names:
            if name.startswith(".") and name.endswith(TMP_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
    return pending


class _FileSet:
    """The files of one save (``mode='write'``) or one load (``mode='read'``) in one folder."""

    def __init__(self, folder, mode):
        self.folder = folder
        self.mode = mode
        self.renames = []  # (temporary name, final name), in the order written
        self.pending = {}  # read mode: committed but not renamed (read-only folder)

    def new_temp(self, path):
        name = os.path.basename(path)
        fd, tmp = tempfile.mkstemp(prefix="." + name + ".", suffix=TMP_SUFFIX, dir=self.folder)
        if hasattr(os, "fchmod"):
            with contextlib.suppress(OSError):
                os.fchmod(fd, _file_mode())
        return fd, tmp

    def add(self, tmp, path):
        final = os.path.basename(path)
        for i, (old_tmp, old_final) in enumerate(self.renames):
            if old_final == final:  # written twice in one set: the last one wins
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.folder, old_tmp))
                del self.renames[i]
                break
        self.renames.append((os.path.basename(tmp), final))

    def discard(self):
        for tmp, _ in self.renames:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.folder, tmp))
        self.renames = []

    def commit(self):
        folder, renames = self.folder, self.renames
        if not renames:
            return
        if len(renames) == 1:  # one rename is atomic by itself
            try:
                os.replace(os.path.join(folder, renames[0][0]), os.path.join(folder, renames[0][1]))
            except BaseException:
                self.discard()
                raise
            _fsync_folder(folder)
            return
        journal = os.path.join(folder, JOURNAL_NAME)
        doc = {"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION, "renames": [list(p) for p in renames]}
        fd, tmp = self.new_temp(journal)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, journal)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            self.discard()
            raise
        # Committed. From here on an error leaves the journal, and the next load or save finishes the renames.
        _fsync_folder(folder)
        _rename_all(folder, renames)
        _fsync_folder(folder)
        with contextlib.suppress(FileNotFoundError):  # without a lock, a reader may have finished it
            os.unlink(journal)


# ------------------------------------------------------------------- public API
@contextlib.contextmanager
def atomic_file_set(path):
    """Commit every atomic write into ``path``'s folder made inside the block as one set.

    After a crash, loaders (inside :func:`reading_file_set`) see either all
    the files as they were before the block or all of them as written in it.
    On an exception inside the block nothing is changed and the temporary
    files are removed. Nested calls for the same folder (in one thread) join
    the outermost set, which commits when it ends.

    Parameters
    ----------
    path : str or os.PathLike
        A file (or base name) in the folder that is written; the folder must exist.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: folder {folder!r} does not exist")
    key = os.path.realpath(folder)
    sessions = _sessions()
    outer = sessions.get(key)
    if outer is not None:
        if outer.mode != "write":
            raise RuntimeError(f"cannot save into {folder!r} while this thread is loading files from it")
        yield outer
        return
    fd = _lock(folder, _EX)
    session = sessions[key] = _FileSet(folder, "write")
    try:
        _recover(folder, clean=fd is not None)
        try:
            yield session
        except BaseException:
            session.discard()
            raise
        session.commit()
    finally:
        del sessions[key]
        _unlock(fd)


@contextlib.contextmanager
def reading_file_set(path):
    """Load files saved with :func:`atomic_file_set` in ``path``'s folder inside this block.

    Finishes a save that was interrupted after its commit point, removes the
    temporary files of saves that never committed, and keeps other processes'
    saves into the folder out until the block ends. Loaders open their files
    through :func:`resolve`. Nested calls for the same folder join the outer one.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    key = os.path.realpath(folder)
    sessions = _sessions()
    if key in sessions or not os.path.isdir(folder):
        yield  # already inside a save or load of this folder, or nothing to read (the loader will say)
        return
    # Temporary files are strays only if no save can be running: they are deleted only when the folder
    # can be locked exclusively right now (not while others load, nor where only shared locks work, as
    # on NFS, where a save takes no lock).
    fd = _lock(folder, _EX | _NB)
    session = sessions[key] = _FileSet(folder, "read")
    try:
        if fd is not None:
            _recover(folder, clean=True)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, _SH)  # lets other loads in; a save slipping in meanwhile is finished below
        else:
            fd = _lock(folder, _SH)
        session.pending = _recover(folder, clean=False)
        yield
    finally:
        del sessions[key]
        _unlock(fd)


def resolve(path):
    """The file to open to read ``path``: itself, except in the case described below.

    Inside :func:`reading_file_set`, when a committed save could not be
    finished because the folder is read-only, the committed temporary file
    that replaces ``path``.
    """
    path = os.fspath(path)
    sessions = getattr(_local, "sessions", None)
    if not sessions:
        return path
    session = sessions.get(os.path.realpath(os.path.dirname(os.path.abspath(path))))
    if session is None or not session.pending:
        return path
    tmp = session.pending.get(os.path.basename(path))
    return tmp if tmp is not None and os.path.exists(tmp) else path


@contextlib.contextmanager
def atomic_open(path, mode="wb", encoding=None):
    """Open a temporary file that replaces ``path`` when the block exits cleanly.

    On an exception the temporary file is removed and ``path`` is untouched.
    Inside :func:`atomic_file_set` for the same folder the file joins that
    set and replaces ``path`` when the set commits.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open supports modes 'wb' and 'w', not {mode!r}")
    path, _ = _check_target(path)
    with atomic_file_set(path) as session:
        fd, tmp = session.new_temp(path)
        try:
            with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        session.add(tmp, path)


def atomic_save_npy(path, array):
    """Write ``array`` as a ``.npy`` file (no pickle) atomically."""
    array = np.asarray(array)
    if array.dtype.hasobject:
        raise TypeError(f"cannot save {path!r}: object arrays need pickle, which w2vm never writes")
    with atomic_open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def atomic_save_json(path, obj):
    """Write ``obj`` as UTF-8 JSON atomically."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)
