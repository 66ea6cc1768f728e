"""Answers of an open round sealed at rest: AES-GCM under a key derived from RESPITE_SECRET.

Someone holding the database file or a backup, without the secret, must learn nothing from a
round's answers while it is open (once it closes they are tallied and deleted). So:

- Each round has its own key, derived with HKDF from the server secret and the round id. A
  ciphertext moved to another round does not open, and no key seals more than one round's
  answers, which keeps the count of random 96-bit nonces per key far below AES-GCM's limit even
  though every submission seals the whole round again.
- The plaintext (the reporting unit and the answers, as JSON) is padded to one length for the
  whole round, so a ciphertext's length says nothing about which answers it holds.
- A fresh nonce on every sealing: the same answer sealed twice shares no byte of ciphertext, so
  two backups taken a submission apart cannot tell which answer is new.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.domain.instrument import Instrument

VERSION = b"\x01"
_NONCE_BYTES = 12
_INFO = b"respite pulse answers v1\x00"
# A reporting unit id is at most 64 characters (the column it came from); in UTF-8 at most 4
# bytes each.
_UNIT_CHARS = 64
_WIDEST_CHAR = "\U00010000"


class MissingSecret(ValueError):
    """No usable RESPITE_SECRET: answers are never stored in clear instead."""


class UnsealError(Exception):
    """A stored answer does not open with this secret (the secret changed, or the row did)."""


@dataclass(frozen=True, slots=True)
class Answer:
    unit_id: str
    answers: dict[str, int]


def _encode(answer: Answer) -> bytes:
    return json.dumps(
        [answer.unit_id, answer.answers], ensure_ascii=False, separators=(",", ":")
    ).encode()


def sealed_size(instrument: Instrument) -> int:
    """The plaintext length every answer of a round is padded to: the longest answer the
    instrument allows (every item, each with the widest value of the scale) from the longest
    unit id."""
    digits = max(len(str(instrument.scale_min)), len(str(instrument.scale_max)))
    widest = int("9" * digits) if instrument.scale_min >= 0 else -int("9" * (digits - 1))
    longest = Answer(_WIDEST_CHAR * _UNIT_CHARS, {item.id: widest for item in instrument.items})
    return len(_encode(longest))


class AnswerSeal:
    """Seals and opens the answers of a round with keys derived from the server secret."""

    def __init__(self, secret: bytes | None) -> None:
        if not secret or len(secret) < 16:
            raise MissingSecret(
                "RESPITE_SECRET is not set (or shorter than 16 bytes): pulse answers are stored "
                "sealed with a key derived from it and are never stored in clear"
            )
        self._secret = secret

    def _cipher(self, round_id: str) -> AESGCM:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + round_id.encode())
        return AESGCM(hkdf.derive(self._secret))

    def seal_all(self, round_id: str, answers: Iterable[Answer], size: int = 0) -> list[str]:
        """Seal answers of one round, all padded to one length: `size` or, when an answer is
        longer (sealed under another instrument), the longest of them."""
        plaintexts = [_encode(a) for a in answers]
        length = max([size, *map(len, plaintexts)])
        cipher = self._cipher(round_id)
        return [_seal(cipher, p.ljust(length, b" ")) for p in plaintexts]

    def open_all(self, round_id: str, sealed: Iterable[str]) -> list[Answer]:
        """The answers, in the order given. JSON ignores the trailing spaces of the padding."""
        cipher = self._cipher(round_id)
        return [_open(cipher, round_id, token) for token in sealed]


def _seal(cipher: AESGCM, plaintext: bytes) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    body = cipher.encrypt(nonce, plaintext, VERSION)
    return base64.urlsafe_b64encode(VERSION + nonce + body).decode()


def _open(cipher: AESGCM, round_id: str, token: str) -> Answer:
    raw = base64.urlsafe_b64decode(token)
    version, nonce, body = raw[:1], raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    try:
        if version != VERSION:
            raise InvalidTag
        unit_id, answers = json.loads(cipher.decrypt(nonce, body, VERSION))
    except InvalidTag:
        raise UnsealError(
            f"an answer of pulse round {round_id} does not open: RESPITE_SECRET is not the one "
            "it was sealed with"
        ) from None
    return Answer(str(unit_id), {str(k): int(v) for k, v in dict(answers).items()})
