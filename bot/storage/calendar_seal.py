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

from bot.infra.seal import TextSeal

# Sealed values start with this, which no https:// address does.
PREFIX = "cal1:"
_INFO = b"respite calendar addresses v1\x00"


class CalendarSeal:
    """Seals and opens calendar addresses with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        self._seal = TextSeal(secret, _INFO, PREFIX)

    def seal(self, platform: str, user_id: str, url: str) -> str:
        return self._seal.seal(url, platform, user_id)

    def open(self, platform: str, user_id: str, stored: str) -> str | None:
        """The address, or None when the value does not open with this secret."""
        return self._seal.open(stored, platform, user_id)


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
