"""The SecretBox port over AES-256-GCM (`cryptography`), keyed by a key ring.

A sealed value is text, `sbx1.<key id>.<base64url(nonce, ciphertext and tag)>`: a 96-bit random
nonce per value, and as associated data the value's context (what it is and which record holds
it), so a sealed value copied into another record does not open. The key id is the first eight
hex digits of the key's SHA-256, so a value names the key that opens it.

The ring is one or more base64 keys of 32 bytes, newest first: the first seals, every one opens.
That is what rotation needs: add a key behind the current one (every instance can then open what
it will seal), move it to the front, re-encrypt what is stored, drop the old one. The ring comes
from INVENTORY_WEBHOOK_SECRET_KEY (Secret Manager in the cloud) or, for a local store, from a
key file that is generated on first use with mode 0600.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .private_files import private_directory, write_new_private_file

PREFIX = "sbx1."
KEY_BYTES = 32
NONCE_BYTES = 12
OPENED_KEPT = 4096  # opened values remembered per box
KEY_ENV = "INVENTORY_WEBHOOK_SECRET_KEY"
CONTEXT_SEPARATOR = "\x1f"  # between the parts of a context: what the value is, then its record

if TYPE_CHECKING:  # `cryptography` itself is imported on first use, not at a function's cold start
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretKeyError(RuntimeError):
    """A stored secret cannot be opened: no key of the ring sealed it, or it was altered or moved."""


def new_key() -> str:
    """A fresh key, as one entry of a ring."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def parse_ring(text: str, source: str) -> tuple[bytes, ...]:
    """The keys of a ring written as base64 entries separated by commas, spaces or lines
    (`#` starts a comment in a key file). Errors name the source, never the key material."""
    entries = [entry for line in text.splitlines()
               for entry in line.split("#", 1)[0].replace(",", " ").split()]
    if not entries:
        raise ValueError(f"{source} holds no key; make one with `inventory-admin new-secret-key`")
    keys = []
    for position, entry in enumerate(entries, start=1):
        try:
            key = base64.b64decode(entry.replace("-", "+").replace("_", "/") + "=" * (-len(entry) % 4),
                                   validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ValueError(f"key {position} of {source} is not {KEY_BYTES} bytes in base64"
                             " (make one with `inventory-admin new-secret-key`)")
        keys.append(key)
    return tuple(keys)


def key_file_ring(path: Path) -> str:
    """The ring in a local key file, generating the file (one new key, mode 0600, in a 0700
    directory) on first use. Concurrent first uses agree on one key."""
    if not path.exists():
        private_directory(path.parent)
        write_new_private_file(path, "# keys for stored secrets, newest (sealing) first\n"
                                     f"{new_key()}\n")
    return path.read_text()


class AesGcmSecretBox:
    """Seals with the ring's first key, opens with whichever key a value names. The ring is read
    on first use, so a function that never touches a secret never needs the key."""

    def __init__(self, load_ring: Callable[[], tuple[bytes, ...]]):
        self._load_ring = load_ring
        self._lock = threading.Lock()
        self._sealing: tuple[str, AESGCM] | None = None
        self._opening: dict[str, list[AESGCM]] = {}
        # Opened values by (sealed value, context): every fan-out reads the same subscriptions
        # again, and a sealed value (its nonce random) stands for one plaintext only.
        self._opened: OrderedDict[tuple[str, str], str] = OrderedDict()

    def _ring(self) -> tuple[tuple[str, AESGCM], dict[str, list[AESGCM]]]:
        if self._sealing is None:
            with self._lock:
                if self._sealing is None:
                    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
                    keys = self._load_ring()
                    opening: dict[str, list[AESGCM]] = {}
                    for key in keys:
                        opening.setdefault(key_id(key), []).append(AESGCM(key))
                    self._opening = opening
                    self._sealing = (key_id(keys[0]), AESGCM(keys[0]))
        return self._sealing, self._opening

    def seal(self, plaintext: str, context: str) -> str:
        (kid, cipher), _ = self._ring()
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + cipher.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}{kid}.{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

    def open(self, stored: str, context: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written in clear before secrets were sealed; re-encrypting seals it
        remembered = self._opened.get((stored, context))
        if remembered is not None:
            return remembered
        opened = self._open(stored, context)
        with self._lock:
            self._opened[(stored, context)] = opened
            if len(self._opened) > OPENED_KEPT:
                self._opened.popitem(last=False)
        return opened

    def _open(self, stored: str, context: str) -> str:
        from cryptography.exceptions import InvalidTag
        _, opening = self._ring()
        what = context.split(CONTEXT_SEPARATOR)[0]  # "webhook_subscription.secret", never a value
        kid, _, body = stored[len(PREFIX):].partition(".")
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise SecretKeyError(f"the stored {what} is not a sealed value") from None
        for cipher in opening.get(kid, ()):
            try:
                return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode()).decode()
            except InvalidTag:
                continue
        if kid not in opening:
            raise SecretKeyError(f"no key in {KEY_ENV} opens the stored {what} (sealed by key {kid});"
                                 " put that key back in the ring")
        raise SecretKeyError(f"the stored {what} does not open: altered, or moved from another record")

    def is_current(self, stored: str) -> bool:
        (kid, _), _ = self._ring()
        return stored.startswith(f"{PREFIX}{kid}.")


def _no_ring() -> tuple[bytes, ...]:
    raise ValueError("this store was built without a secret box: build it through bootstrap, "
                     f"which keys one from {KEY_ENV} or the local key file")


# A store built without a box (a benchmark's scratch database) refuses to store or read a sealed
# secret rather than keep it in clear.
NO_SECRET_BOX = AesGcmSecretBox(_no_ring)
