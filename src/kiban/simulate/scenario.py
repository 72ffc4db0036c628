"""Disruption scenarios: what happens, where, from which day (docs/scenarios.md).

A `Scenario` runs for `days` days and holds shocks, each starting on its `day` (0 = the first
day): `FirmExit` (firms stop for good), `Embargo` (every supply from firms of one country
stops), `RegionalDisaster` (firms of named regions lose a share of capacity, then recover by a
rule), `ItemShortage` (a share of every supply of one item is lost) and `DemandSurge` (a
program's final demand is multiplied, with firms' spare capacity to meet it).

Shocks check their own values when built, so a scenario built in Python and one read from
TOML (`load_scenario`, `scenario_from_mapping`) fail the same way, with a SimulateError that
names the key (and, from a file, the file and the table). `check_scenario` then checks the
names against a network: the firms, countries, regions, items and programs must exist.

>>> s = scenario_from_mapping({"name": "quake", "days": 90,
...     "disaster": [{"regions": ["Aichi"], "loss": 0.6, "day": 3, "recovery": "linear",
...                   "recovery_days": 60}]})
>>> s.shocks[0]
RegionalDisaster(regions=('Aichi',), loss=0.6, day=3, recovery='linear', recovery_days=60.0)
>>> try:
...     scenario_from_mapping({"name": "x", "days": 9, "disaster": [{"regions": ["A"], "los": 1}]})
... except SimulateError as error:
...     print(str(error).split(";")[0])
<scenario>: [[disaster]] #1: unknown key 'los' (did you mean 'loss'?)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import polars as pl

from kiban.dataset.validate import country_codes
from kiban.errors import SimulateError
from kiban.network import SupplyNetwork
from kiban.tomlfile import check_keys, read_toml

RECOVERY_RULES = ("none", "linear", "exponential")
"""How a disaster's lost capacity comes back: not at all, in a straight line, exponentially."""

DEFAULT_SPARE_CAPACITY = 0.1
"""Share of its baseline output a firm can add to meet a demand surge, unless told otherwise."""

_LISTED = 50
"""Known values are listed in an error message when there are at most this many."""


@dataclass(frozen=True)
class FirmExit:
    """Firms `firm_ids` stop producing for good from `day`."""

    key: ClassVar[str] = "exit"
    firm_ids: tuple[str, ...]
    day: int = 0

    def __post_init__(self) -> None:
        _set(self, "firm_ids", _ids(self.firm_ids, "firm_ids", "firm id"))
        _day(self.day)


@dataclass(frozen=True)
class Embargo:
    """Every supply from firms in `country` (ISO 3166-1 alpha-2) stops from `day`."""

    key: ClassVar[str] = "embargo"
    country: str
    day: int = 0

    def __post_init__(self) -> None:
        _country(self.country)
        _day(self.day)


@dataclass(frozen=True)
class RegionalDisaster:
    """Firms in `regions` lose `loss` (0..1] of their capacity on `day`, then recover.

    `recovery`: "none" (the loss stays), "linear" (capacity is back in full `recovery_days`
    after the shock) or "exponential" (the remaining loss decays with time constant
    `recovery_days`: loss * exp(-t / recovery_days) t days after the shock). A region is
    matched by name in every country (the firms' `region` column: prefectures in Japan).
    """

    key: ClassVar[str] = "disaster"
    regions: tuple[str, ...]
    loss: float
    day: int = 0
    recovery: str = "none"
    recovery_days: float | None = None

    def __post_init__(self) -> None:
        _set(self, "regions", _ids(self.regions, "regions", "region name"))
        _set(self, "loss", _fraction(self.loss, "loss"))
        _day(self.day)
        if self.recovery not in RECOVERY_RULES:
            raise SimulateError(
                f"recovery must be one of {', '.join(RECOVERY_RULES)}, not {self.recovery!r}"
            )
        if self.recovery == "none":
            if self.recovery_days is not None:
                raise SimulateError("recovery_days is given but recovery is 'none'")
        elif self.recovery_days is None:
            raise SimulateError(f"recovery {self.recovery!r} needs recovery_days")
        else:
            days = _number(self.recovery_days, "recovery_days")
            if days <= 0:
                raise SimulateError(f"recovery_days must be > 0, not {self.recovery_days!r}")
            _set(self, "recovery_days", days)


@dataclass(frozen=True)
class ItemShortage:
    """A share `loss` (0..1] of every supply of item `item_id` is lost from `day`."""

    key: ClassVar[str] = "shortage"
    item_id: str
    loss: float
    day: int = 0

    def __post_init__(self) -> None:
        _id(self.item_id, "item_id", "item id")
        _set(self, "loss", _fraction(self.loss, "loss"))
        _day(self.day)


@dataclass(frozen=True)
class DemandSurge:
    """Final demand for program `program_id` is multiplied by `factor` (> 0) from `day`.

    Firms may raise output above their baseline by a share of it: `spare_capacity_by_firm`
    (firm id -> share >= 0) where given, else `spare_capacity`, else the scenario's.
    """

    key: ClassVar[str] = "surge"
    program_id: str
    factor: float
    day: int = 0
    spare_capacity: float | None = None
    spare_capacity_by_firm: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        _id(self.program_id, "program_id", "program id")
        factor = _number(self.factor, "factor")
        if factor <= 0:
            raise SimulateError(f"factor must be > 0, not {self.factor!r}")
        _set(self, "factor", factor)
        _day(self.day)
        if self.spare_capacity is not None:
            _set(self, "spare_capacity", _share(self.spare_capacity, "spare_capacity"))
        by_firm = self.spare_capacity_by_firm
        if not isinstance(by_firm, Mapping):
            raise SimulateError(
                f"spare_capacity_by_firm must be a table of firm id = share, not {by_firm!r}"
            )
        checked = {
            _id(firm, "spare_capacity_by_firm", "firm id"): _share(
                share, f"spare_capacity_by_firm.{firm}"
            )
            for firm, share in by_firm.items()
        }
        _set(self, "spare_capacity_by_firm", MappingProxyType(checked))

    def spare_capacity_of(self, firm_id: str, default: float = DEFAULT_SPARE_CAPACITY) -> float:
        """The share of its baseline output firm `firm_id` can add for this surge."""
        share = self.spare_capacity_by_firm.get(firm_id, self.spare_capacity)
        return default if share is None else share


Shock = FirmExit | Embargo | RegionalDisaster | ItemShortage | DemandSurge
SHOCK_KINDS: tuple[type[Shock], ...] = (
    FirmExit,
    Embargo,
    RegionalDisaster,
    ItemShortage,
    DemandSurge,
)


@dataclass(frozen=True)
class Scenario:
    """Shocks over `days` days (> 0); `spare_capacity` is the default of demand surges.

    Every shock starts within the scenario: its day is below `days`.
    """

    name: str
    days: int
    shocks: tuple[Shock, ...] = ()
    description: str = ""
    spare_capacity: float = DEFAULT_SPARE_CAPACITY

    def __post_init__(self) -> None:
        _id(self.name, "name", "name")
        if not isinstance(self.description, str):
            raise SimulateError(f"description must be text, not {self.description!r}")
        if not _is_int(self.days) or self.days <= 0:
            raise SimulateError(f"days must be a whole number > 0, not {self.days!r}")
        _set(self, "spare_capacity", _share(self.spare_capacity, "spare_capacity"))
        shocks = tuple(self.shocks) if isinstance(self.shocks, Iterable) else self.shocks
        if not isinstance(shocks, tuple) or not all(isinstance(s, SHOCK_KINDS) for s in shocks):
            raise SimulateError(f"shocks must be a sequence of shocks, not {self.shocks!r}")
        _set(self, "shocks", shocks)
        for where, shock in self.numbered():
            if shock.day >= self.days:
                raise SimulateError(
                    f"{where}: day {shock.day} is past the scenario's last day "
                    f"(days = {self.days}, so days 0 to {self.days - 1})"
                )

    def numbered(self) -> list[tuple[str, Shock]]:
        """Each shock with its place as a file names it: "[[disaster]] #2" is the 2nd disaster."""
        seen: dict[str, int] = {}
        found = []
        for shock in self.shocks:
            seen[shock.key] = seen.get(shock.key, 0) + 1
            found.append((f"[[{shock.key}]] #{seen[shock.key]}", shock))
        return found


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a TOML file (docs/scenarios.md); SimulateError names file and key."""
    return scenario_from_mapping(read_toml(path, "scenario file", SimulateError), str(path))


_TOP_KEYS = ("name", "description", "days", "spare_capacity")


def scenario_from_mapping(doc: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Build a scenario from a parsed TOML document (or any mapping of the same shape).

    `source` names the document in messages (the file's path). Top-level keys: `name`,
    `days` (required), `description`, `spare_capacity`, and arrays of tables `exit`,
    `embargo`, `disaster`, `shortage`, `surge` whose keys are the fields of `FirmExit`,
    `Embargo`, `RegionalDisaster`, `ItemShortage` and `DemandSurge`. An unknown key is an
    error that lists the allowed keys and suggests the closest one.
    """
    tables = {kind.key: kind for kind in SHOCK_KINDS}
    if not isinstance(doc, Mapping):
        raise SimulateError(f"{source}: a scenario must be a table of keys, not {doc!r}")
    _known_keys(doc, (*_TOP_KEYS, *tables), f"{source}: top level", "the top level")
    for required in ("name", "days"):
        if required not in doc:
            raise SimulateError(f"{source}: missing key {required!r} at the top level")
    shocks: list[Shock] = []
    for key, kind in tables.items():
        entries = doc.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise SimulateError(
                f"{source}: {key!r} must be an array of tables written [[{key}]], not {entries!r}"
            )
        fields = dataclasses.fields(kind)
        for number, entry in enumerate(entries, 1):
            where = f"{source}: [[{key}]] #{number}"
            _known_keys(entry, [f.name for f in fields], where, f"[[{key}]]")
            for f in fields:
                needed = (
                    f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                )
                if needed and f.name not in entry:
                    raise SimulateError(f"{where}: missing key {f.name!r}")
            try:
                shocks.append(kind(**entry))
            except SimulateError as error:
                raise SimulateError(f"{where}: {error}") from None
    top = {key: doc[key] for key in _TOP_KEYS if key in doc}
    try:
        return Scenario(shocks=tuple(shocks), **top)
    except SimulateError as error:
        raise SimulateError(f"{source}: {error}") from None


def check_scenario(scenario: Scenario, network: SupplyNetwork) -> None:
    """SimulateError unless every firm, region, item and program the scenario names exists.

    Countries are checked as ISO codes when the shock is built. An embargo on a valid code
    with no firm in the network is allowed: it changes nothing, and `static_impact` says so
    in its notes (a study may apply one scenario file to several networks).
    Cost: O(firms) for the regions, a lookup per named id.
    """
    firms = network.dataset.firms
    regions: set[str] | None = None
    for where, shock in scenario.numbered():
        prefix = f"scenario {scenario.name!r}: {where}"
        if isinstance(shock, FirmExit):
            _known(shock.firm_ids, network.firm_ids, "firm", prefix)
        elif isinstance(shock, RegionalDisaster):
            if regions is None:
                regions = set(firms.get_column("region").drop_nulls().unique().to_list())
            _known(shock.regions, pl.Series(sorted(regions), dtype=pl.String), "region", prefix)
        elif isinstance(shock, ItemShortage):
            _known([shock.item_id], network.item_ids, "item", prefix)
        elif isinstance(shock, DemandSurge):
            _known([shock.program_id], network.program_ids, "program", prefix)
            _known(list(shock.spare_capacity_by_firm), network.firm_ids, "firm", prefix)


def shortcut_scenario(
    exit: Sequence[str] = (),  # the CLI's option name, though it shadows a builtin
    embargo: Sequence[str] = (),
    disaster: Sequence[str] = (),
    loss: float = 1.0,
    days: int = 365,
) -> Scenario:
    """The scenario of the CLI's shortcuts: `--exit FIRM`, `--embargo CC`, `--disaster REGION
    --loss 0.6`, all from day 0 with no recovery. Nothing asked: SimulateError.

    >>> shortcut_scenario(["F1"], ["CN"], ["Aichi"], 0.6, 90).description
    'exit F1; embargo CN; disaster Aichi (loss 0.6)'
    """
    shocks: list[Shock] = []
    parts: list[str] = []
    if exit:
        shocks.append(FirmExit(tuple(exit)))
        parts.append(f"exit {', '.join(exit)}")
    for country in embargo:
        shocks.append(Embargo(country))
    if embargo:
        parts.append(f"embargo {', '.join(embargo)}")
    if disaster:
        shocks.append(RegionalDisaster(tuple(disaster), loss))
        parts.append(f"disaster {', '.join(disaster)} (loss {loss:g})")
    if not shocks:
        raise SimulateError("nothing to simulate: name a firm exit, an embargo or a disaster")
    return Scenario(name="shortcut", days=days, shocks=tuple(shocks), description="; ".join(parts))


# -- checks shared by the shocks: each names its key ---------------------------------------


def _set(shock: object, name: str, value: object) -> None:
    object.__setattr__(shock, name, value)  # normalise a field of a frozen dataclass


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SimulateError(f"{key} must be a number, not {value!r}")
    return float(value)


def _fraction(value: object, key: str) -> float:
    number = _number(value, key)
    if not 0 < number <= 1:
        raise SimulateError(f"{key} must be above 0 and at most 1, not {value!r}")
    return number


def _share(value: object, key: str) -> float:
    number = _number(value, key)
    if number < 0:
        raise SimulateError(f"{key} must be 0 or more, not {value!r}")
    return number


def _day(value: object) -> None:
    if not _is_int(value) or value < 0:  # type: ignore[operator]
        raise SimulateError(f"day must be a whole number >= 0 (0 = the first day), not {value!r}")


def _id(value: object, key: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SimulateError(f"{key} must be a {what} (non-empty text), not {value!r}")
    return value


def _ids(values: object, key: str, what: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise SimulateError(f"{key} must be a list of {what}s, not {values!r}")
    found = tuple(_id(value, key, what) for value in values)
    if not found:
        raise SimulateError(f"{key} must name at least one {what}")
    return found


def _country(code: object) -> None:
    if not isinstance(code, str) or code not in country_codes():
        hint = ""
        if isinstance(code, str) and code.upper() in country_codes():
            hint = f" (did you mean {code.upper()!r}?)"
        raise SimulateError(
            f"country must be an ISO 3166-1 alpha-2 code such as CN or US, not {code!r}{hint}"
        )


def _known_keys(table: Mapping[str, Any], allowed: Sequence[str], where: str, name: str) -> None:
    check_keys(table, allowed, where, SimulateError, name=name)


def _known(names: Sequence[str], known: pl.Series, what: str, where: str) -> None:
    if not names:
        return
    present = pl.Series(list(names), dtype=pl.String).is_in(known.implode())
    if present.all():
        return
    unknown = names[present.to_list().index(False)]
    listed = ""
    if known.len() <= _LISTED:
        listed = f"; the {what}s are: {', '.join(known.to_list()) or 'none'}"
    raise SimulateError(f"{where}: no {what} {unknown!r} in the network{listed}")
