"""Calendar feed addresses sealed at rest: AES-GCM under a key derived from RESPITE_SECRET.

A clinician's calendar address is a secret: whoever holds it reads their diary (clients' names
are often in it). Someone holding the database file or a backup, without the secret, must not
get it. So the address is sealed as the open rounds' answers are (bot/storage/sealed.py): HKDF
from the server secret, with an info string of its own so that the key opens nothing else, and
the person's platform and id bound in as associated data (a sealed address copied onto another
person's row does not open). The plaintext is padded to a multiple of 256 bytes, so a row's
length hardly says which calendar service it names.

A stored value that does not open (the secret changed, or a process ran with a throwaway one)
reads as no calendar: the person is prompted at their usual times and may give it again.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Sealed values start with this, which no https:// address does.
PREFIX = "cal1:"
_INFO = b"respite calendar addresses v1\x00"
_NONCE_BYTES = 12
_PAD = 256


class CalendarSeal:
    """Seals and opens calendar addresses with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the server secret must be at least 16 bytes")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
        self._cipher = AESGCM(hkdf.derive(secret))

    @staticmethod
    def _aad(platform: str, user_id: str) -> bytes:
        return f"{platform}\0{user_id}".encode()

    def seal(self, platform: str, user_id: str, url: str) -> str:
        plain = url.encode()
        size = -(-(len(plain) + 1) // _PAD) * _PAD
        padded = plain + b"\0" * (size - len(plain))
        nonce = os.urandom(_NONCE_BYTES)
        body = self._cipher.encrypt(nonce, padded, self._aad(platform, user_id))
        return PREFIX + base64.urlsafe_b64encode(nonce + body).decode()

    def open(self, platform: str, user_id: str, stored: str) -> str | None:
        """The address, or None when the value does not open with this secret."""
        if not is_sealed(stored):
            return stored  # written before sealing began and not yet migrated
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        try:
            plain = self._cipher.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(platform, user_id)
            )
        except InvalidTag:
            return None
        return plain.rstrip(b"\0").decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
