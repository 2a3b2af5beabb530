"""Writing files so that a reader never sees half of one and a full disk leaves nothing behind.

`write_atomic` is the one way mediawatch writes a file it produces (digests, briefs, reports, the demo's
ports file): the bytes go to a temporary file beside the target, are flushed to disk, then renamed
over it. If anything fails — most often a full disk — the temporary file is removed, the old file (if
any) is untouched, and a full disk is reported as `DiskFull` naming the file and what to do.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mediawatch.errors import DiskFull

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def disk_full(path: Path | str, exc: OSError | None = None) -> DiskFull:
    """The one-line error for a file that could not be written for lack of space."""
    why = f" ({exc.strerror})" if exc is not None and exc.strerror else ""
    return DiskFull(f"cannot write {path}: no space left on its disk{why}. Free space there (or point "
                    "MEDIAWATCH_DATA_DIR / MEDIAWATCH_DIGEST_DIR / --out at a disk with room) and run the command "
                    "again; nothing was half-written")


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside `path` (hidden, unique), with the permissions the umask gives new files
    (tempfile.mkstemp would make it 0600, and the archive is read by the workspace and by people)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
    except OSError as exc:
        if exc.errno in _FULL:
            raise disk_full(path, exc) from exc
        raise


def write_atomic(path: Path | str, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` all or nothing (see the module docstring); the path."""
    path = Path(path)
    blob = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in _FULL:
            raise disk_full(path, exc) from exc
        raise
    return path


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """For writers that stream into a file themselves (CSV, XLSX): yields a temporary path beside `path`,
    renamed over it when the block ends without error, removed otherwise (a full disk is `DiskFull`)."""
    path = Path(path)
    fd, tmp = _create_temp(path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in _FULL:
            raise disk_full(path, exc) from exc
        raise


PROBE_BYTES = 1 << 20  # room a run needs at the very least before it starts (Prefect's SQLite, a page)


def check_room(folder: Path | str, what: str) -> None:
    """Before a job starts: `folder` takes a 1 MB file (then removed), or DiskFull names it and `what`
    lives there — instead of a flow that times out waiting for a server that cannot write its database."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / ".mediawatch-room-check"
    try:
        write_atomic(probe, b"\0" * PROBE_BYTES)
    except DiskFull as exc:
        raise DiskFull(f"{what} ({folder}) has no room: {exc}") from exc
    finally:
        probe.unlink(missing_ok=True)
