"""The errors kiban shows to its users.

Every failure a user can cause (a bad file, a bad value, a store that does not answer) raises a
`KibanError` subclass whose message says what is wrong and where. The CLI prints the message and
exits non-zero without a traceback; anything else that escapes is a bug in kiban.
"""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """The first line of `error`'s message, or its type's name if it has none.

    Library errors (polars, SQLAlchemy, fastexcel) can run to many lines; the first says what
    went wrong, which is what a message to the user quotes.
    """
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


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


class RiskError(KibanError):
    """A risk analysis was asked about something the data does not hold (an unknown program
    or firm, an empty store, a program whose prime is missing) or given a bad setting."""


class SimulateError(KibanError):
    """A disruption scenario is malformed (a bad key, type or value in its file) or names a
    firm, country, region, item or program the network does not hold."""


class EconError(KibanError):
    """An economic model or scenario is given a value it cannot take (a learning slope outside
    (0, 1], a negative quantity, a year before the schedule starts, an unknown profit regime)
    or a scenario file with a bad key, type or value."""


class PlanError(KibanError):
    """A planning problem that cannot be solved: a bad budget, action or risk, or a solver
    that stopped without a plan."""
