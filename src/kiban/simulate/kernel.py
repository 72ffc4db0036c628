"""One day of the propagation model as numba kernels over link arrays (see `propagation`).

Links are stored grouped by customer and, within a customer, by input class: the links of
group g are `grp_start[g]:grp_start[g + 1]` and the groups of customer i are
`cus_grp[i]:cus_grp[i + 1]`. `sup_order[sup_start[j]:sup_start[j + 1]]` lists the links of
supplier j. Per-link state (`stock`, `order`) may be float32 or float64; per-firm vectors are
float64. What a supplier j delivered on a link l is `min(order[l] * share_a[j], share_b[j] *
flow[l])`: proportional rules set `share_b = inf`, the "lower has priority" rule `share_a = 1`
and `share_b` = its water level. The kernels run in parallel over firms (numba `prange`):
every loop writes only its own firm's entries, so results do not depend on the thread count
beyond the order of the two floating-point sums in `produce`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PROPORTIONAL, FINAL_DEMAND_LAST, LOWER_PRIORITY = 0, 1, 2
TOP_CANDIDATES = 3
"""Spare suppliers kept per class each day for substitution."""


@njit(parallel=True, cache=True)
def receive_and_order(
    stock,
    order,
    flow,
    supplier,
    keep,
    has_keep,
    grp_start,
    cus_grp,
    share_a,
    share_b,
    used,
    target_days,
    tau,
    receive,
    place,
    inputs,
):
    """Steps 1, 2 and 4: take in yesterday's deliveries, place orders, find each input limit.

    `receive`: inventory S += delivered * keep - A * used (clipped at 0); `place`: orders
    O = max(0, A u + (n A u - S) / tau), u = yesterday's output share; `inputs[i]` = min over i's
    classes of sum S / sum A (inf for a firm without inputs)."""
    n = cus_grp.size - 1
    for i in prange(n):
        u = used[i]
        best = np.inf
        for g in range(cus_grp[i], cus_grp[i + 1]):
            s_sum = 0.0
            a_sum = 0.0
            for link in range(grp_start[g], grp_start[g + 1]):
                a = np.float64(flow[link])
                s = np.float64(stock[link])
                if receive:
                    j = supplier[link]
                    o = np.float64(order[link])
                    got = min(o * share_a[j], share_b[j] * a)
                    if has_keep:
                        got *= keep[link]
                    s = max(0.0, s + got - a * u)
                    stock[link] = s
                if place:
                    order[link] = max(0.0, a * u + (target_days * a * u - s) / tau)
                s_sum += s
                a_sum += a
            ratio = s_sum / a_sum
            best = min(best, ratio)
        inputs[i] = best


@njit(parallel=True, cache=True)
def demand(order, sup_order, sup_start, final, ordered, wanted):
    """Step 3: `ordered[j]` = sum of orders on j; `wanted[j]` = final demand + ordered."""
    n = sup_start.size - 1
    for j in prange(n):
        total = 0.0
        for k in range(sup_start[j], sup_start[j + 1]):
            total += order[sup_order[k]]
        ordered[j] = total
        wanted[j] = final[j] + total


@njit(parallel=True, cache=True)
def produce(
    capacity,
    inputs,
    wanted,
    p_ini,
    value_added_share,
    x,
    output,
    firm_loss,
):
    """Step 5: x = min(capacity, inputs, demand / P_ini); returns (total output, value added).

    A firm without baseline output runs at min(capacity, inputs, 1) of its baseline use."""
    n = p_ini.size
    total = 0.0
    value_added = 0.0
    for i in prange(n):
        p0 = p_ini[i]
        if p0 > 0.0:
            r = min(capacity[i], inputs[i], wanted[i] / p0)
        else:
            r = min(capacity[i], inputs[i], 1.0)
        x[i] = r
        out = r * p0
        output[i] = out
        firm_loss[i] += p0 - out
        total += out
        value_added += value_added_share[i] * out
    return total, value_added


@njit(parallel=True, cache=True)
def ration(rule, output, wanted, ordered, final, order, flow, sup_order, sup_start, a, b):
    """Step 6: how each supplier shares its output, as (share_a, share_b) per supplier."""
    n = sup_start.size - 1
    for j in prange(n):
        p = output[j]
        d = wanted[j]
        b[j] = np.inf
        a[j] = 1.0
        if rule == PROPORTIONAL:
            if d > 0.0:
                a[j] = p / d
        elif rule == FINAL_DEMAND_LAST:
            if ordered[j] > 0.0:
                a[j] = min(1.0, p / ordered[j])
        elif p < d:
            b[j] = water_level(p, final[j], order, flow, sup_order, sup_start[j], sup_start[j + 1])


@njit(cache=True)
def water_level(p, final, order, flow, sup_order, start, end):
    """Level λ with sum_l min(O_l, λ A_l) + min(1, λ) C = p (Inoue and Todo's rule).

    Customers whose order is lowest against their baseline (O_l / A_l) are filled first;
    final demand enters with ratio 1. Requires p below total demand."""
    m = end - start
    ratio = np.empty(m + 1)
    weight = np.empty(m + 1)
    for k in range(m):
        link = sup_order[start + k]
        ratio[k] = order[link] / flow[link]
        weight[k] = flow[link]
    ratio[m] = 1.0
    weight[m] = final
    rest = weight.sum()
    filled = 0.0
    for q in np.argsort(ratio):
        if rest <= 0.0:
            break
        if filled + ratio[q] * rest >= p:
            return (p - filled) / rest
        filled += ratio[q] * weight[q]
        rest -= weight[q]
    return np.inf


@njit(cache=True)
def substitute(
    threshold,
    order,
    flow,
    supplier,
    link_class,
    grp_start,
    cus_grp,
    a,
    b,
    spare,
    cand_start,
    cand_firm,
    home,
):
    """Step 8: a starved customer moves its worst-served link to a supplier with spare capacity.

    For each customer i, the link l with the largest unfilled share u = 1 - delivered / O_l,
    if u >= `threshold`, moves to the firm k of the same class (a baseline supplier of that
    class: `cand_firm[cand_start[c]:cand_start[c + 1]]`) among the TOP_CANDIDATES with the most
    spare capacity (P_max - D, JPY per day) that is not already i's supplier in that class and
    whose spare capacity exceeds O_l; k's spare capacity is then reduced by O_l. First, every
    moved link goes back to its baseline supplier `home[l]` once that one's spare capacity
    covers the link's baseline flow A_l. Returns the number of links moved (either way).
    Serial: moves depend on each other through spare capacity."""
    n_classes = cand_start.size - 1
    top = np.full((n_classes, TOP_CANDIDATES), -1, dtype=np.int64)
    for c in range(n_classes):
        for k in range(cand_start[c], cand_start[c + 1]):
            firm = cand_firm[k]
            for q in range(TOP_CANDIDATES):
                held = top[c, q]
                if held < 0 or spare[firm] > spare[held]:
                    for r in range(TOP_CANDIDATES - 1, q, -1):
                        top[c, r] = top[c, r - 1]
                    top[c, q] = firm
                    break
    delivered_by = supplier.copy()  # who delivered yesterday's orders, before any move back
    moved = 0
    for link in range(supplier.size):
        j = home[link]
        # back once home can serve the baseline flow (1e-9: rounding of a steady state)
        if supplier[link] != j and spare[j] >= flow[link] * (1.0 - 1e-9):
            supplier[link] = j
            spare[j] -= flow[link]
            moved += 1
    n = cus_grp.size - 1
    for i in range(n):
        worst = -1
        worst_group = -1
        worst_u = threshold
        for g in range(cus_grp[i], cus_grp[i + 1]):
            for link in range(grp_start[g], grp_start[g + 1]):
                o = np.float64(order[link])
                if o <= 0.0:
                    continue
                j = delivered_by[link]
                got = min(o * a[j], b[j] * flow[link])
                u = 1.0 - got / o
                # ties (links of one supplier share its rationing) go to the first link;
                # 1e-9 keeps rounding from breaking them
                if u >= threshold and (worst < 0 or u > worst_u + 1e-9):
                    worst, worst_group, worst_u = link, g, u
        if worst < 0:
            continue
        o = np.float64(order[worst])
        for q in range(TOP_CANDIDATES):
            k = top[link_class[worst], q]
            if k < 0 or spare[k] <= o:
                continue
            taken = False
            for link in range(grp_start[worst_group], grp_start[worst_group + 1]):
                if supplier[link] == k:
                    taken = True
                    break
            if taken:
                continue
            supplier[worst] = k
            spare[k] -= o
            moved += 1
            break
    return moved
