"""The content-addressed store (arkivlager): idempotent, atomic, read-only objects, safe names."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diariekit.errors import ExitCode, InvalidInputError, UnreadableInputError
from diariekit.files import store as store_module
from diariekit.files.store import (
    CHUNK_SIZE,
    ContentStore,
    CorruptObjectError,
    StoredFile,
    is_sha256,
    sha256_file,
)

HEJ = "Beslut i ärende KS 2025/17: ansökan beviljas.\n".encode()
HEJ_SHA = hashlib.sha256(HEJ).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "arkivlager")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "beslut.txt"
    path.parent.mkdir()
    path.write_bytes(HEJ)
    return path


def temp_files(store: ContentStore) -> list[Path]:
    return sorted(store.tmp.iterdir()) if store.tmp.exists() else []


def object_files(store: ContentStore) -> list[Path]:
    return sorted(p for p in store.objects.rglob("*") if p.is_file())


# -- put ----------------------------------------------------------------------------------


def test_put_stores_under_fan_out_path(store: ContentStore, source: Path) -> None:
    stored = store.put(source)
    assert stored == StoredFile(HEJ_SHA, len(HEJ), store.path_for(HEJ_SHA))
    assert stored.path == store.root / "objects" / HEJ_SHA[:2] / HEJ_SHA[2:4] / HEJ_SHA
    assert stored.path.read_bytes() == HEJ
    assert store.exists(HEJ_SHA)
    assert stored.to_dict() == {"sha256": HEJ_SHA, "size": len(HEJ), "path": str(stored.path)}


def test_put_twice_gives_one_object(store: ContentStore, source: Path, tmp_path: Path) -> None:
    first = store.put(source)
    copy = tmp_path / "kopia.txt"
    copy.write_bytes(HEJ)
    second = store.put(copy)
    third = store.put_bytes(HEJ)
    assert first == second == third
    assert object_files(store) == [first.path]
    assert list(store.iter_objects()) == [HEJ_SHA]
    assert temp_files(store) == []


def test_source_is_untouched(store: ContentStore, source: Path) -> None:
    os.utime(source, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = os.stat(source)
    store.put(source)
    after = os.stat(source)
    assert source.read_bytes() == HEJ
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_mode == before.st_mode
    assert after.st_ino == before.st_ino
    assert after.st_nlink == 1  # copied, not hard-linked


def test_objects_are_read_only(store: ContentStore, source: Path) -> None:
    stored = store.put(source)
    assert stat.S_IMODE(os.stat(stored.path).st_mode) == 0o444


def test_large_file_streams_in_chunks(store: ContentStore, tmp_path: Path) -> None:
    big = tmp_path / "stor.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with big.open("wb") as out:
        for i in range(3):
            out.write(block[i:] + block[:i])
        out.write(b"!")
    expected = hashlib.sha256(big.read_bytes()).hexdigest()
    stored = store.put(big)
    assert stored.size == 3 * CHUNK_SIZE + 1
    assert stored.sha256 == expected
    assert sha256_file(big) == (expected, 3 * CHUNK_SIZE + 1)
    assert store.verify(expected)


def test_empty_file(store: ContentStore, tmp_path: Path) -> None:
    empty = tmp_path / "tom.txt"
    empty.write_bytes(b"")
    stored = store.put(empty)
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored.size == 0
    assert store.verify(stored.sha256)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_put_bytes_round_trip(tmp_path: Path, data: bytes) -> None:
    store = ContentStore(tmp_path / "h")
    stored = store.put_bytes(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    with store.open(stored.sha256) as handle:
        assert handle.read() == data
    assert store.put_bytes(data) == stored
    assert temp_files(store) == []


# -- refusals -----------------------------------------------------------------------------


def test_symlink_source_refused(store: ContentStore, source: Path, tmp_path: Path) -> None:
    link = tmp_path / "länk.txt"
    link.symlink_to(source)
    with pytest.raises(UnreadableInputError) as info:
        store.put(link)
    assert str(link) in str(info.value)
    assert "symbolic link" in str(info.value)
    assert info.value.exit_code == ExitCode.UNREADABLE
    assert object_files(store) == []
    assert temp_files(store) == []


def test_dangling_symlink_refused(store: ContentStore, tmp_path: Path) -> None:
    link = tmp_path / "borta.txt"
    link.symlink_to(tmp_path / "finns-inte.txt")
    with pytest.raises(UnreadableInputError, match="symbolic link"):
        store.put(link)


def test_directory_source_refused(store: ContentStore, tmp_path: Path) -> None:
    folder = tmp_path / "mapp"
    folder.mkdir()
    with pytest.raises(UnreadableInputError, match="not a regular file") as info:
        store.put(folder)
    assert str(folder) in str(info.value)
    assert temp_files(store) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_source_refused_without_blocking(store: ContentStore, tmp_path: Path) -> None:
    fifo = tmp_path / "rör"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableInputError, match="not a regular file"):
        store.put(fifo)


def test_missing_source(store: ContentStore, tmp_path: Path) -> None:
    missing = tmp_path / "saknas.pdf"
    with pytest.raises(UnreadableInputError) as info:
        store.put(missing)
    assert str(missing) in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../../etc/passwd",
        HEJ_SHA.upper(),
        HEJ_SHA[:-1],
        HEJ_SHA + "0",
        HEJ_SHA[:-2] + "/x",
        HEJ_SHA[:-1] + "\n",
        "g" * 64,
    ],
)
def test_bad_names_refused(store: ContentStore, bad: str) -> None:
    assert not is_sha256(bad)
    for call in (store.path_for, store.exists, store.open, store.verify, store.delete):
        with pytest.raises(InvalidInputError, match="SHA-256"):
            call(bad)


# -- failures leave nothing behind --------------------------------------------------------


def test_no_temp_left_when_reading_fails(store: ContentStore) -> None:
    # /proc/self/mem is a regular file whose first page cannot be read (EIO): a real read
    # error in the middle of a put, like a file on a failing disk.
    mem = Path("/proc/self/mem")
    if not mem.exists():
        pytest.skip("needs Linux /proc")
    with pytest.raises(UnreadableInputError) as info:
        store.put(mem)
    assert str(mem) in str(info.value)
    assert temp_files(store) == []
    assert object_files(store) == []


def test_no_temp_left_when_fsync_fails(
    store: ContentStore, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.put(source)
    with pytest.raises(OSError):
        store.put_bytes(b"abc")
    monkeypatch.undo()
    assert temp_files(store) == []
    assert object_files(store) == []
    assert source.read_bytes() == HEJ


def test_no_temp_left_when_interrupted(
    store: ContentStore, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_all = store_module._write_all

    def interrupted(fd: int, data: memoryview | bytes) -> None:
        real_write_all(fd, bytes(data)[:3])
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.put(source)
    monkeypatch.undo()
    assert temp_files(store) == []
    assert not store.exists(HEJ_SHA)


def test_existing_object_of_wrong_size_is_reported(store: ContentStore, source: Path) -> None:
    path = store.put(source).path
    os.chmod(path, 0o644)
    path.write_bytes(HEJ + b"extra")
    with pytest.raises(CorruptObjectError, match="damaged") as info:
        store.put(source)
    assert str(path) in str(info.value)
    assert temp_files(store) == []


# -- concurrency --------------------------------------------------------------------------


def test_concurrent_puts_of_same_file(store: ContentStore, tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK_SIZE + 17)
    path = tmp_path / "samma.bin"
    path.write_bytes(data)
    barrier = threading.Barrier(4)
    results: list[StoredFile] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                results.append(store.put(path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 12 and len(set(results)) == 1
    sha = hashlib.sha256(data).hexdigest()
    assert results[0].sha256 == sha
    assert object_files(store) == [store.path_for(sha)]
    assert temp_files(store) == []
    assert store.verify(sha)


def test_concurrent_puts_of_different_files(store: ContentStore, tmp_path: Path) -> None:
    paths = []
    for i in range(8):
        path = tmp_path / f"fil{i}.txt"
        path.write_bytes(f"handling {i}\n".encode())
        paths.append(path)
    results: dict[Path, StoredFile] = {}

    def worker(chunk: list[Path]) -> None:
        for path in chunk:
            results[path] = store.put(path)

    threads = [threading.Thread(target=worker, args=(paths[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(store.iter_objects()) == sorted(r.sha256 for r in results.values())
    assert len(set(store.iter_objects())) == 8


# -- read, verify, delete, list -----------------------------------------------------------


def test_open_reads_object(store: ContentStore, source: Path) -> None:
    store.put(source)
    with store.open(HEJ_SHA) as handle:
        assert handle.read() == HEJ


def test_open_missing_object(store: ContentStore) -> None:
    with pytest.raises(UnreadableInputError, match="no object"):
        store.open(HEJ_SHA)


def test_verify_detects_tampering(store: ContentStore, source: Path) -> None:
    path = store.put(source).path
    assert store.verify(HEJ_SHA)
    os.chmod(path, 0o644)
    path.write_bytes(HEJ.replace(b"beviljas", b"avslogs!"))  # same size, other content
    assert not store.verify(HEJ_SHA)


def test_verify_missing_or_replaced_by_symlink(store: ContentStore, source: Path) -> None:
    assert not store.verify(HEJ_SHA)
    path = store.put(source).path
    os.chmod(path, 0o644)
    path.unlink()
    path.symlink_to(source)  # same bytes, but not an object any more
    assert not store.verify(HEJ_SHA)


def test_delete_is_idempotent(store: ContentStore, source: Path) -> None:
    store.put(source)
    assert store.delete(HEJ_SHA) is True
    assert not store.exists(HEJ_SHA)
    assert store.delete(HEJ_SHA) is False
    assert list(store.iter_objects()) == []
    assert source.read_bytes() == HEJ
    # A disposed object can come back if the same content is delivered again.
    assert store.put(source).sha256 == HEJ_SHA
    assert store.verify(HEJ_SHA)


def test_delete_in_empty_store(store: ContentStore) -> None:
    assert store.delete(HEJ_SHA) is False


def test_iter_objects_sorted_and_skips_strays(store: ContentStore) -> None:
    assert list(store.iter_objects()) == []  # no folders yet
    shas = sorted(store.put_bytes(f"{i}".encode()).sha256 for i in range(5))
    (store.objects / "README").write_text("inte ett objekt")
    (store.objects / shas[0][:2] / shas[0][2:4] / ("0" * 64)).write_text("fel plats")
    (store.objects / "zz").mkdir()
    assert list(store.iter_objects()) == shas


def test_sha256_file_missing(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError) as info:
        sha256_file(tmp_path / "saknas")
    assert "saknas" in str(info.value)
