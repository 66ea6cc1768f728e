"""Short secrets sealed at rest: AES-GCM under a key derived from RESPITE_SECRET for one purpose.

Some values in the database are secrets in themselves: a clinician's calendar address (it reads
their diary), a workspace's Slack tokens (they act as Respite). Someone holding the database file
or a backup, without the server secret, must not get them. Each purpose derives its own key
(HKDF with an info string of its own, so one key opens nothing else), binds the value to where it
belongs as associated data (a sealed value copied onto another row does not open), and pads the
plaintext to a multiple of 256 bytes, so a row's length hardly says what it holds.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12
_PAD = 256


class TextSeal:
    """Seals and opens text for one purpose; sealed values start with `prefix`."""

    def __init__(self, secret: bytes, info: bytes, prefix: str, pad: int = _PAD) -> None:
        if len(secret) < 16:
            raise ValueError("the server secret must be at least 16 bytes")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
        self._cipher = AESGCM(hkdf.derive(secret))
        self.prefix = prefix
        self._pad = pad

    def is_sealed(self, stored: str) -> bool:
        return stored.startswith(self.prefix)

    def seal(self, text: str, *bound_to: str) -> str:
        plain = text.encode()
        size = -(-(len(plain) + 1) // self._pad) * self._pad
        padded = plain + b"\0" * (size - len(plain))
        nonce = os.urandom(_NONCE_BYTES)
        body = self._cipher.encrypt(nonce, padded, "\0".join(bound_to).encode())
        return self.prefix + base64.urlsafe_b64encode(nonce + body).decode()

    def open(self, stored: str, *bound_to: str) -> str | None:
        """The text, or None when the value does not open with this secret and binding. A value
        that was never sealed (written before sealing began) is returned as it is."""
        if not self.is_sealed(stored):
            return stored
        raw = base64.urlsafe_b64decode(stored[len(self.prefix) :])
        try:
            plain = self._cipher.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], "\0".join(bound_to).encode()
            )
        except InvalidTag:
            return None
        return plain.rstrip(b"\0").decode()
