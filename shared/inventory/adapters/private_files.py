"""Files only the service's own user may read: the data directory (0700), the database and the
key file (0600). Made so when created, and tightened when found looser (an older install)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Create `path` (and its parents) with mode 0700, or tighten it if it is ours and looser.
    A shared sticky directory such as /tmp is left as it is: it is not ours to close."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    found = path.stat()
    if (stat.S_IMODE(found.st_mode) & 0o077 and not found.st_mode & stat.S_ISVTX
            and found.st_uid == os.geteuid()):
        os.chmod(path, DIRECTORY_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it is missing (never briefly readable by others),
    or tighten it to 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def write_new_private_file(path: Path, text: str) -> bool:
    """Write `text` to `path` with mode 0600 unless the file exists; atomic, so concurrent
    writers leave exactly one complete file. False when another one was there first."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if the file exists: the first writer wins
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)
