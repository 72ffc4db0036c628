"""Random scenarios for Monte Carlo ensembles: firm exits by fragility, regional disasters.

Every sampler takes a `seed` and returns a list of `Scenario`s; the same seed gives the same
scenarios, and run i's scenario does not depend on how many runs are drawn (each run draws
from its own stream, `numpy.random.SeedSequence(seed).spawn`). docs/ensembles.md has the
details and the figures.

Exits (`sample_exits`). Each candidate firm (a defense supplier that has not exited: a firm
with `defense_revenue_jpy > 0` or in a program's supply chain; every firm that has not exited
when the data name no defense supplier at all) leaves in a year with probability

    p_i = min(1, c * per_level ** (fragility_i - 1)),

`fragility_i` its 1..5 score (`kiban.risk.fragility`; the candidates' mean where a firm has
none), so one more point of fragility multiplies the odds by `per_level` (2 by default, an
assumption). c is set so that sum_i p_i = `exits_per_year` (a firm already at 1 is held there
and c found for the rest). Over a run of D days a firm leaves with 1 - (1 - p_i)^(D / 365)
(a constant hazard), on a day drawn uniformly from the run, and each leaver is a `FirmExit`.

Calibration (`exit_calibration`). The Ministry of Defense counts more than 100 firms that left
defense work since 2003, "in about 20 years" (`withdrawals` reference table): 5 a year. Teikoku
Databank counts 4,568 (2013) and 4,395 (2022) firms dealing directly with the ministry
(`defense_dependence`): about 4,482 on average over those years, so about 0.11% of defense
suppliers leave each year. A network's expected exits per year are that rate times its
candidates, i.e. the national count scaled by the share of the defense supplier base the
network covers. Both figures are floors ("more than 100"; direct suppliers only) and their
ratio is the estimate; pass `exits_per_year` to use another.

Disasters (`sample_disasters`): one `RegionalDisaster` per run, on a region drawn from the
network's firms' regions, weighted by firm count (`weight="firms"`) or uniformly
(`weight="uniform"`), with a loss drawn uniformly from `loss` = (low, high) and the given
recovery rule, day and recovery days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import SimulateError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.reference import load
from kiban.risk.config import RiskConfig, load_config
from kiban.risk.fragility import fragility
from kiban.simulate.scenario import FirmExit, RegionalDisaster, Scenario

FloatArray = npt.NDArray[np.float64]

DAYS_PER_YEAR = 365.0
WITHDRAWAL_SPAN_YEARS = 20.0
"""Years over which the ministry's "more than 100" firms left: since 2003, said in 2022 ("in
about 20 years", The Diplomat 2023-01, in the note of the `withdrawals` aggregate row)."""
PER_LEVEL = 2.0
"""Default factor by which one more point of fragility multiplies a firm's exit odds (an
assumption: a firm scored 5 is 16 times as likely to leave as one scored 1)."""
DISASTER_WEIGHTS = ("firms", "uniform")


@dataclass(frozen=True)
class ExitCalibration:
    """Where a network's expected exits per year come from (see the module).

    `withdrawn_firms` left defense work over `span_years` nationally; `national_suppliers` is
    the national defense supplier base (mean of the Teikoku Databank counts);
    `network_suppliers` the candidates of this network; `exits_per_year` = withdrawn_firms /
    span_years x network_suppliers / national_suppliers. `sources`: the source URLs.
    """

    withdrawn_firms: int
    span_years: float
    national_suppliers: float
    network_suppliers: int
    exits_per_year: float
    sources: tuple[str, ...]

    @property
    def national_exits_per_year(self) -> float:
        """Firms leaving defense work nationally each year (about 5)."""
        return self.withdrawn_firms / self.span_years

    @property
    def yearly_rate(self) -> float:
        """Share of defense suppliers leaving each year (about 0.11%)."""
        return self.national_exits_per_year / self.national_suppliers


def exit_calibration(network: SupplyNetwork) -> ExitCalibration:
    """The expected exits per year of `network`, from the published withdrawals (module doc).

    >>> import kiban
    >>> net = SupplyNetwork.build(kiban.generate_programs(seed=1, scale=0.05))
    >>> c = exit_calibration(net)
    >>> c.withdrawn_firms, c.span_years, c.national_suppliers, c.network_suppliers
    (100, 20.0, 4481.5, 620)
    >>> round(c.exits_per_year, 3)
    0.692
    """
    withdrawals = load("withdrawals").filter(pl.col("company") == "(aggregate)")
    suppliers = load("defense_dependence").filter(
        pl.col("metric") == "firms_direct_mod_transactions", pl.col("year").is_not_null()
    )
    withdrawn = int(withdrawals.get_column("firms_count").item())
    national = float(suppliers.get_column("value_max").mean())  # type: ignore[arg-type]
    candidates = int(_candidates(network).sum())
    sources = (
        *withdrawals.get_column("source_url").to_list(),
        *suppliers.get_column("source_url").unique(maintain_order=True).to_list(),
    )
    return ExitCalibration(
        withdrawn_firms=withdrawn,
        span_years=WITHDRAWAL_SPAN_YEARS,
        national_suppliers=national,
        network_suppliers=candidates,
        exits_per_year=withdrawn / WITHDRAWAL_SPAN_YEARS * candidates / national,
        sources=tuple(sources),
    )


def exit_probabilities(
    network: SupplyNetwork,
    *,
    exits_per_year: float | None = None,
    config: RiskConfig | None = None,
    per_level: float = PER_LEVEL,
) -> pl.DataFrame:
    """Each candidate firm's probability of leaving within a year (see the module).

    `exits_per_year`: the expected count (default: `exit_calibration`); `config`: the risk
    configuration of the fragility scores (default: the packaged one); `per_level` (>= 1):
    odds per point of fragility. Returns firm_id, fragility (null where unknown) and
    exit_probability, one row per candidate in firm order; the probabilities sum to
    `exits_per_year`. SimulateError for a negative or non-finite count, more exits than
    candidates, or `per_level` below 1. Cost: that of `fragility`, O(firms + supplies).
    """
    candidates = _candidates(network)
    n = int(candidates.sum())
    if exits_per_year is None:
        exits_per_year = exit_calibration(network).exits_per_year
    expected = _non_negative(exits_per_year, "exits_per_year")
    if expected > n:
        raise SimulateError(
            f"exits_per_year = {exits_per_year!r} is more than the {n} firms that can leave"
        )
    level = _non_negative(per_level, "per_level")
    if level < 1:
        raise SimulateError(f"per_level must be at least 1, not {per_level!r}")
    scores = fragility(network, config or load_config()).get_column("fragility")
    scores = scores.cast(pl.Float64).fill_nan(None).filter(pl.Series(candidates))
    known = scores.drop_nulls()
    typical = float(known.mean()) if known.len() else 1.0  # type: ignore[arg-type]
    weight = level ** (scores.fill_null(typical).to_numpy() - 1.0)
    return pl.DataFrame(
        {
            "firm_id": network.firm_ids.filter(pl.Series(candidates)),
            "fragility": scores,
            "exit_probability": _capped_shares(weight, expected),
        }
    )


def sample_exits(
    network: SupplyNetwork,
    runs: int,
    *,
    seed: int,
    days: int = 365,
    exits_per_year: float | None = None,
    config: RiskConfig | None = None,
    per_level: float = PER_LEVEL,
) -> list[Scenario]:
    """`runs` scenarios of random exits over `days` days (see the module and
    `exit_probabilities` for the other parameters). Run i is named "exits #i" and holds one
    `FirmExit` per leaver, on its day; a run with no leaver holds no shock.

    >>> import kiban
    >>> net = SupplyNetwork.build(kiban.generate_programs(seed=1, scale=0.05))
    >>> runs = sample_exits(net, 200, seed=7, days=60, exits_per_year=30)
    >>> runs == sample_exits(net, 200, seed=7, days=60, exits_per_year=30)
    True
    >>> runs[0].name, runs[0].days
    ('exits #0', 60)
    """
    count = _runs(runs)
    length = _days(days)
    table = exit_probabilities(
        network, exits_per_year=exits_per_year, config=config, per_level=per_level
    )
    firm_ids = table.get_column("firm_id").to_numpy()
    yearly = table.get_column("exit_probability").to_numpy()
    # A constant hazard over the year: the chance to leave within `days` days.
    within = -np.expm1(np.log1p(-np.minimum(yearly, 1.0)) * (length / DAYS_PER_YEAR))
    within[yearly >= 1.0] = 1.0
    scenarios = []
    for run, stream in enumerate(_streams(seed, count)):
        leavers = np.flatnonzero(stream.random(within.size) < within)
        day = stream.integers(0, length, size=leavers.size)
        order = np.lexsort((leavers, day))
        shocks = tuple(FirmExit((str(firm_ids[leavers[k]]),), int(day[k])) for k in order)
        described = "; ".join(f"exit {s.firm_ids[0]} on day {s.day}" for s in shocks)
        scenarios.append(
            Scenario(
                name=f"exits #{run}",
                days=length,
                shocks=shocks,
                description=described or "no exit",
            )
        )
    return scenarios


def sample_disasters(
    network: SupplyNetwork,
    runs: int,
    *,
    seed: int,
    days: int = 365,
    loss: tuple[float, float] = (0.2, 0.8),
    recovery: str = "linear",
    recovery_days: float | None = 90.0,
    day: int = 0,
    weight: str = "firms",
) -> list[Scenario]:
    """`runs` scenarios of one regional disaster each, over `days` days (see the module).

    The region is drawn among the regions of the network's firms, in proportion to their
    firm counts (`weight="firms"`) or with equal odds (`"uniform"`); the loss uniformly from
    `loss` = (low, high), 0 < low <= high <= 1; `recovery`, `recovery_days` and `day` as in
    `RegionalDisaster` (recovery "none" takes recovery_days=None). Run i is named
    "disaster #i". SimulateError for a bad parameter or a network without regions.

    >>> import kiban
    >>> net = SupplyNetwork.build(kiban.generate_programs(seed=1, scale=0.05))
    >>> quake = sample_disasters(net, 3, seed=1, days=90, loss=(0.5, 0.5), recovery_days=30)
    >>> quake[0].shocks[0].loss, quake[0].shocks[0].recovery
    (0.5, 'linear')
    """
    count = _runs(runs)
    length = _days(days)
    low, high = _loss_range(loss)
    if weight not in DISASTER_WEIGHTS:
        raise SimulateError(f"weight must be one of {', '.join(DISASTER_WEIGHTS)}, not {weight!r}")
    regions = (
        network.dataset.firms.get_column("region").drop_nulls().value_counts(sort=False)
    ).sort("region")
    if not regions.height:
        raise SimulateError("no firm of the network has a region: there is nowhere to strike")
    names = regions.get_column("region").to_list()
    if weight == "firms":
        odds = regions.get_column("count").to_numpy().astype(np.float64)
    else:
        odds = np.ones(len(names))
    odds /= odds.sum()
    scenarios = []
    for run, stream in enumerate(_streams(seed, count)):
        region = names[int(stream.choice(len(names), p=odds))]
        share = float(stream.uniform(low, high)) if high > low else low
        try:
            shock = RegionalDisaster(
                (region,), share, day=day, recovery=recovery, recovery_days=recovery_days
            )
            scenario = Scenario(
                name=f"disaster #{run}",
                days=length,
                shocks=(shock,),
                description=f"disaster {region} (loss {share:.3f})",
            )
        except SimulateError as error:
            raise SimulateError(f"sample_disasters: {error}") from None
        scenarios.append(scenario)
    return scenarios


def _candidates(network: SupplyNetwork) -> npt.NDArray[np.bool_]:
    """Firms that can leave defense work: defense suppliers that have not exited."""
    firms = network.dataset.firms
    active = (firms.get_column("status") != "exited").fill_null(True).to_numpy()
    defense = (firms.get_column("defense_revenue_jpy") > 0).fill_null(False).to_numpy()
    if network.dataset.programs.height:
        chain = program_supply_chain(network.dataset).get_column("firm_id").unique()
        defense = defense | network.firm_ids.is_in(chain.implode()).to_numpy()
    if not (defense & active).any():
        return np.asarray(active, dtype=np.bool_)  # no defense supplier named: all firms
    return np.asarray(defense & active, dtype=np.bool_)


def _capped_shares(weight: FloatArray, total: float) -> FloatArray:
    """p = min(1, c w) with sum p = total (<= len(weight)): firms at 1 are held, c refit."""
    p = np.zeros(weight.size)
    free = np.ones(weight.size, dtype=bool)
    left = total
    while left > 0 and free.any():
        share = left * weight[free] / weight[free].sum()
        over = share >= 1.0
        if not over.any():
            p[free] = share
            break
        index = np.flatnonzero(free)[over]
        p[index] = 1.0
        free[index] = False
        left = total - float(p.sum())
    return p


def _streams(seed: int, count: int) -> list[np.random.Generator]:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SimulateError(f"seed must be a whole number >= 0, not {seed!r}")
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(count)]


def _runs(runs: object) -> int:
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or runs <= 0:
        raise SimulateError(f"runs must be a whole number > 0, not {runs!r}")
    return int(runs)


def _days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days <= 0:
        raise SimulateError(f"days must be a whole number > 0, not {days!r}")
    return int(days)


def _non_negative(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise SimulateError(f"{key} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise SimulateError(f"{key} must be a finite number >= 0, not {value!r}")
    return number


def _loss_range(loss: Sequence[float]) -> tuple[float, float]:
    if isinstance(loss, str) or not isinstance(loss, Sequence) or len(loss) != 2:
        raise SimulateError(f"loss must be a (low, high) pair, not {loss!r}")
    low, high = (_non_negative(v, "loss") for v in loss)
    if not 0 < low <= high <= 1:
        raise SimulateError(f"loss must satisfy 0 < low <= high <= 1, not {tuple(loss)!r}")
    return low, high
