"""Atomic saves of single files and of file sets (``w2vm.io.atomic``).

A kill is simulated by raising from ``os.replace`` at a chosen rename; the
processes killed for real are in ``test_crash_safety.py``.
"""
import errno
import json
import os
import stat

import numpy as np
import pytest

import crash_helpers as ch
from w2vm.io import atomic
from w2vm.io.atomic import JOURNAL_NAME, TMP_SUFFIX

KINDS = ["model", "kv", "index"]


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even ``except Exception``."""


@pytest.fixture(scope="module")
def savers():
    return {kind: ch.Saver(kind) for kind in KINDS}


@pytest.fixture
def saved(savers, tmp_path, request):
    """(saver, base, reference files of generations 1 and 2) with generation 1 saved at base."""
    saver = savers[request.param]
    refs = {g: ch.reference_files(saver, g, str(tmp_path / f"ref{g}")) for g in (1, 2)}
    folder = tmp_path / "save"
    folder.mkdir()
    base = str(folder / "set")
    saver.save(base, 1)
    assert ch.read_set(folder) == refs[1]
    return saver, base, refs


def _kill_at_rename(monkeypatch, n):
    """Make the ``n``-th rename onto a set's final file (1-based) die; the journal's own rename passes."""
    real, calls = os.replace, []

    def replace(src, dst, **kw):
        if os.path.basename(dst) != JOURNAL_NAME:
            calls.append(dst)
            if len(calls) == n:
                raise Killed
        return real(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)


def _finals(folder):
    return {k: v for k, v in ch.read_set(folder).items() if not k.startswith(".")}


@pytest.mark.parametrize("saved", KINDS, indirect=True)
def test_a_kill_between_two_renames_leaves_a_mix_that_the_next_load_finishes(saved, monkeypatch):
    saver, base, refs = saved
    folder = os.path.dirname(base)
    _kill_at_rename(monkeypatch, 2)
    with pytest.raises(Killed):
        saver.save(base, 2)
    monkeypatch.undo()
    # on disk: one new file beside old ones -- what a loader without the journal would read
    finals = _finals(folder)
    assert sum(finals[n] == refs[2][n] != refs[1][n] for n in finals) == 1
    assert any(finals[n] == refs[1][n] != refs[2][n] for n in finals)
    assert JOURNAL_NAME in os.listdir(folder)
    # the journal was committed: the load finishes the save and sees the new set only
    assert saver.load_generation(base) == 2
    assert ch.read_set(folder) == refs[2]


@pytest.mark.parametrize("saved", KINDS, indirect=True)
def test_a_kill_before_the_commit_point_keeps_the_old_set(saved, monkeypatch):
    saver, base, refs = saved
    real = os.replace

    def replace(src, dst, **kw):
        if os.path.basename(dst) == JOURNAL_NAME:
            raise Killed
        return real(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(Killed):
        saver.save(base, 2)
    monkeypatch.undo()
    assert saver.load_generation(base) == 1
    assert ch.read_set(os.path.dirname(base)) == refs[1]  # temporary files gone too


@pytest.mark.parametrize("saved", KINDS, indirect=True)
@pytest.mark.parametrize("failing_call", [1, 3])
def test_a_failed_save_changes_nothing_and_leaves_no_temporary_file(saved, monkeypatch, failing_call):
    saver, base, refs = saved
    real, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) >= failing_call:
            raise OSError(errno.ENOSPC, "No space left on device (simulated)")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left"):
        saver.save(base, 2)
    assert ch.read_set(os.path.dirname(base)) == refs[1]  # exactly as before: no temporary file, no journal


@pytest.mark.parametrize("saved", ["model"], indirect=True)
def test_a_read_only_folder_still_loads_the_committed_set(saved, monkeypatch):
    saver, base, refs = saved
    folder = os.path.dirname(base)
    _kill_at_rename(monkeypatch, 3)
    with pytest.raises(Killed):
        saver.save(base, 2)
    monkeypatch.undo()
    before = ch.read_set(folder)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system (simulated)")

    # root ignores chmod, so a read-only file system is simulated
    for name in ("replace", "unlink", "remove"):
        monkeypatch.setattr(os, name, refuse)
    assert saver.load_generation(base) == 2  # the committed temporary files are read in place of the old
    monkeypatch.undo()
    assert ch.read_set(folder) == before  # nothing was changed
    assert saver.load_generation(base) == 2  # writable again: finished for good
    assert ch.read_set(folder) == refs[2]


@pytest.mark.parametrize("saved", ["kv"], indirect=True)
def test_a_save_into_a_missing_folder_creates_nothing(saved, tmp_path):
    saver, base, refs = saved
    missing = tmp_path / "missing" / "set"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        saver.save(str(missing), 2)
    assert not missing.parent.exists()
    assert ch.read_set(os.path.dirname(base)) == refs[1]


@pytest.mark.parametrize("saved", ["kv"], indirect=True)
def test_stray_temporary_files_of_an_uncommitted_save_are_removed(saved):
    saver, base, _ = saved
    folder = os.path.dirname(base)
    stray = os.path.join(folder, ".set.npy.abcd1234" + TMP_SUFFIX)
    with open(stray, "wb") as fh:
        fh.write(b"half a save")
    other = os.path.join(folder, ".notes.tmp")  # not ours: left alone
    open(other, "w").close()
    assert saver.load_generation(base) == 1
    assert not os.path.exists(stray) and os.path.exists(other)


@pytest.mark.parametrize("saved", ["kv"], indirect=True)
@pytest.mark.parametrize("journal", [
    b"{not json",
    b'{"format": "w2vm-journal", "version": 1, "renames": [[".other.x.w2vm-tmp", "set.npy"]]}',
    b'{"format": "w2vm-journal", "version": 1, "renames": [["../.set.npy.x.w2vm-tmp", "../set.npy"]]}',
    b'{"format": "w2vm-journal", "version": 7, "renames": []}',
])
def test_a_damaged_journal_is_an_error_naming_it(saved, journal):
    saver, base, refs = saved
    with open(os.path.join(os.path.dirname(base), JOURNAL_NAME), "wb") as fh:
        fh.write(journal)
    with pytest.raises(ValueError, match="damaged save journal"):
        saver.load_generation(base)
    with pytest.raises(ValueError, match="damaged save journal"):
        saver.save(base, 2)
    assert _finals(os.path.dirname(base)) == refs[1]


def test_a_file_written_twice_in_one_set_keeps_the_last(tmp_path):
    with atomic.atomic_file_set(tmp_path / "x"):
        atomic.atomic_save_json(tmp_path / "x.json", 1)
        atomic.atomic_save_json(tmp_path / "x.json", 2)
        atomic.atomic_save_npy(tmp_path / "x.npy", np.arange(3))
        assert not (tmp_path / "x.json").exists()  # nothing is renamed before the set commits
    assert sorted(os.listdir(tmp_path)) == ["x.json", "x.npy"]
    assert json.loads((tmp_path / "x.json").read_text()) == 2


def test_an_error_inside_a_set_changes_nothing(tmp_path):
    atomic.atomic_save_json(tmp_path / "x.json", "old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic.atomic_file_set(tmp_path / "x"):
            atomic.atomic_save_json(tmp_path / "x.json", "new")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == ["x.json"]
    assert json.loads((tmp_path / "x.json").read_text()) == "old"


def test_saving_while_loading_the_same_folder_in_one_thread_is_refused(tmp_path):
    with atomic.reading_file_set(tmp_path / "x"):
        with pytest.raises(RuntimeError, match="while this thread is loading"):
            atomic.atomic_save_json(tmp_path / "x.json", 1)
        with atomic.reading_file_set(tmp_path / "y"):  # nested loads join
            pass


def test_saved_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.atomic_save_json(tmp_path / "x.json", 1)
    finally:
        os.umask(old)
    if os.name != "nt":
        assert stat.S_IMODE(os.stat(tmp_path / "x.json").st_mode) == 0o644


def test_resolve_is_the_identity_outside_an_interrupted_read_only_save(tmp_path):
    path = str(tmp_path / "x.npy")
    assert atomic.resolve(path) == path
    with atomic.reading_file_set(path):
        assert atomic.resolve(path) == path
