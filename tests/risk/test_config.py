"""The risk configuration: packaged defaults, user files laid over them, and refusals."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiban.errors import RiskError
from kiban.risk.config import (
    MAX_SCORE,
    MIN_SCORE,
    RiskConfig,
    Scale,
    config_from_mapping,
    load_config,
    load_demo_config,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "risk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_hard_code_no_political_list_and_no_hazard_data() -> None:
    config = load_config()
    assert config.home_country == "JP"
    assert config.countries_of_concern == ()
    assert dict(config.region_hazard) == {}
    assert config.stale_after_months == 13
    assert config.stale_after_days == 396
    assert config.source == "kiban defaults"


def test_default_weights_are_all_positive_and_scales_lie_in_one_to_five() -> None:
    config = load_config()
    for group in (config.fragility, config.criticality):
        for factor in vars(group).values():
            assert factor.weight > 0
    scale = config.fragility.operating_margin.scale
    assert scale.score([-1.0, 0.02, 1.0]).tolist() == [5.0, 3.0, 1.0]


def test_a_user_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        countries_of_concern = ["KP"]
        [fragility.operating_margin]
        weight = 0.5
        [region_hazard]
        Aichi = 0.45
        """,
    )
    config = load_config(path)
    defaults = load_config()
    assert config.fragility.operating_margin.weight == 0.5
    assert config.fragility.operating_margin.scale == defaults.fragility.operating_margin.scale
    assert config.fragility.status == defaults.fragility.status
    assert config.criticality == defaults.criticality
    assert config.countries_of_concern == ("KP",)
    assert config.hazard_of(" AICHI ") == 0.45
    assert config.hazard_of("Gifu") is None
    assert config.source == str(path)


def test_a_list_replaces_the_default_whole() -> None:
    config = config_from_mapping({"fragility": {"cyber": {"scale": [[0, 5], [3, 2]]}}})
    assert config.fragility.cyber.scale == Scale(((0.0, 5.0), (3.0, 2.0)))


def test_the_demo_names_one_country_of_concern_and_every_prefecture() -> None:
    config = load_demo_config()
    assert len(config.countries_of_concern) == 1
    assert len(config.region_hazard) == 47
    assert all(0 <= h <= 1 for h in config.region_hazard.values())
    assert config.hazard_of("Chiba") == pytest.approx(0.85)
    assert "demo" in config.source


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ("home_contry = 'JP'", "home_contry", "unknown key"),
        ("[fragility.margin]\nweight = 1", "fragility.margin", "unknown key"),
        ("[fragility.status]\nwithdrawn = 4.0", "fragility.status.withdrawn", "unknown key"),
        (
            "[criticality.spof_programs]\nweight = 'high'",
            "criticality.spof_programs.weight",
            "number",
        ),
        ("[fragility.cyber]\nweight = true", "fragility.cyber.weight", "number"),
        ("stale_after_months = 12.5", "stale_after_months", "whole number"),
        ("countries_of_concern = 'CN'", "countries_of_concern", "list"),
        ("countries_of_concern = ['XX']", "countries_of_concern.0", "ISO 3166-1"),
        ("home_country = 'Japan'", "home_country", "ISO 3166-1"),
        ("fragility = 3", "fragility", "table"),
        ("[fragility.cyber]\nweight = -1", "fragility.cyber.weight", "0 or more"),
        ("[fragility.cyber]\nscale = [[0, 1], [0, 5]]", "fragility.cyber.scale", "increase"),
        ("[fragility.cyber]\nscale = [[0, 1], [1, 6]]", "fragility.cyber.scale.1", "outside 1..5"),
        ("[fragility.cyber]\nscale = [[0, 1]]", "fragility.cyber.scale", "two pairs"),
        ("[fragility.cyber]\nscale = [[0, 1, 2], [1, 5]]", "fragility.cyber.scale.0", "pairs"),
        ("[fragility.status]\nexited = 9.0", "fragility.status.exited", "outside 1..5"),
        ("[region_hazard]\nAichi = 1.5", "region_hazard.Aichi", "outside 0..1"),
        ("[region_hazard]\nAichi = 'high'", "region_hazard.Aichi", "number"),
        ("[region_hazard]\nAichi = 0.1\naichi = 0.2", "region_hazard", "twice"),
        ("[risk]\nmedium_at = 20.0", "risk", "medium_at <= high_at"),
        ("[archetypes]\nfragile_supplier_at = 6.0", "archetypes.fragile_supplier_at", "1..5"),
        ("[archetypes]\nfragile_market_share = 2.0", "archetypes.fragile_market_share", "0..1"),
    ],
)
def test_a_mistake_is_refused_naming_the_key_and_the_file(
    tmp_path: Path, text: str, key: str, says: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RiskError) as raised:
        load_config(path)
    message = str(raised.value)
    assert str(path) in message
    assert f"key {key}:" in message
    assert says in message


def test_switching_every_factor_off_is_refused() -> None:
    off = {name: {"weight": 0} for name in vars(load_config().criticality)}
    with pytest.raises(RiskError, match="criticality: at least one factor"):
        config_from_mapping({"criticality": off}, source="mine.toml")


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RiskError, match="no such risk configuration file"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(RiskError, match=r"risk\.toml: not valid TOML"):
        load_config(write(tmp_path, "[fragility\nweight = 1"))


def test_the_configuration_is_frozen() -> None:
    config = load_config()
    with pytest.raises(AttributeError):
        config.home_country = "US"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.region_hazard["Aichi"] = 0.5  # type: ignore[index]
    assert isinstance(config, RiskConfig)


points = st.lists(
    st.tuples(
        st.integers(-1000, 1000).map(float),
        st.floats(MIN_SCORE, MAX_SCORE, allow_nan=False),
    ),
    min_size=2,
    max_size=6,
    unique_by=lambda p: p[0],
).map(sorted)


@given(points, st.lists(st.floats(-2000, 2000, allow_nan=False), max_size=20))
def test_a_scale_interpolates_between_its_points_and_is_flat_beyond(
    pairs: list[tuple[float, float]], values: list[float]
) -> None:
    scale = Scale(tuple(pairs))
    scores = scale.score(values)
    for value, score in zip(values, scores, strict=True):
        if value <= pairs[0][0]:
            assert score == pairs[0][1]
        elif value >= pairs[-1][0]:
            assert score == pairs[-1][1]
        else:
            (x0, y0), (x1, y1) = next(
                (a, b) for a, b in itertools.pairwise(pairs) if a[0] <= value <= b[0]
            )
            expected = y0 + (y1 - y0) * (value - x0) / (x1 - x0)
            assert score == pytest.approx(expected, abs=1e-9)
        assert MIN_SCORE - 1e-12 <= score <= MAX_SCORE + 1e-12
    assert np.isnan(scale.score([np.nan])[0])
