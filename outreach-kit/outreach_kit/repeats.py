"""Which keys one read has already given, and with what content, in bounded memory.

A read checks every record against the keys it gave before (a repeat with the same content
is dropped, one with other content rejected; see ``OutreachStream.request_records``). An
unpaged Salesflow list holds a whole account in one read, so this store grows with the
data: a dict of Python ints costs about 100 bytes a key, these two flat arrays (open
addressing, linear probing, at most 80 % full) about 15.

Most reads are one page (an activity feed's, each its own read) or a few: there a dict is
ten times quicker per record than the arrays' Python-level probing, and its memory is
bounded by the page. So a store starts as a dict, holding exactly what the arrays would
(the same 64-bit keys, the same 32-bit digests), and moves into the arrays past
:data:`DICT_KEYS` keys.
"""

from __future__ import annotations

import typing as t
from array import array

#: Fewest slots the arrays start with, as a power of two.
_INITIAL_BITS = 10
#: Fibonacci hashing: the top bits of key * 2**64/phi spread keys whose low bits agree.
_GOLDEN = 0x9E3779B97F4A7C15
_BITS64 = (1 << 64) - 1
_EMPTY = 0
_MASK32 = 0xFFFFFFFF
#: Keys a store holds in a dict before it moves into the flat arrays (~200 KB at most).
DICT_KEYS = 2048


class KeyDigests:
    """key hash -> content digest (both from ``hash``); 64-bit key hashes, 32-bit digests
    (a changed record whose 32-bit digest still matches passes as a repeat: 1 in 4 billion)."""

    __slots__ = ("_digests", "_keys", "_mask", "_shift", "_small", "_used")

    def __init__(self) -> None:
        #: key -> digest while the store is small; None once it moved into the arrays.
        self._small: dict[int, int] | None = {}
        self._keys = array("q")
        self._digests = array("i")
        self._mask = 0
        self._shift = 64
        self._used = 0

    def __len__(self) -> int:
        return len(self._small) if self._small is not None else self._used

    def put(self, key: int, digest: int) -> int | None:
        """Store ``digest`` for a new ``key`` and return None; for a key already stored,
        return its digest and store nothing."""
        key = key or 1  # 0 marks an empty slot
        small = self._small
        if small is not None:
            held = small.get(key)
            if held is not None:
                return held
            small[key] = _small(digest)
            if len(small) > DICT_KEYS:
                self._to_arrays(small)
            return None
        keys = self._keys
        mask = self._mask
        slot = ((key * _GOLDEN) & _BITS64) >> self._shift
        while True:
            held = keys[slot]
            if held == _EMPTY:
                break
            if held == key:
                return self._digests[slot]
            slot = (slot + 1) & mask
        keys[slot] = key
        self._digests[slot] = _small(digest)
        self._used += 1
        if self._used * 5 > (mask + 1) * 4:
            self._grow()
        return None

    def replace(self, key: int, digest: int) -> None:
        """Store ``digest`` for ``key``, stored or not."""
        if self.put(key, digest) is not None:
            if self._small is not None:
                self._small[key or 1] = _small(digest)
                return
            key = key or 1
            slot = ((key * _GOLDEN) & _BITS64) >> self._shift
            while self._keys[slot] != key:
                slot = (slot + 1) & self._mask
            self._digests[slot] = _small(digest)

    def same(self, held: int, digest: int) -> bool:
        """Whether a digest ``put`` returned is that of ``digest``."""
        return held == _small(digest)

    def _to_arrays(self, small: dict[int, int]) -> None:
        """Move the dict's keys into the flat arrays (sized for them), from now on used."""
        bits = _INITIAL_BITS
        while (1 << bits) * 4 < len(small) * 5:  # at most 80 % full
            bits += 1
        self._small = None
        self._fill(bits, small.items())

    def _grow(self) -> None:
        keys, digests = self._keys, self._digests
        held = ((k, d) for k, d in zip(keys, digests, strict=True) if k != _EMPTY)
        self._fill(65 - self._shift, held)  # twice the slots

    def _fill(self, bits: int, pairs: t.Iterable[tuple[int, int]]) -> None:
        """New arrays of 2**bits slots, holding ``pairs`` (key, 32-bit digest)."""
        self._keys = keys = array("q", bytes(8 << bits))
        self._digests = digests = array("i", bytes(4 << bits))
        self._mask = mask = (1 << bits) - 1
        self._shift = shift = 64 - bits
        used = 0
        for key, digest in pairs:
            slot = ((key * _GOLDEN) & _BITS64) >> shift
            while keys[slot] != _EMPTY:
                slot = (slot + 1) & mask
            keys[slot] = key
            digests[slot] = digest
            used += 1
        self._used = used


def record_key(
    keys: t.Sequence[str], key_value: t.Callable[[t.Any], t.Any]
) -> t.Callable[[dict], tuple]:
    """record -> the tuple of its key fields' values (each through ``key_value``), as a
    read keys its records; for the usual single key field, no generator per record."""
    if len(keys) == 1:
        (name,) = keys
        return lambda record: (key_value(record.get(name)),)
    return lambda record: tuple(key_value(record.get(k)) for k in keys)


def _small(digest: int) -> int:
    """A 64-bit hash as a signed 32-bit value."""
    low = digest & _MASK32
    return low - (1 << 32) if low >= 1 << 31 else low
