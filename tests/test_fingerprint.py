"""File digests remembered by file status (geo_sink.io.fingerprint): reused while a file is
unchanged, recomputed after any write, kept across processes only when the file had settled."""

import hashlib
import json
import os
import shutil

import pytest

import geo_sink.io.fingerprint as fp


@pytest.fixture(autouse=True)
def fresh_digests():
    fp.forget_digests()
    yield
    fp.forget_digests()


def counted(monkeypatch):
    """Record every file actually read for a digest."""
    hashed = []
    real = fp._hash
    monkeypatch.setattr(fp, "_hash", lambda path: hashed.append(os.path.basename(path)) or real(path))
    return hashed


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_digest_is_the_files_sha256_and_is_reused_while_unchanged(tmp_path, monkeypatch):
    f = tmp_path / "a.tif"
    f.write_bytes(b"x" * 3_000_000)          # several 1 MiB blocks
    hashed = counted(monkeypatch)
    assert fp.sha256_file(f) == sha(b"x" * 3_000_000)
    assert fp.sha256_file(str(f)) == sha(b"x" * 3_000_000)
    assert hashed == ["a.tif"]


def test_a_write_of_the_same_size_with_the_old_mtime_put_back_is_seen(tmp_path):
    """mtime can be set back (cp -p, rsync -t, os.utime); ctime cannot: the edit is hashed."""
    f = tmp_path / "band.tif"
    f.write_bytes(b"a" * 1000)
    before = os.stat(f)
    assert fp.sha256_file(f) == sha(b"a" * 1000)
    f.write_bytes(b"b" * 1000)
    os.utime(f, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(f).st_size == before.st_size and os.stat(f).st_mtime_ns == before.st_mtime_ns
    assert fp.sha256_file(f) == sha(b"b" * 1000)


def test_a_file_replaced_by_a_copy_with_its_times_is_seen(tmp_path):
    f, other = tmp_path / "lc.tif", tmp_path / "other.tif"
    f.write_bytes(b"1" * 500)
    other.write_bytes(b"2" * 500)
    os.utime(other, ns=(os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns))
    assert fp.sha256_file(f) == sha(b"1" * 500)
    shutil.copy2(other, tmp_path / "tmp.tif")
    os.replace(tmp_path / "tmp.tif", f)       # another inode, the same size and mtime
    assert fp.sha256_file(f) == sha(b"2" * 500)


def test_remember_false_keeps_nothing(tmp_path, monkeypatch):
    f = tmp_path / "out.csv"
    f.write_bytes(b"run output")
    hashed = counted(monkeypatch)
    assert fp.sha256_file(f, remember=False) == sha(b"run output")
    assert fp.sha256_file(f, remember=False) == sha(b"run output")
    assert hashed == ["out.csv", "out.csv"]
    store = tmp_path / "digests.json"
    assert fp.save_digests(store, [f]) == 0


def test_saved_digests_serve_the_next_process(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "SETTLED_NS", -10**12)     # every file counts as settled
    files = [tmp_path / f"{i}.tif" for i in range(3)]
    for i, f in enumerate(files):
        f.write_bytes(bytes([i]) * 2000)
        fp.sha256_file(f)
    store = tmp_path / "state" / "digests.json"
    store.parent.mkdir()
    assert fp.save_digests(store, files[:2]) == 2           # only the paths asked for
    fp.forget_digests()                                       # a new process
    assert fp.load_digests(store) == 2
    hashed = counted(monkeypatch)
    assert [fp.sha256_file(f) for f in files] == [sha(bytes([i]) * 2000) for i in range(3)]
    assert hashed == ["2.tif"]
    # the saved digest stands only while the file is as it was
    files[0].write_bytes(b"\x07" * 2000)
    assert fp.sha256_file(files[0]) == sha(b"\x07" * 2000)


def test_a_file_written_just_before_its_hash_is_not_kept_across_processes(tmp_path, monkeypatch):
    """The racy case: a write within the timestamp resolution after the hash could leave the
    status as it was, so a digest of a file younger than SETTLED_NS serves this process only."""
    f = tmp_path / "new_scene.tif"
    f.write_bytes(b"z" * 100)
    hashed = counted(monkeypatch)
    fp.sha256_file(f)
    fp.sha256_file(f)
    assert hashed == ["new_scene.tif"]
    store = tmp_path / "digests.json"
    assert fp.save_digests(store, [f]) == 0
    fp.forget_digests()
    fp.load_digests(store)
    fp.sha256_file(f)
    assert hashed == ["new_scene.tif", "new_scene.tif"]


@pytest.mark.parametrize("content", ["", "not json", json.dumps({"version": 99, "files": []}),
                                     json.dumps({"version": 1, "files": [["/x", [1, 2], "ab"]]}),
                                     json.dumps({"version": 1})])
def test_an_unusable_digest_file_is_ignored(tmp_path, content):
    store = tmp_path / "digests.json"
    store.write_text(content, encoding="utf-8")
    assert fp.load_digests(store) == 0
    assert fp.load_digests(tmp_path / "missing.json") == 0


def test_memory_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "MAX_DIGESTS", 3)
    for i in range(5):
        f = tmp_path / f"{i}.bin"
        f.write_bytes(bytes([i]))
        fp.sha256_file(f)
    assert len(fp._digests) == 3


@pytest.mark.parametrize("content", ['{"version": 1, "files": [["/x", [1e400, 1, 1, 1, 1], "' + "a" * 64 + '"]]}',
                                     "[" * 100000])
def test_a_digest_file_that_breaks_the_parser_is_ignored(tmp_path, content):
    store = tmp_path / "digests.json"
    store.write_text(content, encoding="utf-8")
    assert fp.load_digests(store) == 0
