"""Dynamic propagation of a shock through a firm-level network, day by day.

The adaptive regional input-output (ARIO) model of Hallegatte (2008, "An adaptive regional
input-output model and its application to the assessment of the economic cost of Katrina",
Risk Analysis 28(3)), run firm by firm as Inoue and Todo (2019, "Firm-level propagation of
shocks through supply-chain networks", Nature Sustainability 2) do for Japan's network.

Inputs (from the network's dataset): per firm-level link j -> i (supplier j, customer i) the
baseline daily flow A_ij = annual_value_jpy / 365 (summed over the link's supply rows; links
worth nothing carry nothing and are left out); per firm the final demand
C_i = final_demand_jpy / 365 and the baseline output P_i = C_i + sum_k A_ki (its sales). The
input class of a link is its supplier's `sector`: production is Leontief over classes, and the
suppliers of one class are substitutes. n = `inventory_days` (15), tau = `tau_days` (6).

State per link: inventory S_ij, order O_ij, delivery O*_ij; per firm the output P_i(t).
Start: S = n A, O = O* = A, P(-1) = P_ini. For each day t = 0, 1, ..., days - 1:

1. inventory: S_ij(t) = max(0, S_ij(t-1) + O*_ij(t-1) - A_ij x_i(t-1)), x_i = P_i / P_ini_i;
2. orders: O_ij(t) = max(0, A_ij x_i(t-1) + (n A_ij x_i(t-1) - S_ij(t)) / tau) (the order
   rule of Hallegatte, with expected demand D*_i(t-1) = P_i(t-1));
3. demand: D_j(t) = C_j + sum_i O_ij(t);
4. inputs: per customer i and class s, S_is = sum_{j in s} S_ij, A_is = sum_{j in s} A_ij;
   P_max_i = min(P_cap_i(t), P_ini_i min_s S_is / A_is), P_cap_i(t) = P_ini_i (1 - delta_i(t));
5. production: P_i(t) = min(P_max_i, D_i(t));
6. rationing of P_j among j's customers and final demand, by `rationing`:
   "proportional" (Hallegatte): O*_ij = O_ij P_j / D_j, final users get C_j P_j / D_j;
   "final_demand_last": firms' orders are served first, in proportion if P_j falls short of
   them, and final users get what is left.
7. recovery: delta_i(t) comes from the scenario. A `RegionalDisaster` of loss L from day d
   gives delta = L ("none"), L max(0, 1 - (t - d) / r) ("linear") or L exp(-(t - d) / r)
   ("exponential", r = recovery_days) for t >= d; a `FirmExit` and an `Embargo` (every firm of
   the country) give delta = 1 from their day. Several shocks on a firm multiply its
   remaining capacity: 1 - delta = prod (1 - delta_k).

Steps 4-5 are computed as ratios to the baseline, x_i = min(1 - delta_i, min_s S_is / A_is,
D_i / P_ini_i), which is the same thing; a firm with no baseline output (it neither sells nor
serves final demand) takes D_i / P_ini_i = 1. With no shock the baseline is a fixed point.

Outputs (`Propagation`): total and (optionally) per-firm daily output against the baseline,
the output and value-added losses (value added = output - inputs used, inputs used
= sum_j A_ij x_i), days to recover to 99% of the baseline, the firms hit hardest, and the
split of the output loss into direct (capacity the shocked firms lost) and indirect (the rest).

The model is not monotone in the size of a shock in general: over a finite horizon, a larger
recovering shock (or any shock with final demand served last) can empty the customers'
inventories sooner and so bring the collapse, and the rebound, forward, losing slightly less
in all (tests check monotonicity for lasting losses under proportional rationing).

Not yet here (the next step of issue 4): the "lower has priority" rationing of Inoue and Todo
(water-filling in O_ij(t) / O_ij(0)), substitution of a starved customer's supplier, item-level
input classes for networks with items, item shortages and demand surges.

Cost: O(links) per day in a few numpy passes (bincount and reduceat over CSR groups, float64);
memory O(links + firms) plus days x firms float32 when `keep_firm_output`.
`kiban.simulate.reference_model` is the plain-Python version of the same equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import SimulateError
from kiban.network import NO_ITEM, SupplyNetwork
from kiban.simulate.scenario import Embargo, FirmExit, RegionalDisaster, Scenario, check_scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

RATIONING_RULES = ("proportional", "final_demand_last")
RECOVERED_SHARE = 0.99
"""Output is recovered once total output is back to this share of the baseline for good."""
HARDEST_HIT = 20
"""Firms listed in `Propagation.hardest_hit`."""


@dataclass(frozen=True, eq=False)
class Propagation:
    """What a scenario did over `days` days. Money in JPY; output per day.

    `baseline_output_jpy`: total daily output at baseline; `total_output_jpy[t]`: on day t;
    `firm_output_jpy[t, i]` (float32, None unless kept); `output_loss_jpy` and
    `value_added_loss_jpy`: summed over the days; `direct_loss_jpy` (capacity the shocked
    firms lost) + `indirect_loss_jpy` = `output_loss_jpy`; `days_to_recover`: days from the
    first shock until total output is back to 99% of baseline and stays there (0 if it never
    falls below, None if it is still below on the last day); `hardest_hit`: columns firm_id,
    output_loss_jpy, loss_share (of the firm's baseline output over the run), largest first.
    """

    days: int
    rationing: str
    baseline_output_jpy: float
    total_output_jpy: FloatArray
    firm_output_jpy: npt.NDArray[np.float32] | None
    output_loss_jpy: float
    value_added_loss_jpy: float
    direct_loss_jpy: float
    indirect_loss_jpy: float
    days_to_recover: int | None
    hardest_hit: pl.DataFrame


@dataclass(frozen=True, eq=False)
class Baseline:
    """The model's inputs from a network: links with a flow, grouped by (customer, class).

    `supplier`, `customer`, `flow` (A, JPY/day) per link slot; `group_start`: first slot of
    each (customer, class) group, `group_flow` its A_is, `group_customer` its customer;
    `customer_start`: first group of each customer that has inputs, `input_customer` those
    customers; `final_demand` (C), `output` (P_ini), `value_added_share` per firm.
    """

    supplier: IntArray
    customer: IntArray
    flow: FloatArray
    group_start: IntArray
    group_flow: FloatArray
    customer_start: IntArray
    input_customer: IntArray
    final_demand: FloatArray
    output: FloatArray
    value_added_share: FloatArray


def baseline(network: SupplyNetwork) -> Baseline:
    """The baseline flows of `network`; SimulateError if its supplies name items.

    Cost: one sort of the links, O(m log m)."""
    if np.any(network.item != NO_ITEM):
        raise SimulateError(
            "the dynamic model runs on firm-level supplies (a national network) for now; "
            "this network's supplies name items"
        )
    n = network.n_firms
    firms = network.dataset.firms
    values = network.dataset.supplies.get_column("annual_value_jpy").fill_null(0.0)
    flow = (
        np.bincount(
            network.supply_link,
            weights=values.to_numpy().astype(np.float64),
            minlength=network.n_links,
        )
        / 365.0
    )
    sector = firms.get_column("sector").fill_null("").rank("dense").to_numpy().astype(np.int64) - 1
    n_classes = int(sector.max()) + 1 if n else 1
    keep = np.flatnonzero(flow > 0)
    supplier = network.link_supplier[keep].astype(np.int64)
    customer = network.link_customer[keep].astype(np.int64)
    key = customer * n_classes + sector[supplier]
    order = np.argsort(key, kind="stable")
    supplier, customer, flow, key = supplier[order], customer[order], flow[keep][order], key[order]
    group_start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    group_customer = customer[group_start]
    customer_start = (
        np.flatnonzero(np.r_[True, group_customer[1:] != group_customer[:-1]])
        if group_customer.size
        else group_customer
    )
    final = firms.get_column("final_demand_jpy").fill_null(0.0).to_numpy().astype(np.float64)
    final = final / 365.0
    output = final + np.bincount(supplier, weights=flow, minlength=n)
    inputs = np.bincount(customer, weights=flow, minlength=n)
    share = np.where(output > 0, 1.0 - inputs / np.where(output > 0, output, 1.0), 0.0)
    return Baseline(
        supplier=supplier,
        customer=customer,
        flow=flow,
        group_start=group_start,
        group_flow=np.add.reduceat(flow, group_start) if flow.size else flow,
        customer_start=customer_start,
        input_customer=group_customer[customer_start],
        final_demand=final,
        output=output,
        value_added_share=share,
    )


CapacityShock = tuple[IntArray, int, RegionalDisaster | None]


def capacity_schedule(network: SupplyNetwork, scenario: Scenario) -> list[CapacityShock]:
    """Per capacity shock: the firms it hits, its first day, and the disaster (None = stop).

    SimulateError for shocks the dynamic model does not run yet (item shortages, surges)."""
    check_scenario(scenario, network)
    firms = network.dataset.firms
    found: list[CapacityShock] = []
    for where, shock in scenario.numbered():
        if isinstance(shock, FirmExit):
            hit = network.firm_index(list(shock.firm_ids)).astype(np.int64)
            found.append((hit, shock.day, None))
        elif isinstance(shock, Embargo):
            hit = np.flatnonzero((firms.get_column("country") == shock.country).to_numpy())
            found.append((hit.astype(np.int64), shock.day, None))
        elif isinstance(shock, RegionalDisaster):
            in_region = firms.get_column("region").is_in(list(shock.regions)).fill_null(False)
            found.append((np.flatnonzero(in_region.to_numpy()).astype(np.int64), shock.day, shock))
        else:
            raise SimulateError(
                f"scenario {scenario.name!r}: {where}: the dynamic model does not run "
                f"{type(shock).__name__} shocks yet"
            )
    return found


def damage(disaster: RegionalDisaster | None, day: int, start: int) -> float:
    """delta of a shock that started on day `start`, on day `day` (>= start); None = stop."""
    if disaster is None:
        return 1.0
    elapsed = day - start
    if disaster.recovery == "linear":
        assert disaster.recovery_days is not None
        return disaster.loss * max(0.0, 1.0 - elapsed / disaster.recovery_days)
    if disaster.recovery == "exponential":
        assert disaster.recovery_days is not None
        return disaster.loss * float(np.exp(-elapsed / disaster.recovery_days))
    return disaster.loss


def propagate(
    network: SupplyNetwork,
    scenario: Scenario,
    *,
    days: int | None = None,
    rationing: str = "proportional",
    inventory_days: float = 15.0,
    tau_days: float = 6.0,
    keep_firm_output: bool = True,
) -> Propagation:
    """Run `scenario` on `network` for `days` days (default: the scenario's), see the module.

    `rationing`: "proportional" or "final_demand_last"; `inventory_days` (n >= 1) and
    `tau_days` (> 0) as in Hallegatte (2008). `keep_firm_output=False` keeps no days x firms
    array (for large networks). SimulateError for a bad parameter or an unknown name in the
    scenario. Cost: O(days x (links + firms)).
    """
    days = scenario.days if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise SimulateError(f"days must be a whole number > 0, not {days!r}")
    if rationing not in RATIONING_RULES:
        raise SimulateError(
            f"rationing must be one of {', '.join(RATIONING_RULES)}, not {rationing!r}"
        )
    if not inventory_days >= 1.0:
        raise SimulateError(f"inventory_days must be at least 1, not {inventory_days!r}")
    if not tau_days > 0.0:
        raise SimulateError(f"tau_days must be > 0, not {tau_days!r}")
    shocks = capacity_schedule(network, scenario)
    base = baseline(network)
    n = network.n_firms
    a, sup, cus = base.flow, base.supplier, base.customer
    p_ini, c = base.output, base.final_demand
    produces = p_ini > 0
    p_safe = np.where(produces, p_ini, 1.0)

    stock = inventory_days * a
    delivered = a.copy()
    x = np.ones(n)  # P(t-1) / P_ini
    total = np.empty(days)
    firm_output = np.empty((days, n), dtype=np.float32) if keep_firm_output else None
    firm_loss = np.zeros(n)
    direct = 0.0
    value_added = np.empty(days)
    for t in range(days):
        capacity = np.ones(n)
        for hit, start, disaster in shocks:
            if t >= start:
                capacity[hit] *= 1.0 - damage(disaster, t, start)
        used = x[cus]
        # 1. inventory
        stock = np.maximum(0.0, stock + delivered - a * used)
        # 2. orders
        orders = np.maximum(0.0, a * used + (inventory_days * a * used - stock) / tau_days)
        # 3. demand
        ordered = np.bincount(sup, weights=orders, minlength=n)
        demand = c + ordered
        # 4. inputs: the scarcest class of each customer
        inputs = np.full(n, np.inf)
        if a.size:
            by_class = np.add.reduceat(stock, base.group_start) / base.group_flow
            inputs[base.input_customer] = np.minimum.reduceat(by_class, base.customer_start)
        # 5. production, as a share of the baseline
        x = np.minimum(np.minimum(capacity, inputs), np.where(produces, demand / p_safe, 1.0))
        output = x * p_ini
        # 6. rationing
        if rationing == "proportional":
            served = np.where(demand > 0, output / np.where(demand > 0, demand, 1.0), 1.0)
        else:
            served = np.where(
                ordered > 0, np.minimum(1.0, output / np.where(ordered > 0, ordered, 1.0)), 1.0
            )
        delivered = orders * served[sup]

        total[t] = output.sum()
        value_added[t] = (base.value_added_share * output).sum()
        if firm_output is not None:
            firm_output[t] = output
        firm_loss += p_ini - output
        direct += float((p_ini * (1.0 - capacity)).sum())

    baseline_total = float(p_ini.sum())
    output_loss = float(firm_loss.sum())
    baseline_value_added = float((base.value_added_share * p_ini).sum())
    return Propagation(
        days=days,
        rationing=rationing,
        baseline_output_jpy=baseline_total,
        total_output_jpy=total,
        firm_output_jpy=firm_output,
        output_loss_jpy=output_loss,
        value_added_loss_jpy=float(baseline_value_added * days - value_added.sum()),
        direct_loss_jpy=direct,
        indirect_loss_jpy=output_loss - direct,
        days_to_recover=days_to_recover(total, baseline_total, [s[1] for s in shocks]),
        hardest_hit=_hardest_hit(network, firm_loss, p_ini * days),
    )


def days_to_recover(total: FloatArray, baseline_total: float, starts: list[int]) -> int | None:
    """Days from the first shock until `total` is >= 99% of baseline for good (see Propagation)."""
    below = np.flatnonzero(total < RECOVERED_SHARE * baseline_total)
    if not below.size:
        return 0
    last = int(below[-1])
    if last == total.size - 1:
        return None
    return last + 1 - min(starts, default=0)


def _hardest_hit(network: SupplyNetwork, loss: FloatArray, base: FloatArray) -> pl.DataFrame:
    top = np.argsort(-loss, kind="stable")[:HARDEST_HIT]
    top = top[loss[top] > 1e-9 * base[top]]  # rounding is no loss; a loss implies base > 0
    return pl.DataFrame(
        {
            "firm_id": network.firm_ids.gather(top),
            "output_loss_jpy": loss[top],
            "loss_share": loss[top] / base[top],
        },
        schema={"firm_id": pl.String, "output_loss_jpy": pl.Float64, "loss_share": pl.Float64},
    )
