"""mediawatch.files: a file is written whole or not at all; a full disk is one clear error, no .tmp left."""

from __future__ import annotations

import errno
import os
import subprocess

import pytest

from mediawatch.errors import DiskFull
from mediawatch.files import atomic_path, write_atomic


def test_write_atomic_replaces_whole_and_keeps_the_umask_permissions(tmp_path):
    target = tmp_path / "digest.html"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "نو")
    assert target.read_text(encoding="utf-8") == "نو"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert os.listdir(tmp_path) == ["digest.html"]


def test_a_failed_streamed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "export.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("the writer broke")
    assert target.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["export.csv"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB tmpfs: a real ENOSPC (needs the right to mount; skipped without it)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                           capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); tests/flows/test_disk_full.py "
                    "covers a full disk with RLIMIT_FSIZE")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_really_full_disk_is_disk_full_naming_the_file_and_leaves_nothing(tiny_disk):
    target = tiny_disk / "digest.html"
    target.write_text("yesterday's", encoding="utf-8")
    with pytest.raises(DiskFull, match=r"digest\.html: no space left") as info:
        write_atomic(target, "x" * 200_000)
    assert info.value.__cause__.errno == errno.ENOSPC
    assert target.read_text(encoding="utf-8") == "yesterday's" and sorted(os.listdir(tiny_disk)) == ["digest.html"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

