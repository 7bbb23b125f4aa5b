"""Atomic file writes: a crash mid-save leaves the previous file intact.

Data goes to a temporary file in the destination's folder (so the final
``os.replace`` is a rename within one file system), is flushed and fsynced,
and only then replaces the destination.
"""
import contextlib
import json
import os
import tempfile

import numpy as np


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


@contextlib.contextmanager
def atomic_open(path, mode="wb", encoding=None):
    """Open a temporary file that replaces ``path`` when the block exits cleanly.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open supports modes 'wb' and 'w', not {mode!r}")
    path, folder = _check_target(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


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
