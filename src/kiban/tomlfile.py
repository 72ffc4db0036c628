"""A user's TOML file (a disruption scenario, a program study), read with clear errors.

Both checks raise the caller's `KibanError` subclass, so a scenario's faults stay
`SimulateError`s and a study's `EconError`s, each naming the file and the key.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kiban.errors import KibanError


def read_toml(path: str | Path, what: str, error: type[KibanError]) -> dict[str, Any]:
    """The document of the TOML file at `path`; `error` says which file (`what` names its kind:
    "scenario file") could not be found, read or parsed, with TOML's line and column."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise error(f"{what} {path} not found") from None
    except OSError as failure:
        raise error(f"{what} {path} cannot be read: {failure}") from None
    except tomllib.TOMLDecodeError as failure:  # its message gives line and column
        raise error(f"{path}: not valid TOML: {failure}") from None
    except UnicodeDecodeError as failure:
        raise error(f"{path}: not UTF-8 text: {failure}") from None


def check_keys(
    table: Mapping[str, Any],
    allowed: Sequence[str],
    where: str,
    error: type[KibanError],
    *,
    name: str | None = None,
) -> None:
    """`error` for the first key of `table` not in `allowed`, with the closest allowed key and
    the list of them (`name`: what the keys belong to, for the message)."""
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            owner = f"the keys of {name} are" if name else "the keys are"
            raise error(f"{where}: unknown key {key!r}{hint}; {owner}: {', '.join(allowed)}")
