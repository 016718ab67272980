"""Errors a data engineer can act on: each names the setting, stream or file at fault."""

from __future__ import annotations


class LoaderError(Exception):
    """A failure with a known cause; the message says what to do about it."""
