"""Cheap random identifiers for the per-request path.

AWS request IDs (``x-amzn-RequestId``) and CloudTrail event IDs are random (version 4)
UUIDs. ``str(uuid.uuid4())`` costs a few microseconds (``os.urandom`` plus the ``UUID``
object); a private PRNG formatted by hand gives the same shape for a tenth of that. These
IDs are identifiers, not secrets, so a non-cryptographic generator is fine. The generator
is private (the global ``random`` state, which tests may seed, is never consumed) and is
reseeded in forked children so that two processes never share a sequence.
"""

from __future__ import annotations

import os
import random

__all__ = ["random_uuid"]

_rng = random.Random(os.urandom(32))
_getrandbits = _rng.getrandbits
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(32)))

# Version 4 (bits 76-79 = 0100) and the RFC 4122 variant (bits 62-63 = 10).
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)


def random_uuid() -> str:
    """A random UUID string, as ``str(uuid.uuid4())`` formats it."""
    h = "%032x" % ((_getrandbits(128) & _CLEAR) | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
