"""The errors kiban shows to its users.

Every failure a user can cause (a bad file, a bad value, a store that does not answer) raises a
`KibanError` subclass whose message says what is wrong and where. The CLI prints the message and
exits non-zero without a traceback; anything else that escapes is a bug in kiban.
"""

from __future__ import annotations


class KibanError(Exception):
    """A failure caused by input or environment, with a message meant for the user."""

    exit_code = 1


class DatasetError(KibanError):
    """A dataset cannot be read at all: missing path, unreadable file, wrong encoding, no sheet."""


class StoreError(KibanError):
    """The store cannot be opened, migrated or written."""


class ConflictError(StoreError):
    """An import would change stored rows and `replace` was not asked for."""


class ReferenceDataError(KibanError):
    """An unknown reference topic or a damaged reference file."""


class GeneratorError(KibanError):
    """A generator was given parameters it cannot honour."""
