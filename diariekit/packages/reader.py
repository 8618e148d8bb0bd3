"""Read an information package (informationspaket) in place: a folder, a zip or a tar.

Nothing is ever extracted to disk. Member paths are given relative to the package root
folder, with ``/``. Unsafe members (absolute paths, ``..``, backslashes, links, devices)
are never followed: they are recorded as findings and left out of :meth:`entries`.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from diariekit.errors import Location, UnreadableInputError
from diariekit.findings import Finding, Severity

UNSAFE = "DK-UNSAFE-PATH"
LINK = "DK-LINK"
DUPLICATE = "DK-DUPLICATE-MEMBER"


@dataclass(frozen=True, slots=True)
class _Member:
    name: str  # path relative to the package root, posix
    raw: str  # name in the archive / path on disk
    size: int


class PackageReader(ABC):
    """Read-only view of one package; ``findings`` holds structural problems of the container."""

    kind: str = ""
    #: True when :meth:`open` may be called from several threads at once.
    concurrent: bool = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root_name = ""
        self.findings: list[Finding] = []
        self._members: dict[str, _Member] = {}
        self._dirs: set[str] = set()
        self._links: set[str] = set()
        self._entries: list[str] | None = None
        self._all_dirs: frozenset[str] | None = None

    def entries(self) -> list[str]:
        """Regular files of the package, relative to its root folder, sorted.

        The list is computed once and shared: do not modify it.
        """
        if self._entries is None:
            self._entries = sorted(self._members)
        return self._entries

    def dirs(self) -> frozenset[str]:
        """Folders of the package (explicit entries and parents of files), relative to root."""
        if self._all_dirs is None:
            out = set(self._dirs)
            for name in self._members:
                parent = name.rpartition("/")[0]
                while parent and parent not in out:
                    out.add(parent)
                    parent = parent.rpartition("/")[0]
            self._all_dirs = frozenset(out)
        return self._all_dirs

    def exists(self, member: str) -> bool:
        return member in self._members

    def canonical(self, member: str) -> str:
        """The package's own string for ``member`` (shared, so that sets and dicts keyed by
        member names do not hold a copy of each name)."""
        m = self._members.get(member)
        return m.name if m is not None else member

    def size(self, member: str) -> int:
        return self._members[member].size

    def is_link(self, member: str) -> bool:
        return member in self._links

    @abstractmethod
    def open(self, member: str) -> IO[bytes]:
        """A binary stream of one member (read it in chunks; close it)."""

    def close(self) -> None:  # noqa: B027 - folders hold no handle
        """Release the archive handle."""

    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unsafe(self, code: str, raw: str, why: str) -> None:
        self.findings.append(Finding(code, Severity.ERROR,
                                     f"unsafe package member {raw!r}: {why}; not read",
                                     Location(raw)))

    def _path_is_safe(self, raw: str) -> bool:
        """Check an archive member's path; report it (and CSIPSTR1 when it leaves the
        package) and return False when it must not be read."""
        why = _path_problem(raw)
        if not why:
            return True
        self._unsafe(UNSAFE, raw, why)
        if why in ("absolute path", "'..' leaves the package"):
            self.findings.append(Finding("CSIPSTR1", Severity.ERROR,
                                         f"member {raw!r} lies outside the package "
                                         "root folder", Location(raw)))
        return False

    def _add(self, raw: str, size: int) -> str | None:
        """Add an archive member after the safety checks; strip the root folder."""
        name = raw[len(self.root_name) + 1:] if self.root_name else raw
        name = name.rstrip("/")
        if not name:
            return None
        if name in self._members:
            self.findings.append(Finding(DUPLICATE, Severity.ERROR,
                                         f"member {raw!r} appears more than once in the archive",
                                         Location(raw)))
            return None
        self._members[name] = _Member(name, raw, size)
        return name


def _path_problem(raw: str) -> str | None:
    """Why an archive member name is unsafe, or None."""
    if "\\" in raw:
        return "backslash in path"
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return "absolute path"
    if any(part == ".." for part in raw.split("/")):
        return "'..' leaves the package"
    if "\x00" in raw:
        return "NUL in name"
    return None


def _choose_root(names: list[str], findings: list[Finding]) -> str:
    """The single top folder of an archive (CSIPSTR1); report anything else."""
    tops: dict[str, bool] = {}
    loose: list[str] = []
    for raw in names:
        parts = [p for p in raw.split("/") if p not in ("", ".")]
        if not parts:
            continue
        if len(parts) == 1 and not raw.endswith("/"):
            loose.append(raw)
            continue
        tops.setdefault(parts[0], False)
        if len(parts) == 2 and parts[1] == "METS.xml":
            tops[parts[0]] = True
    for raw in loose:
        findings.append(Finding("CSIPSTR1", Severity.ERROR,
                                f"file {raw!r} lies outside the package root folder",
                                Location(raw)))
    if len(tops) > 1:
        findings.append(Finding("CSIPSTR1", Severity.ERROR,
                                "the archive must hold exactly one top folder, found "
                                f"{len(tops)}: {', '.join(sorted(tops))}", Location()))
    if not tops:
        if not loose:
            findings.append(Finding("CSIPSTR1", Severity.ERROR, "the archive is empty",
                                    Location()))
        return ""
    with_mets = [t for t, has in sorted(tops.items()) if has]
    return with_mets[0] if with_mets else sorted(tops)[0]


class FolderReader(PackageReader):
    """A package as a folder on disk (links are reported, never followed)."""

    kind = "folder"
    concurrent = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        root = path
        # Accept the folder that holds the package folder, when that is unambiguous.
        if not (root / "METS.xml").exists():
            subs = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
            if len(subs) == 1 and (subs[0] / "METS.xml").is_file() and not any(
                    p.is_file() for p in root.iterdir()):
                root = subs[0]
        self.base = root
        self._base = str(root)
        self.root_name = root.resolve().name
        self._walk()

    def _walk(self) -> None:
        # os.scandir gives each entry's type without a stat call, and lstat() on a DirEntry
        # is cached: one system call per file instead of several Path objects and stats.
        stack: list[tuple[str, str]] = [(str(self.base), "")]
        while stack:
            dirpath, rel_dir = stack.pop()
            subdirs: list[tuple[str, str]] = []
            with os.scandir(dirpath) as it:  # one entry at a time: no list of DirEntry
                for entry in it:
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    mode = entry.stat(follow_symlinks=False).st_mode
                    if stat.S_ISDIR(mode):
                        self._dirs.add(rel)
                        subdirs.append((entry.path, rel))
                    elif stat.S_ISLNK(mode):
                        self._links.add(rel)
                        self._unsafe(LINK, rel, "symbolic link")
                    elif not stat.S_ISREG(mode):
                        self._unsafe(UNSAFE, rel, "not a regular file")
                    elif "\\" in entry.name:
                        self._unsafe(UNSAFE, rel, "backslash in name")
                    else:
                        # ``raw`` is the name itself (one string per file); open() joins
                        # the base folder
                        self._members[rel] = _Member(rel, rel,
                                                     entry.stat(follow_symlinks=False).st_size)
            stack.extend(sorted(subdirs, reverse=True))

    def open(self, member: str) -> IO[bytes]:
        return open(os.path.join(self._base, self._members[member].raw), "rb")  # noqa: SIM115


class ZipReader(PackageReader):
    """A package as a zip archive (ZIP64 included), read member by member."""

    kind = "zip"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self.zf = zipfile.ZipFile(path)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnreadableInputError(f"cannot read zip: {exc}", Location(str(path))) from None
        safe: list[zipfile.ZipInfo] = []
        for info in infos:
            raw = info.filename
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                self._links.add(raw)
                self._unsafe(LINK, raw, "symbolic link")
                continue
            if not self._path_is_safe(raw):
                continue
            safe.append(info)
        self.root_name = _choose_root([i.filename for i in safe], self.findings)
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in safe:
            raw = info.filename
            if self.root_name and not raw.startswith(self.root_name + "/"):
                continue
            if info.is_dir():
                name = raw[len(self.root_name) + 1:].rstrip("/") if self.root_name else raw
                if name:
                    self._dirs.add(name.rstrip("/"))
                continue
            added = self._add(raw, info.file_size)
            if added is not None:
                self._infos[added] = info

    def open(self, member: str) -> IO[bytes]:
        return self.zf.open(self._infos[member])

    def close(self) -> None:
        self.zf.close()


class TarReader(PackageReader):
    """A package as a tar archive (plain or compressed), read member by member."""

    kind = "tar"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self.tf = tarfile.open(path, "r:*")  # noqa: SIM115
            members = self.tf.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise UnreadableInputError(f"cannot read tar: {exc}", Location(str(path))) from None
        safe: list[tarfile.TarInfo] = []
        for m in members:
            raw = m.name
            if m.issym() or m.islnk():
                self._links.add(raw)
                self._unsafe(LINK, raw, "link to " + repr(m.linkname))
                continue
            if not (m.isfile() or m.isdir()):
                self._unsafe(UNSAFE, raw, "device, FIFO or other special member")
                continue
            if not self._path_is_safe(raw):
                continue
            if raw.startswith("./"):
                raw = raw[2:]
                m.name = raw
            safe.append(m)
        self.root_name = _choose_root(
            [m.name + ("/" if m.isdir() else "") for m in safe], self.findings)
        self._tinfos: dict[str, tarfile.TarInfo] = {}
        for m in safe:
            raw = m.name
            if self.root_name and not (raw == self.root_name
                                       or raw.startswith(self.root_name + "/")):
                continue
            if m.isdir():
                name = raw[len(self.root_name) + 1:] if self.root_name else raw
                if name:
                    self._dirs.add(name.rstrip("/"))
                continue
            added = self._add(raw, m.size)
            if added is not None:
                self._tinfos[added] = m

    def open(self, member: str) -> IO[bytes]:
        stream = self.tf.extractfile(self._tinfos[member])
        if stream is None:  # pragma: no cover - only regular files are kept
            raise UnreadableInputError(f"cannot read {member}", Location(member))
        return stream

    def close(self) -> None:
        self.tf.close()


def open_package(path: Path) -> PackageReader:
    """Open a package folder, zip or tar for reading; exit 4 when it is none of these."""
    path = Path(path)
    if path.is_dir():
        return FolderReader(path)
    if not path.is_file():
        raise UnreadableInputError("no such package (folder, zip or tar)", Location(str(path)))
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        # A zip starts with a local file header (or is an empty zip's end record); only
        # then is it read as a zip: zipfile.is_zipfile looks for an end record near the
        # end, which a tar holding an uncompressed .docx or .zip also has.
        if head in (b"PK\x03\x04", b"PK\x05\x06") and zipfile.is_zipfile(path):
            return ZipReader(path)
        if tarfile.is_tarfile(path):
            return TarReader(path)
    except OSError as exc:
        raise UnreadableInputError(f"cannot read: {exc.strerror}", Location(str(path))) from None
    raise UnreadableInputError("not a package: expected a folder, a zip or a tar archive",
                               Location(str(path)))
