"""The propagation model in plain Python, written straight from the equations: a check.

`reference_output(network, scenario, days, ...)` runs the equations of
`kiban.simulate.propagation` (Hallegatte 2008; Inoue and Todo 2019) with dicts and loops over
firms and links, and returns each day's output per firm (JPY per day) as a list of lists. It
shares no code with the fast version beyond the scenario's classes, so tests compare the two.
Cost: O(days x (links + firms)) Python operations, and a sort per short supplier under
"lower_priority": small networks only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from kiban.network import SupplyNetwork
from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
)

Class = tuple[int, str]  # (0, item id) or (1, the supplier's sector): items sort first


@dataclass
class _Link:
    supplier: int
    home: int
    customer: int
    cls: Class
    item: str | None
    flow: float
    stock: float = 0.0
    order: float = 0.0
    delivered: float = 0.0


def reference_output(
    network: SupplyNetwork,
    scenario: Scenario,
    days: int,
    rationing: str = "proportional",
    inventory_days: float = 15.0,
    tau_days: float = 6.0,
    substitution: bool = False,
) -> list[list[float]]:
    """Output of each firm on each day, [day][firm], by the module's plain loops."""
    firms = network.dataset.firms.rows(named=True)
    index = {f["firm_id"]: i for i, f in enumerate(firms)}
    item_order = {item: k for k, item in enumerate(network.item_ids.to_list())}
    n = len(firms)
    flows: dict[tuple[int, Class, int], tuple[float, str | None]] = {}
    for row in network.dataset.supplies.rows(named=True):
        value = (row["annual_value_jpy"] or 0.0) / 365.0
        if value <= 0:
            continue
        j, i = index[row["supplier_id"]], index[row["customer_id"]]
        item = row["item_id"]
        cls: Class = (0, f"{item_order[item]:012d}") if item else (1, firms[j]["sector"] or "")
        old, _ = flows.get((i, cls, j), (0.0, item))
        flows[(i, cls, j)] = (old + value, item)
    links = [
        _Link(j, j, i, cls, item, a, stock=inventory_days * a, order=a, delivered=a)
        for (i, cls, j), (a, item) in sorted(flows.items())
    ]
    by_customer: dict[int, list[_Link]] = defaultdict(list)
    for link in links:
        by_customer[link.customer].append(link)
    candidates: dict[Class, list[int]] = defaultdict(list)
    for cls, j in sorted({(link.cls, link.supplier) for link in links}):
        candidates[cls].append(j)

    base_final = [(f["final_demand_jpy"] or 0.0) / 365.0 for f in firms]
    p_ini = list(base_final)
    for link in links:
        p_ini[link.supplier] += link.flow
    prime, value = _programs(network, index)

    x = [1.0] * n
    wanted = list(p_ini)
    inputs = [math.inf] * n
    capacity = [1.0] * n
    result: list[list[float]] = []
    for t in range(days):
        previous_capacity = capacity
        capacity, final = [1.0] * n, list(base_final)
        keep_yesterday: dict[int, float] = defaultdict(lambda: 1.0)  # by id(link)
        spare_share = [0.0] * n
        surging = False
        for shock in scenario.shocks:
            if isinstance(shock, ItemShortage) and shock.day <= t - 1:
                for link in links:
                    if link.item == shock.item_id:
                        keep_yesterday[id(link)] *= 1.0 - shock.loss
            if t < shock.day:
                continue
            for i, firm in enumerate(firms):
                if (isinstance(shock, FirmExit) and firm["firm_id"] in shock.firm_ids) or (
                    isinstance(shock, Embargo) and firm["country"] == shock.country
                ):
                    capacity[i] *= 0.0
                elif isinstance(shock, RegionalDisaster) and firm["region"] in shock.regions:
                    capacity[i] *= 1.0 - _delta(shock, t)
            if isinstance(shock, DemandSurge):
                surging = True
                for i, firm in enumerate(firms):
                    share = shock.spare_capacity_of(firm["firm_id"], scenario.spare_capacity)
                    spare_share[i] = max(spare_share[i], share)
                p = prime[shock.program_id]
                final[p] = max(0.0, final[p] + (shock.factor - 1.0) * value[shock.program_id])
        if surging:
            capacity = [c * (1.0 + s) for c, s in zip(capacity, spare_share, strict=True)]

        # 1. inventory
        for link in links:
            got = link.delivered * keep_yesterday[id(link)]
            link.stock = max(0.0, link.stock + got - link.flow * x[link.customer])
        # 8. substitution, before the orders
        if substitution and t > 0:
            _substitute(links, by_customer, candidates, previous_capacity, inputs, p_ini, wanted)
        # 2. orders
        for link in links:
            e = x[link.customer]
            a = link.flow
            link.order = max(0.0, a * e + (inventory_days * a * e - link.stock) / tau_days)
        # 3. demand
        ordered = [0.0] * n
        for link in links:
            ordered[link.supplier] += link.order
        wanted = [final[j] + ordered[j] for j in range(n)]
        # 4. inputs: the scarcest class
        inputs = [math.inf] * n
        for i, own in by_customer.items():
            stock: dict[Class, float] = defaultdict(float)
            flow: dict[Class, float] = defaultdict(float)
            for link in own:
                stock[link.cls] += link.stock
                flow[link.cls] += link.flow
            inputs[i] = min(stock[c] / flow[c] for c in flow)
        # 5. production
        output = []
        for i in range(n):
            if p_ini[i] > 0:
                x[i] = min(capacity[i], inputs[i], wanted[i] / p_ini[i])
            else:
                x[i] = min(capacity[i], inputs[i], 1.0)
            output.append(x[i] * p_ini[i])
        # 6. rationing
        by_supplier: dict[int, list[_Link]] = defaultdict(list)
        for link in links:
            by_supplier[link.supplier].append(link)
        for j in range(n):
            own = by_supplier.get(j, [])
            if rationing == "proportional":
                share = output[j] / wanted[j] if wanted[j] > 0 else 1.0
                for link in own:
                    link.delivered = link.order * share
            elif rationing == "final_demand_last":
                share = min(1.0, output[j] / ordered[j]) if ordered[j] > 0 else 1.0
                for link in own:
                    link.delivered = link.order * share
            else:
                level = _water_level(output[j], final[j], own) if output[j] < wanted[j] else None
                for link in own:
                    link.delivered = (
                        link.order if level is None else min(link.order, level * link.flow)
                    )
        result.append(output)
    return result


def _water_level(p: float, final: float, own: list[_Link]) -> float | None:
    """lambda with sum min(O, lambda A) + min(1, lambda) C = p, by walking the sorted ratios."""
    claims = sorted([(link.order / link.flow, link.flow) for link in own] + [(1.0, final)])
    rest = sum(weight for _, weight in claims)
    filled = 0.0
    for ratio, weight in claims:
        if rest <= 0:
            break
        if filled + ratio * rest >= p:
            return (p - filled) / rest
        filled += ratio * weight
        rest -= weight
    return None


def _substitute(
    links: list[_Link],
    by_customer: dict[int, list[_Link]],
    candidates: dict[Class, list[int]],
    capacity: list[float],
    inputs: list[float],
    p_ini: list[float],
    wanted: list[float],
) -> None:
    """Moved links go home once home can serve A_l; starved customers move their worst link."""
    spare = [min(capacity[i], inputs[i]) * p_ini[i] - wanted[i] for i in range(len(p_ini))]
    best = {
        cls: sorted(firms, key=lambda k: (-spare[k], k))[:3] for cls, firms in candidates.items()
    }
    for link in links:
        if link.supplier != link.home and spare[link.home] >= link.flow * (1 - 1e-9):
            link.supplier = link.home
            spare[link.home] -= link.flow
    for i in sorted(by_customer):
        worst: _Link | None = None
        worst_u = 0.5
        for link in by_customer[i]:
            if link.order <= 0:
                continue
            u = 1.0 - link.delivered / link.order
            if u >= 0.5 and (worst is None or u > worst_u + 1e-9):
                worst, worst_u = link, u
        if worst is None:
            continue
        # `best` was ranked before any move today, as the fast version does
        for k in best[worst.cls]:
            used = {link.supplier for link in by_customer[i] if link.cls == worst.cls}
            if spare[k] > worst.order and k not in used:
                worst.supplier = k
                spare[k] -= worst.order
                break


def _programs(
    network: SupplyNetwork, index: dict[str, int]
) -> tuple[dict[str, int], dict[str, float]]:
    prime: dict[str, int] = {}
    value: dict[str, float] = {}
    for row in network.dataset.programs.rows(named=True):
        prime[row["program_id"]] = index[row["prime_id"]]
        quantity, price = row.get("annual_quantity"), row.get("unit_price_jpy")
        value[row["program_id"]] = (quantity or 0.0) * (price or 0.0) / 365.0
    return prime, value


def _delta(shock: RegionalDisaster, t: int) -> float:
    elapsed = t - shock.day
    if shock.recovery == "linear":
        assert shock.recovery_days is not None
        return shock.loss * max(0.0, 1.0 - elapsed / shock.recovery_days)
    if shock.recovery == "exponential":
        assert shock.recovery_days is not None
        return shock.loss * math.exp(-elapsed / shock.recovery_days)
    return shock.loss
