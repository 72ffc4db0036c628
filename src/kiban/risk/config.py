"""The risk configuration: weights, scales and thresholds, in one file the user can override.

`load_config()` reads the packaged defaults (`config.toml` beside this module); `load_config(path)`
lays a user's TOML file over them, key by key, so the file need only name what it changes. Every
key and type is checked against the declaration below: a misspelt key or a weight written as
text is refused with a `RiskError` naming the key and the file, never silently ignored.

>>> config = load_config()
>>> config.home_country, config.countries_of_concern, config.stale_after_days
('JP', (), 396)
>>> config.fragility.operating_margin.scale.score([0.02])
array([3.])
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiban.dataset.validate import country_codes
from kiban.errors import RiskError
from kiban.risk.staleness import DAYS_PER_MONTH

MIN_SCORE, MAX_SCORE = 1.0, 5.0
"""Every factor score, and every combined score, lies in 1 (low) .. 5 (high)."""


@dataclass(frozen=True)
class Scale:
    """A piecewise-linear map from a factor's value to its score 1..5.

    `points` are (value, score) pairs with increasing values; between two points the score is
    interpolated linearly, beyond the first or last it is held flat.

    >>> Scale(((0.0, 1.0), (1.0, 5.0))).score([-1.0, 0.25, 2.0])
    array([1., 2., 5.])
    """

    points: tuple[tuple[float, float], ...]

    def score(self, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Scores of `values` (NaN stays NaN: a missing value has no score)."""
        x = np.asarray(values, dtype=np.float64)
        xp, fp = zip(*self.points, strict=True)
        return np.where(np.isnan(x), np.nan, np.interp(x, xp, fp))


@dataclass(frozen=True)
class Factor:
    """A numeric factor: its weight and the scale from its value to its score."""

    weight: float
    scale: Scale


@dataclass(frozen=True)
class SizeFactor:
    """Size: scored on `employees` when the firm reports them, else on `revenue_jpy`."""

    weight: float
    employees: Scale
    revenue_jpy: Scale


@dataclass(frozen=True)
class StatusFactor:
    """The firm's status (`active`, `withdrawing`, `exited`) and the score of each."""

    weight: float
    active: float
    withdrawing: float
    exited: float


@dataclass(frozen=True)
class SuccessionFactor:
    """Whether an owner-run firm has a successor, and the score of each answer."""

    weight: float
    with_successor: float
    without_successor: float


@dataclass(frozen=True)
class FragilityConfig:
    """The factors of a firm's fragility (how likely it is to stop supplying)."""

    status: StatusFactor
    operating_margin: Factor
    succession: SuccessionFactor
    defense_dependence: Factor
    customer_concentration: Factor
    size: SizeFactor
    hazard: Factor
    cyber: Factor
    foreign_ownership: Factor


@dataclass(frozen=True)
class CriticalityConfig:
    """The factors of a firm's criticality (how hard its loss would be to bear)."""

    spof_programs: Factor
    program_value_jpy: Factor
    qualification_days: Factor
    sole_source_items: Factor


@dataclass(frozen=True)
class RiskLevels:
    """Where risk (fragility x criticality, 1..25) turns from low to medium to high."""

    medium_at: float
    high_at: float


@dataclass(frozen=True)
class ArchetypeConfig:
    """Thresholds of the US 2018 risk archetypes (see docs/risk-scores.md)."""

    fragile_supplier_at: float
    fragile_market_share: float
    cyber_standard_level: int
    foreign_ownership_at: float


@dataclass(frozen=True)
class RiskConfig:
    """Everything the risk scores depend on besides the data. Build it with `load_config`.

    `region_hazard` maps a region (firms.region, compared without case) to a hazard in 0..1;
    `source` says where the configuration came from (the packaged defaults, or a file over
    them).
    """

    home_country: str
    countries_of_concern: tuple[str, ...]
    stale_after_months: int
    region_hazard: Mapping[str, float]
    fragility: FragilityConfig
    criticality: CriticalityConfig
    risk: RiskLevels
    archetypes: ArchetypeConfig
    source: str = field(default="kiban defaults", compare=False)

    @property
    def stale_after_days(self) -> int:
        """`stale_after_months` in days (mean months: 13 -> 396), as kiban.risk.staleness."""
        return round(self.stale_after_months * DAYS_PER_MONTH)

    def hazard_of(self, region: str) -> float | None:
        """The hazard of `region` (case and surrounding spaces ignored), None if not listed."""
        return _lowered(self.region_hazard).get(region.strip().lower())


def load_config(path: Path | None = None) -> RiskConfig:
    """The packaged defaults, with the TOML file at `path` (if any) laid over them.

    A table in the user's file is merged key by key into the defaults' table of the same
    name; any other value (a number, a list such as a scale or `countries_of_concern`)
    replaces the default whole. Raises RiskError, naming the file and the key, when the file
    cannot be read or parsed, names a key the configuration does not have, or gives a value
    of the wrong type or outside its range.
    """
    defaults = tomllib.loads(_packaged_text("config.toml"))
    if path is None:
        return _build(defaults, "kiban defaults")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RiskError(f"{path}: no such risk configuration file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RiskError(f"{path}: cannot read the risk configuration: {error}") from None
    return _build(merge(defaults, _parse(text, str(path))), str(path))


def load_demo_config() -> RiskConfig:
    """The configuration `kiban demo` uses: `examples/demo.toml` over the defaults.

    It names one country of concern as an example (not a policy) and fills `region_hazard`
    with Japan's published seismic hazard by prefecture.
    """
    defaults = tomllib.loads(_packaged_text("config.toml"))
    source = "kiban demo configuration (kiban/risk/examples/demo.toml)"
    return _build(merge(defaults, _parse(_packaged_text("examples/demo.toml"), source)), source)


def config_from_mapping(overrides: Mapping[str, Any], *, source: str = "<overrides>") -> RiskConfig:
    """The packaged defaults with `overrides` (a parsed TOML document) laid over them.

    The same checks as `load_config`; `source` names the overrides in error messages.
    """
    return _build(merge(tomllib.loads(_packaged_text("config.toml")), overrides), source)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on it: tables merged key by key, other values replaced.

    >>> merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2]})
    {'a': {'x': 1, 'y': 3}, 'b': [2]}
    """
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _packaged_text(name: str) -> str:
    return resources.files("kiban.risk").joinpath(name).read_text(encoding="utf-8")


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RiskError(f"{source}: not valid TOML: {error}") from None


def _build(document: Mapping[str, Any], source: str) -> RiskConfig:
    """Check `document` against the declaration and build the configuration from it."""
    values = _fields(RiskConfig, document, (), source, skip={"source"})
    config = RiskConfig(**values, source=source)
    _check_meaning(config, source)
    return config


def _fields(
    cls: type,
    document: Any,
    path: tuple[str, ...],
    source: str,
    skip: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """The values of dataclass `cls`'s fields from table `document`, each checked."""
    if not isinstance(document, Mapping):
        raise _error(source, path, f"must be a table, not {_kind(document)}")
    hints = typing.get_type_hints(cls)
    declared = [f.name for f in dataclasses.fields(cls) if f.name not in skip]
    unknown = [key for key in document if key not in declared]
    if unknown:
        raise _error(
            source,
            (*path, unknown[0]),
            f"unknown key; the keys here are {', '.join(declared)}",
        )
    missing = [name for name in declared if name not in document]
    if missing:
        raise _error(source, (*path, missing[0]), "missing (the packaged defaults set it)")
    return {name: _value(hints[name], document[name], (*path, name), source) for name in declared}


def _value(kind: Any, value: Any, path: tuple[str, ...], source: str) -> Any:
    """`value` checked against type `kind` and converted (lists to tuples, ints to floats)."""
    origin = typing.get_origin(kind)
    if kind is Scale:
        return _scale(value, path, source)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return kind(**_fields(kind, value, path, source))
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _error(source, path, f"must be a number, not {_kind(value)}")
        if not math.isfinite(value):
            raise _error(source, path, f"must be a finite number, not {value}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(source, path, f"must be a whole number, not {_kind(value)}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise _error(source, path, f"must be text, not {_kind(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise _error(source, path, f"must be a list, not {_kind(value)}")
        (item,) = {a for a in typing.get_args(kind) if a is not Ellipsis}
        return tuple(_value(item, v, (*path, str(i)), source) for i, v in enumerate(value))
    if origin is Mapping:
        if not isinstance(value, Mapping):
            raise _error(source, path, f"must be a table, not {_kind(value)}")
        _, item = typing.get_args(kind)
        checked = {k: _value(item, v, (*path, k), source) for k, v in value.items()}
        return types.MappingProxyType(checked)
    raise TypeError(f"no check for {kind!r}")  # pragma: no cover - a declaration error


def _scale(value: Any, path: tuple[str, ...], source: str) -> Scale:
    rule = "must be a list of [value, score] pairs, such as [[0.0, 1.0], [1.0, 5.0]]"
    if not isinstance(value, list) or len(value) < 2:
        raise _error(source, path, f"{rule}, with at least two pairs")
    points = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _error(source, (*path, str(i)), rule)
        x, y = (_value(float, v, (*path, str(i)), source) for v in pair)
        if not MIN_SCORE <= y <= MAX_SCORE:
            raise _error(source, (*path, str(i)), f"score {y:g} is outside 1..5")
        points.append((x, y))
    if any(b[0] <= a[0] for a, b in itertools.pairwise(points)):
        raise _error(source, path, "the values (first of each pair) must increase")
    return Scale(tuple(points))


def _check_meaning(config: RiskConfig, source: str) -> None:
    """Ranges and relations the types alone do not say."""
    known = country_codes()
    for name, code in [("home_country", config.home_country)] + [
        (f"countries_of_concern.{i}", c) for i, c in enumerate(config.countries_of_concern)
    ]:
        if code not in known:
            raise _error(
                source, (name,), f"{code!r} is not an ISO 3166-1 alpha-2 code (such as JP, US)"
            )
    if config.stale_after_months < 0:
        raise _error(source, ("stale_after_months",), "must be 0 or more")
    for region, hazard in config.region_hazard.items():
        if not 0.0 <= hazard <= 1.0:
            raise _error(source, ("region_hazard", region), f"{hazard:g} is outside 0..1")
    if len(_lowered(config.region_hazard)) < len(config.region_hazard):
        raise _error(source, ("region_hazard",), "lists a region twice (case is ignored)")
    for group in ("fragility", "criticality"):
        factors = dataclasses.asdict(getattr(config, group))
        for name, factor in factors.items():
            if factor["weight"] < 0:
                raise _error(source, (group, name, "weight"), "must be 0 or more")
            for level, score in factor.items():
                in_range = MIN_SCORE <= score <= MAX_SCORE if isinstance(score, float) else True
                if level != "weight" and not in_range:
                    raise _error(source, (group, name, level), f"{score:g} is outside 1..5")
        if not any(f["weight"] > 0 for f in factors.values()):
            raise _error(source, (group,), "at least one factor needs a weight above 0")
    if not 0 < config.risk.medium_at <= config.risk.high_at:
        raise _error(source, ("risk",), "needs 0 < medium_at <= high_at")
    archetypes = config.archetypes
    if not MIN_SCORE <= archetypes.fragile_supplier_at <= MAX_SCORE:
        raise _error(source, ("archetypes", "fragile_supplier_at"), "must lie in 1..5")
    for name in ("fragile_market_share", "foreign_ownership_at"):
        if not 0.0 <= getattr(archetypes, name) <= 1.0:
            raise _error(source, ("archetypes", name), "must lie in 0..1")


def _lowered(table: Mapping[str, float]) -> dict[str, float]:
    return {region.strip().lower(): hazard for region, hazard in table.items()}


def _error(source: str, path: tuple[str, ...], problem: str) -> RiskError:
    key = ".".join(path) or "(top level)"
    return RiskError(f"{source}: risk configuration key {key}: {problem}")


def _kind(value: Any) -> str:
    names = {bool: "true/false", str: "text", list: "a list", dict: "a table"}
    return next((n for t, n in names.items() if isinstance(value, t)), type(value).__name__)
