"""The content-addressed store (arkivlager) that keeps every file exactly once, by SHA-256.

An object lives at ``objects/ab/cd/<sha256>`` under the store's root, read-only (0o444).
:meth:`ContentStore.put` copies and hashes in one streaming pass into ``tmp/`` (on the same
file system, so the final step is an atomic rename), fsyncs, and renames the temporary file
to its object name: a reader never sees half an object, and an interrupted put leaves at most
a temporary file behind, never a wrong object. Putting the same content twice, also from
several threads or processes at once, gives one object.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from diariekit.errors import InvalidInputError, Location, UnreadableInputError

__all__ = [
    "CHUNK_SIZE",
    "ContentStore",
    "CorruptObjectError",
    "StoredFile",
    "is_sha256",
    "sha256_file",
]

#: Bytes read at a time when hashing or copying (1 MiB).
CHUNK_SIZE = 1024 * 1024

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FAN_OUT = re.compile(r"[0-9a-f]{2}")
_READ_ONLY = 0o444
_WRITABLE = 0o644


class CorruptObjectError(InvalidInputError):
    """An object in the store does not match its name (exit 1): damaged or tampered with."""


@dataclass(frozen=True)
class StoredFile:
    """A file kept in the store (lagrad fil): its SHA-256, size in bytes and object path."""

    sha256: str
    size: int
    path: Path

    def to_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "size": self.size, "path": str(self.path)}


def is_sha256(text: str) -> bool:
    """True for a SHA-256 as the store names objects: 64 lowercase hexadecimal digits."""
    return _SHA256.fullmatch(text) is not None


def _checked_sha256(sha256: str) -> str:
    # A name that is not pure lowercase hex could carry "../" or a separator into a path.
    if not isinstance(sha256, str) or not is_sha256(sha256):
        raise InvalidInputError(
            f"not a SHA-256 checksum (kontrollsumma): {sha256!r}; expected 64 lowercase "
            "hexadecimal digits"
        )
    return sha256


def _hash_fd(fd: int, out: int | None = None, source: Path | None = None) -> tuple[str, int]:
    """Hash what can be read from ``fd`` in 1 MiB chunks, copying it to ``out`` if given.

    A failing read becomes :class:`~diariekit.errors.UnreadableInputError` naming
    ``source``; a failing write (the store's disk) propagates as :class:`OSError`.
    """
    digest = hashlib.sha256()
    size = 0
    view = memoryview(bytearray(CHUNK_SIZE))
    with os.fdopen(fd, "rb", buffering=0, closefd=False) as reader:
        while True:
            try:
                count = reader.readinto(view)
            except OSError as exc:
                if source is None:
                    raise
                raise _unreadable(source, exc) from exc
            if not count:
                break
            chunk = view[:count]
            digest.update(chunk)
            if out is not None:
                _write_all(out, chunk)
            size += count
    return digest.hexdigest(), size


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def sha256_file(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size in bytes of a file, read in 1 MiB chunks.

    Raises :class:`~diariekit.errors.UnreadableInputError` naming the file when it cannot be
    read.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    try:
        return _hash_fd(fd, source=path)
    finally:
        os.close(fd)


def _unreadable(path: Path, exc: OSError) -> UnreadableInputError:
    reason = exc.strerror or str(exc)
    return UnreadableInputError(f"cannot read the file: {reason}", Location(file=str(path)))


def _open_source(source: Path) -> int:
    """Open a regular file for reading, refusing symlinks, directories, devices and FIFOs."""
    where = Location(file=str(source))
    try:
        info = os.lstat(source)
    except OSError as exc:
        raise _unreadable(source, exc) from exc
    if stat.S_ISLNK(info.st_mode):
        raise UnreadableInputError(
            "is a symbolic link; the store takes regular files only (give the target)", where
        )
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableInputError("is not a regular file; the store takes files only", where)
    # O_NOFOLLOW and the fstat below close the gap between the lstat and the open;
    # O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking the open.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableInputError(
                "is a symbolic link; the store takes regular files only", where
            ) from exc
        raise _unreadable(source, exc) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnreadableInputError("is not a regular file; the store takes files only", where)
    return fd


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable; not every platform can open a directory."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class ContentStore:
    """A content-addressed store (arkivlager) rooted at a folder.

    Folders are made on the first :meth:`put`; reading from a store that does not exist yet
    finds nothing. Objects are never changed in place: only :meth:`put` adds them and
    :meth:`delete` (for disposal, gallring) removes them.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"

    def __repr__(self) -> str:
        return f"ContentStore({str(self.root)!r})"

    # -- names -------------------------------------------------------------------------

    def path_for(self, sha256: str) -> Path:
        """Where the object with this SHA-256 lives (whether or not it exists)."""
        name = _checked_sha256(sha256)
        return self.objects / name[:2] / name[2:4] / name

    def exists(self, sha256: str) -> bool:
        """True if the store holds an object with this SHA-256."""
        return self.path_for(sha256).is_file()

    # -- adding ------------------------------------------------------------------------

    def put(self, source: Path) -> StoredFile:
        """Copy a file into the store, hashing it on the way; idempotent.

        The source is only read, never modified or moved. A symlink or anything but a
        regular file is refused with :class:`~diariekit.errors.UnreadableInputError`.
        """
        source = Path(source)
        fd = _open_source(source)
        try:
            temp_fd, temp_path = self._new_temp()
            try:
                sha256, size = _hash_fd(fd, out=temp_fd, source=source)
                os.fsync(temp_fd)
            except BaseException:
                os.close(temp_fd)
                _remove_quietly(temp_path)
                raise
            os.close(temp_fd)
            return self._commit(temp_path, sha256, size)
        finally:
            os.close(fd)

    def put_bytes(self, data: bytes) -> StoredFile:
        """Store bytes held in memory (small generated files, e.g. XML); idempotent."""
        sha256 = hashlib.sha256(data).hexdigest()
        temp_fd, temp_path = self._new_temp()
        try:
            _write_all(temp_fd, data)
            os.fsync(temp_fd)
        except BaseException:
            os.close(temp_fd)
            _remove_quietly(temp_path)
            raise
        os.close(temp_fd)
        return self._commit(temp_path, sha256, len(data))

    def _new_temp(self) -> tuple[int, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".put-", suffix=".part", dir=self.tmp)
        return fd, Path(name)

    def _commit(self, temp_path: Path, sha256: str, size: int) -> StoredFile:
        """Move a complete, fsynced temporary file to its object name, or drop it."""
        final = self.path_for(sha256)
        try:
            existing = _regular_size(final)
            if existing is not None:
                if existing != size:
                    raise CorruptObjectError(
                        f"the stored object has {existing} bytes, but content with this "
                        f"SHA-256 has {size}; the object is damaged (run a verify)",
                        Location(file=str(final)),
                    )
                return StoredFile(sha256, size, final)
            os.chmod(temp_path, _READ_ONLY)
            final.parent.mkdir(parents=True, exist_ok=True)
            # Two puts of the same content may race here; both temporaries hold the same
            # bytes, so whichever rename lands last leaves the same object.
            os.replace(temp_path, final)
            _fsync_dir(final.parent)
            return StoredFile(sha256, size, final)
        finally:
            _remove_quietly(temp_path)

    # -- reading -----------------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        """Open an object for reading (binary); the caller closes it."""
        path = self.path_for(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise UnreadableInputError(
                f"the store has no object {sha256}", Location(file=str(path))
            ) from exc
        except OSError as exc:
            raise _unreadable(path, exc) from exc

    def verify(self, sha256: str) -> bool:
        """Rehash an object and compare with its name (fixity check); False if missing."""
        path = self.path_for(sha256)
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return False  # a symlink or folder in place of an object is tampering
            found, _size = sha256_file(path)
        except (OSError, UnreadableInputError):
            return False
        return found == sha256

    def iter_objects(self) -> Iterator[str]:
        """The SHA-256 of every object, in sorted order, streaming over the folders.

        Files that are not where their name says (``ab/cd/abcd…``) are not objects and are
        skipped.
        """
        for top in _sorted_dirs(self.objects):
            for sub in _sorted_dirs(top):
                try:
                    names = sorted(entry.name for entry in os.scandir(sub) if entry.is_file())
                except OSError:
                    continue
                for name in names:
                    if is_sha256(name) and name[:2] == top.name and name[2:4] == sub.name:
                        yield name

    # -- removing ----------------------------------------------------------------------

    def delete(self, sha256: str) -> bool:
        """Remove an object (for disposal, gallring); True if it existed. Idempotent.

        Fan-out folders are left in place so that a concurrent :meth:`put` never loses the
        folder it is renaming into.
        """
        path = self.path_for(sha256)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return False
        if stat.S_ISREG(info.st_mode):
            # Read-only objects need the write bit back on platforms that check it on unlink.
            with contextlib.suppress(FileNotFoundError):
                os.chmod(path, _WRITABLE)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        return True


def _regular_size(path: Path) -> int | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise CorruptObjectError(
            "an object name in the store is taken by something that is not a regular file",
            Location(file=str(path)),
        )
    return info.st_size


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _sorted_dirs(path: Path) -> list[Path]:
    """Fan-out folders (two lowercase hex digits) under ``path``, sorted; none if missing."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return []
    names = sorted(
        e.name for e in entries if _FAN_OUT.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
    )
    return [path / name for name in names]
