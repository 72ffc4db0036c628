"""Candidate mitigation actions, generated from the risk analysis, and the problem they pose.

The 2023 Act funds four kinds of supply-chain measures (diversifying or stockpiling inputs at
risk, more efficient production, cybersecurity, taking over a withdrawing maker's line) and, as
a last resort, state purchase of facilities. `candidate_actions` turns each into actions on the
dataset's single points of failure:

- `second_source`: qualify a second source, domestic or allied (alternatives, one per
  requirement), of an item a single point of failure is the only source of. A risk is removed
  when every item that makes its firm a single point of failure has one.
- `stockpile`: hold `stockpile_days` of the item at the customer; the program survives an exit
  for that long, so the expected loss falls by stockpile_days / qualification_days (capped).
- `efficiency`, `cyber`, `successor`, `facility`: funding at the firm that cuts its exit
  probability by the stated fraction (efficiency at a fragile firm; a cyber level raised to
  the standard; a successor for a withdrawing firm or one without a successor; the state buys
  its facility).

Every risk is a (program, firm) single point of failure below the prime: its exit probability
is the firm's (`kiban.simulate.sampling.exit_probabilities`, from fragility, calibrated to the
published withdrawals) and its consequence the program's output (`annual_quantity` x
`unit_price_jpy` a year) over the time a new source takes to qualify (the longest
`qualification_days` of the items it alone supplies, at most a year): nothing else can make
what it makes until then. Risks of one program add up, which overstates the chance that at
least one of them exits when there are many (a first-order approximation: the expected
number of exits, not the probability of any).

Costs and effects are the explicit assumptions of `ActionCosts`, kiban's defaults rather than
published figures (no public price list exists), each a field a user can set. The `effect`
column of `Candidates.described` says in words what each action changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace

import polars as pl

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.plan.optimize import Action, PlanProblem, Risk
from kiban.risk.spof import single_points_of_failure
from kiban.simulate.sampling import exit_probabilities

RISK_SEPARATOR = ":"
"""Between the program and the firm in a risk id: `fighter:F000003`."""


def risk_parts(risk_id: str) -> tuple[str, str]:
    """The (program_id, firm_id) of a risk id made by `candidate_actions`.

    >>> risk_parts("fighter:F000003")
    ('fighter', 'F000003')
    """
    program, _, firm = risk_id.partition(RISK_SEPARATOR)
    return program, firm


DEFAULT_QUALIFICATION_DAYS = 365.0
"""Days to qualify a new source of an item whose `qualification_days` is unknown."""

KINDS = ("second_source", "stockpile", "efficiency", "cyber", "successor", "facility")


@dataclass(frozen=True)
class ActionCosts:
    """What an action costs (JPY) and does; every field can be set.

    second source: `second_source_fixed_jpy` + `second_source_per_day_jpy` x the item's
    qualification days, times `allied_cost_frac` for an allied source (one that already makes
    the item abroad); stockpile: `stockpile_days` of the supply's annual value, plus
    `stockpile_holding_frac` of it for storage; efficiency, successor and facility: a
    multiple of the firm's annual defense revenue, or of its revenue where that is unknown or
    0 (at least `minimum_jpy`); cyber:
    `cyber_per_level_jpy` per level short of 3. Efficiency is offered to a firm whose operating
    margin is below `efficiency_below_margin_frac` and raises it by `efficiency_margin_gain_frac`;
    a successor to one withdrawing or without a
    successor; a facility purchase to every single-point firm."""

    second_source_fixed_jpy: float = 30e6
    second_source_per_day_jpy: float = 0.2e6
    allied_cost_frac: float = 0.7
    allied_country: str = "US"
    stockpile_days: float = 180.0
    stockpile_holding_frac: float = 0.2
    efficiency_revenue_multiple: float = 0.2
    efficiency_exit_cut_frac: float = 0.3
    efficiency_margin_gain_frac: float = 0.02
    cyber_per_level_jpy: float = 10e6
    cyber_exit_cut_per_level_frac: float = 0.05
    successor_revenue_multiple: float = 0.5
    successor_exit_cut_frac: float = 0.6
    facility_revenue_multiple: float = 3.0
    facility_exit_cut_frac: float = 0.9
    efficiency_below_margin_frac: float = 0.05
    minimum_jpy: float = 5e6

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                continue
            if not (math.isfinite(value) and value >= 0):
                raise PlanError(f"action cost {f.name} = {value} must be a finite number >= 0")
            if f.name.endswith("_frac") and value > 1:
                raise PlanError(f"action cost {f.name} = {value} must be a fraction <= 1")


@dataclass(frozen=True)
class Candidates:
    """The risks, the candidate actions and a frame describing each action for people
    (action_id, kind, firm_id, item_id, customer_id, country, cost_jpy, lead_time_days,
    effect), in the same order as `actions`."""

    risks: tuple[Risk, ...]
    actions: tuple[Action, ...]
    described: pl.DataFrame

    def problem(
        self, budget_jpy: float, budget_by_year: Mapping[int, float] | None = None
    ) -> PlanProblem:
        """The planning problem at `budget_jpy` and, for actions spread over fiscal years by
        `in_years`, the budgets of those years."""
        return PlanProblem(self.risks, self.actions, budget_jpy, budget_by_year)

    def with_consequences(self, consequence_jpy: Mapping[str, float]) -> Candidates:
        """The same candidates with the consequence (JPY a year) of the risks named in
        `consequence_jpy` replaced, e.g. by `kiban.plan.simulated.simulated_consequences`."""
        risks = tuple(
            replace(r, consequence_jpy=float(consequence_jpy[r.risk_id]))
            if r.risk_id in consequence_jpy
            else r
            for r in self.risks
        )
        return Candidates(risks, self.actions, self.described)

    def in_years(self, years: Iterable[int]) -> Candidates:
        """Each action once per fiscal year (`<action_id>@FY<year>`, `fiscal_year` set), the
        copies of one action, and the alternatives of one requirement, exclusive: an action is
        bought at most once, in the year the budgets allow. The value at risk is annual, so
        the year changes what the plan can pay, not what it removes."""
        years = sorted(set(years))
        if not years:
            raise PlanError("give at least one fiscal year")
        actions = tuple(
            replace(action, action_id=f"{action.action_id}@FY{year}", fiscal_year=year,
                    group=action.group or action.action_id)
            for action in self.actions
            for year in years
        )  # fmt: skip
        described = (
            self.described.with_row_index("order")
            .join(pl.DataFrame({"fiscal_year": years}), how="cross")
            .sort("order", "fiscal_year")
            .with_columns(
                action_id=pl.col("action_id") + "@FY" + pl.col("fiscal_year").cast(pl.String)
            )
            .drop("order")
        )
        return Candidates(self.risks, actions, described)


def candidate_actions(
    network: SupplyNetwork, costs: ActionCosts | None = None, *, program_id: str | None = None
) -> Candidates:
    """Risks and candidate actions for every program (or `program_id`); see the module."""
    costs = costs or ActionCosts()
    dataset = network.dataset
    spof = _every_need(
        dataset, single_points_of_failure(network, program_id).filter(pl.col("tier") > 0)
    )
    programs = dataset.programs.select(
        "program_id",
        (pl.col("annual_quantity").fill_null(0) * pl.col("unit_price_jpy").fill_null(0)).alias(
            "output_jpy"
        ),
    )
    probability = exit_probabilities(network).select("firm_id", "exit_probability")
    qualification = dataset.items.select(
        "item_id",
        pl.col("qualification_days").cast(pl.Float64).fill_null(DEFAULT_QUALIFICATION_DAYS),
    )
    rows = (
        spof.join(programs, on="program_id", how="left")
        .join(probability, on="firm_id", how="left")
        .join(qualification, on="item_id", how="left")
        .with_columns(
            risk_id=pl.col("program_id") + RISK_SEPARATOR + pl.col("firm_id"),
            requirement=pl.col("item_id") + "@" + pl.col("customer_id"),
        )
    )
    # The program stops until a new source is qualified: at most a year of output is lost.
    risk_list = tuple(
        Risk(
            row["risk_id"],
            float(row["exit_probability"] or 0.0),
            float(row["output_jpy"] or 0.0) * min(1.0, float(row["days"] or 365.0) / 365.0),
            tuple(sorted(set(row["requirement"]))),
        )
        for row in rows.group_by("risk_id", maintain_order=True)
        .agg(
            pl.col("exit_probability").first(),
            pl.col("output_jpy").first(),
            pl.col("qualification_days").max().alias("days"),
            pl.col("requirement").drop_nulls(),
        )
        .iter_rows(named=True)
    )
    described: list[dict[str, object]] = []
    actions: list[Action] = []

    def add(action: Action, **about: object) -> None:
        actions.append(action)
        described.append({"action_id": action.action_id, "cost_jpy": action.cost_jpy, **about})

    items = dataset.items.select("item_id", "name", "qualification_days")
    supplies = dataset.supplies.group_by("supplier_id", "customer_id", "item_id").agg(
        pl.col("annual_value_jpy").sum()
    )
    needs = (
        rows.join(items, on="item_id", how="left")
        .join(
            supplies,
            left_on=["firm_id", "customer_id", "item_id"],
            right_on=["supplier_id", "customer_id", "item_id"],
            how="left",
        )
        .group_by("requirement", maintain_order=True)
        .agg(
            pl.col("risk_id"),
            pl.col("firm_id").first(),
            pl.col("customer_id").first(),
            pl.col("item_id").first(),
            pl.col("qualification_days").first(),
            pl.col("annual_value_jpy").first(),
        )
    )
    for need in needs.iter_rows(named=True):
        days = float(need["qualification_days"] or DEFAULT_QUALIFICATION_DAYS)
        base = costs.second_source_fixed_jpy + costs.second_source_per_day_jpy * days
        removes = tuple((risk, need["requirement"]) for risk in need["risk_id"])
        where = {"firm_id": need["firm_id"], "item_id": need["item_id"],
                 "customer_id": need["customer_id"]}  # fmt: skip
        for origin, country, factor in (
            ("domestic", "JP", 1.0),
            ("allied", costs.allied_country, costs.allied_cost_frac),
        ):
            add(
                Action(f"second_source:{origin}:{need['requirement']}", base * factor,
                       removes=removes, group=f"second_source:{need['requirement']}"),
                kind="second_source", country=country, lead_time_days=days,
                effect=f"a new {origin} supplier of {need['item_id']} to {need['customer_id']}",
                **where,
            )  # fmt: skip
        value = float(need["annual_value_jpy"] or 0.0)
        if value > 0 and costs.stockpile_days > 0:
            cut = min(1.0, costs.stockpile_days / days)
            stock = value * costs.stockpile_days / 365.0
            add(
                Action(f"stockpile:{need['requirement']}",
                       max(costs.minimum_jpy, stock * (1 + costs.stockpile_holding_frac)),
                       reduces=tuple((risk, cut) for risk in need["risk_id"])),
                kind="stockpile", country=None, lead_time_days=0.0,
                effect=f"{costs.stockpile_days:g} days of {need['item_id']} held at "
                f"{need['customer_id']}",
                **where,
            )  # fmt: skip
    _add_firm_actions(rows, dataset.firms, costs, add)
    frame = pl.DataFrame(
        described,
        schema={
            "action_id": pl.String, "cost_jpy": pl.Float64, "kind": pl.String,
            "country": pl.String, "lead_time_days": pl.Float64, "effect": pl.String,
            "firm_id": pl.String, "item_id": pl.String, "customer_id": pl.String,
        },
    )  # fmt: skip
    return Candidates(risk_list, tuple(actions), frame)


def _every_need(dataset: Dataset, spof: pl.DataFrame) -> pl.DataFrame:
    """One row per (program, firm, customer, item) that a single-point firm alone supplies in
    the program's chain. `single_points_of_failure` gives one reason per firm; removing the
    risk needs a second source for each of them, or the firm stays a single point of failure.
    A firm with no such need found keeps its reported row."""
    chain = program_supply_chain(dataset)
    exited = dataset.firms.filter(pl.col("status") == "exited")["firm_id"]
    producing = dataset.supplies.filter(
        pl.col("item_id").is_not_null() & ~pl.col("supplier_id").is_in(exited.implode())
    )
    only = (
        producing.group_by("customer_id", "item_id")
        .agg(pl.col("supplier_id").unique())
        .filter(pl.col("supplier_id").list.len() == 1)
        .with_columns(pl.col("supplier_id").list.first())
    )
    needs = (
        spof.select("program_id", "firm_id", "name", "tier")
        .join(only, left_on="firm_id", right_on="supplier_id")
        # The item is one the firm makes for this program, for a customer in its chain.
        .join(chain.select("program_id", "firm_id", "item_id").unique(),
              on=["program_id", "firm_id", "item_id"], how="semi")
        .join(chain.select("program_id", pl.col("firm_id").alias("customer_id")).unique(),
              on=["program_id", "customer_id"], how="semi")
    )  # fmt: skip
    kept = spof.join(needs.select("program_id", "firm_id").unique(), on=["program_id", "firm_id"],
                     how="anti")  # fmt: skip
    columns = ["program_id", "firm_id", "name", "customer_id", "item_id", "tier"]
    return pl.concat([needs.select(columns), kept.select(columns)]).sort(
        "program_id", "tier", "firm_id", "customer_id", "item_id"
    )


def _add_firm_actions(
    rows: pl.DataFrame, firms: pl.DataFrame, costs: ActionCosts, add: Callable[..., None]
) -> None:
    """Efficiency, cyber, successor and facility actions at each single-point firm."""
    at_risk = rows.group_by("firm_id", maintain_order=True).agg(pl.col("risk_id").unique())
    about = at_risk.join(firms, on="firm_id", how="left")
    for firm in about.iter_rows(named=True):
        name = firm["firm_id"]
        revenue = float(firm.get("defense_revenue_jpy") or firm.get("revenue_jpy") or 0.0)
        where = {"firm_id": name, "item_id": None, "customer_id": None, "country": None}

        def funded(
            kind: str,
            multiple: float,
            cut: float,
            effect: str,
            days: float,
            name: str = name,
            revenue: float = revenue,
            risk_ids: list[str] = firm["risk_id"],
        ) -> None:
            add(
                Action(f"{kind}:{name}", max(costs.minimum_jpy, multiple * revenue),
                       reduces=tuple((risk, cut) for risk in risk_ids)),
                kind=kind, lead_time_days=days, effect=effect, firm_id=name, item_id=None,
                customer_id=None, country=None,
            )  # fmt: skip

        margin = firm.get("operating_margin")
        thin = margin is not None and margin < costs.efficiency_below_margin_frac
        if thin and costs.efficiency_exit_cut_frac > 0:
            funded("efficiency", costs.efficiency_revenue_multiple, costs.efficiency_exit_cut_frac,
                   f"operating margin +{costs.efficiency_margin_gain_frac:.0%}", 365.0)  # fmt: skip
        level = firm.get("cyber_level")
        if level is not None and level < 3 and costs.cyber_exit_cut_per_level_frac > 0:
            short = 3 - int(level)
            add(
                Action(f"cyber:{name}", costs.cyber_per_level_jpy * short,
                       reduces=tuple((r, min(1.0, costs.cyber_exit_cut_per_level_frac * short))
                                     for r in firm["risk_id"])),
                kind="cyber", lead_time_days=180.0, effect="cyber level raised to 3", **where,
            )  # fmt: skip
        if firm.get("status") == "withdrawing" or firm.get("has_successor") is False:
            funded("successor", costs.successor_revenue_multiple, costs.successor_exit_cut_frac,
                   "a successor takes over the line", 365.0)  # fmt: skip
        funded("facility", costs.facility_revenue_multiple, costs.facility_exit_cut_frac,
               "the state buys the facility and contracts its operation", 730.0)  # fmt: skip
