from __future__ import annotations

import io
import tarfile
from pathlib import Path

from pykamal.sandbox.imagetar import TarTree, archive_end, concatenated


def test_concatenated_archive_keeps_base_entries_and_lets_later_ones_win(tmp_path: Path) -> None:
    base = tmp_path / "base.tar"
    with tarfile.open(base, "w") as tar:
        for name, data in (("etc/a", b"old"), ("etc/keep", b"kept")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    extra = TarTree()
    extra.file("etc/a", "new", 0o600)
    extra.directory("var/log/x", 0o750)
    extra.symlink("bin/sh", "/bin/busybox")
    combined = tmp_path / "combined.tar"
    combined.write_bytes(b"".join(concatenated(base, archive_end(base), extra)))

    with tarfile.open(combined) as tar:
        names = [m.name for m in tar.getmembers()]
        assert names == ["etc/a", "etc/keep", "etc/a", "var/log/x", "bin/sh"]
        out = tmp_path / "out"
        tar.extractall(out, filter="tar")
    assert (out / "etc" / "a").read_text() == "new"
    assert (out / "etc" / "a").stat().st_mode & 0o777 == 0o600
    assert (out / "etc" / "keep").read_text() == "kept"
    assert (out / "var" / "log" / "x").is_dir()
    assert str((out / "bin" / "sh").readlink()) == "/bin/busybox"


def test_tree_adds_files_from_disk_with_their_modes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr" / "bin").mkdir(parents=True)
    tool = root / "usr" / "bin" / "tool"
    tool.write_bytes(b"#!/bin/sh\n" + b"x" * (3 << 20))  # larger than one chunk
    tool.chmod(0o755)
    tree = TarTree()
    tree.tree(root)
    data = b"".join(tree.chunks())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmember("usr/bin/tool")
        assert member.mode == 0o755 and member.uid == 0 and member.size == tool.stat().st_size
        assert tar.getmember("usr").isdir()
