"""The propagation model in plain Python, written straight from the equations: a check.

`reference_output(network, scenario, days, rationing, inventory_days, tau_days)` runs the
equations of `kiban.simulate.propagation` (Hallegatte 2008; Inoue and Todo 2019) with dicts
and loops over firms and links, and returns each day's output per firm (JPY per day) as a
list of lists. It shares no code with the fast version beyond the scenario's classes, so
tests compare the two. Cost: O(days x (links + firms)) Python operations: small networks only.
"""

from __future__ import annotations

import math
from collections import defaultdict

from kiban.network import SupplyNetwork
from kiban.simulate.scenario import Embargo, FirmExit, RegionalDisaster, Scenario


def reference_output(
    network: SupplyNetwork,
    scenario: Scenario,
    days: int,
    rationing: str = "proportional",
    inventory_days: float = 15.0,
    tau_days: float = 6.0,
) -> list[list[float]]:
    """Output of each firm on each day, [day][firm], by the module's plain loops."""
    firms = network.dataset.firms.rows(named=True)
    ids = [f["firm_id"] for f in firms]
    index = {firm_id: i for i, firm_id in enumerate(ids)}
    flow: dict[tuple[int, int], float] = defaultdict(float)  # (supplier, customer) -> A
    for row in network.dataset.supplies.rows(named=True):
        value = row["annual_value_jpy"] or 0.0
        flow[(index[row["supplier_id"]], index[row["customer_id"]])] += value / 365.0
    links = [(j, i) for (j, i), a in flow.items() if a > 0]
    n = len(firms)
    final = [(f["final_demand_jpy"] or 0.0) / 365.0 for f in firms]
    p_ini = list(final)
    for j, i in links:
        p_ini[j] += flow[(j, i)]
    sector = [f["sector"] or "" for f in firms]

    stock = {link: inventory_days * flow[link] for link in links}
    delivered = {link: flow[link] for link in links}
    production = list(p_ini)
    result: list[list[float]] = []
    for t in range(days):
        capacity = [1.0] * n
        for shock in scenario.shocks:
            if t < shock.day:
                continue
            for i, firm in enumerate(firms):
                stops = (isinstance(shock, FirmExit) and firm["firm_id"] in shock.firm_ids) or (
                    isinstance(shock, Embargo) and firm["country"] == shock.country
                )
                if stops:
                    capacity[i] *= 0.0
                elif isinstance(shock, RegionalDisaster) and firm["region"] in shock.regions:
                    capacity[i] *= 1.0 - _delta(shock, t)

        # x_i(t-1) = P_i(t-1) / P_ini_i, 1 for a firm without baseline output
        ratio = [production[i] / p_ini[i] if p_ini[i] > 0 else 1.0 for i in range(n)]
        orders: dict[tuple[int, int], float] = {}
        for link in links:
            j, i = link
            a = flow[link]
            stock[link] = max(0.0, stock[link] + delivered[link] - a * ratio[i])
            expected = a * ratio[i]
            orders[link] = max(0.0, expected + (inventory_days * expected - stock[link]) / tau_days)
        ordered = [0.0] * n
        for (j, _i), order in orders.items():
            ordered[j] += order
        demand = [final[j] + ordered[j] for j in range(n)]
        class_stock: dict[tuple[int, str], float] = defaultdict(float)
        class_flow: dict[tuple[int, str], float] = defaultdict(float)
        for link in links:
            j, i = link
            class_stock[(i, sector[j])] += stock[link]
            class_flow[(i, sector[j])] += flow[link]
        inputs = [math.inf] * n
        for (i, s), a in class_flow.items():
            inputs[i] = min(inputs[i], class_stock[(i, s)] / a)
        production = []
        for i in range(n):
            wanted = demand[i] / p_ini[i] if p_ini[i] > 0 else 1.0
            production.append(min(capacity[i], inputs[i], wanted) * p_ini[i])
        for link in links:
            j, _i = link
            if rationing == "proportional":
                share = production[j] / demand[j] if demand[j] > 0 else 1.0
            else:
                share = min(1.0, production[j] / ordered[j]) if ordered[j] > 0 else 1.0
            delivered[link] = orders[link] * share
        result.append(list(production))
    return result


def _delta(shock: RegionalDisaster, t: int) -> float:
    elapsed = t - shock.day
    if shock.recovery == "linear":
        assert shock.recovery_days is not None
        return shock.loss * max(0.0, 1.0 - elapsed / shock.recovery_days)
    if shock.recovery == "exponential":
        assert shock.recovery_days is not None
        return shock.loss * math.exp(-elapsed / shock.recovery_days)
    return shock.loss
