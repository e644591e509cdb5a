"""Image filesystems as tar streams, for `docker import` (no base image, no builder, no pulls)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20


@dataclass
class TarTree:
    """A small filesystem built in memory (or from files on disk) and written as one tar stream."""

    members: list[tuple[tarfile.TarInfo, bytes | Path | None]] = field(default_factory=list)

    def directory(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        info = tarfile.TarInfo(path.strip("/"))
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, mode, uid, gid
        self.members.append((info, None))

    def file(
        self, path: str, content: bytes | str | Path, mode: int = 0o644, uid: int = 0, gid: int = 0
    ) -> None:
        info = tarfile.TarInfo(path.strip("/"))
        info.mode, info.uid, info.gid = mode, uid, gid
        data: bytes | Path
        if isinstance(content, Path):
            info.size = content.stat().st_size
            data = content
        else:
            data = content.encode() if isinstance(content, str) else content
            info.size = len(data)
        self.members.append((info, data))

    def symlink(self, path: str, target: str) -> None:
        info = tarfile.TarInfo(path.strip("/"))
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        self.members.append((info, None))

    def tree(self, root: Path, prefix: str = "") -> None:
        """Add every file, directory and symlink under `root` (owned by root, modes kept)."""
        for path in sorted(root.rglob("*")):
            name = f"{prefix.strip('/')}/{path.relative_to(root)}".strip("/")
            if path.is_symlink():
                self.symlink(name, str(path.readlink()))
            elif path.is_dir():
                self.directory(name, path.stat().st_mode & 0o7777)
            else:
                self.file(name, path, path.stat().st_mode & 0o7777)

    def chunks(self) -> Iterator[bytes]:
        """The tar archive (with its end-of-archive marker), in chunks."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for info, data in self.members:
                if isinstance(data, Path):
                    with data.open("rb") as handle:
                        tar.addfile(info, handle)
                elif data is None:
                    tar.addfile(info)
                else:
                    tar.addfile(info, io.BytesIO(data))
                if buffer.tell() > CHUNK:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()


def archive_end(path: Path) -> int:
    """Offset just past the last member of a tar file, i.e. where its end-of-archive blocks start."""
    with tarfile.open(path, mode="r:") as tar:
        for _ in tar:
            pass
        return tar.offset


def concatenated(base: Path, base_end: int, extra: TarTree) -> Iterator[bytes]:
    """`base` without its end marker followed by `extra`: one archive whose later entries win."""
    remaining = base_end
    with base.open("rb") as handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    yield from extra.chunks()
