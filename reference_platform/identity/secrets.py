"""Secrets the platform hands out (refresh tokens, tickets, one-time codes) are stored only as digests."""

import hashlib


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
