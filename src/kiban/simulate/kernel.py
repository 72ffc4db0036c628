"""Days of the propagation model as numba kernels over link arrays (see `propagation`).

Links are stored grouped by customer and, within a customer, by input class: the links of
group g are `grp_start[g]:grp_start[g + 1]` and the groups of customer i are
`cus_grp[i]:cus_grp[i + 1]`. Each link's order and delivery sit side by side in
`link_state[slot[l]]`, in the slots of `kiban.simulate.layout`: grouped by supplier bucket,
each bucket's slots in link order (`slot_supplier[s]` is the supplier of slot s;
`sup_slot[sup_start[j]:sup_start[j + 1]]` the slots of supplier j). Per-link state (`stock`,
`link_state`) may be float32 or float64; per-firm vectors are float64.

A day is two passes. The customer pass (`_take_in`) walks the links in their stored order:
it takes in yesterday's deliveries, places orders and finds each customer's input limit; its
writes to the slots run through each bucket in order. The supplier pass (`_supply`) works a
bucket at a time: it sums the orders on each supplier, produces, and writes what it delivers
in each slot, all within the bucket's slots and firms, which stay in cache. (Walking each
supplier's links where the customer pass stores them cost a cache miss per link, about half
of a national day: see `layout`.)

`advance` runs a stretch of days with an unchanging schedule in one call. When a day leaves
the whole state (stocks, orders, deliveries, outputs and, with substitution, the links'
suppliers) exactly as the day before, every later day of the stretch would repeat it: they
are copied rather than computed, so the result is the same as computing them.

Both passes run in parallel (`prange`, over firms and over buckets) in `advance_parallel`
and serially in `advance`: every loop writes only its own firm's, bucket's or slot's
entries, and a supplier's orders are summed in link order in every bucket layout, so results
do not depend on the thread count beyond the order of the floating-point sums of the daily
totals. Substitution moves links between suppliers and needs the single-bucket layout
(slot = link, `layout.single_bucket`).
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

import numpy as np
from numba import njit, prange

PROPORTIONAL, FINAL_DEMAND_LAST, LOWER_PRIORITY = 0, 1, 2
TOP_CANDIDATES = 3
"""Spare suppliers kept per class each day for substitution."""
NEWTON_STEPS = 16
"""Newton steps for a water level before falling back to a selection (see `_water_level_search`)."""
NEWTON_MARGIN = 1.0 - 2.0**-40
"""How far short of the next breakpoint a Newton step must stop to be the level."""


def _take_in(
    stock,
    slot,
    link_state,
    flow,
    keep,
    has_keep,
    grp_start,
    cus_grp,
    inv_group_flow,
    used,
    target_days,
    inv_tau,
    receive,
    place,
    inputs,
):
    """Steps 1, 2 and 4: take in yesterday's deliveries, place orders, find each input limit.

    `receive`: inventory S += delivered * keep - A * used (clipped at 0); `place`: orders
    O = max(0, A u + (n A u - S) / tau), u = yesterday's output share; `inputs[i]` = min over
    i's classes of sum S / sum A (inf for a firm without inputs). Returns how many stocks and
    orders changed."""
    n = cus_grp.size - 1
    changed = 0
    for i in prange(n):
        u = used[i]
        best = np.inf
        for g in range(cus_grp[i], cus_grp[i + 1]):
            s_sum = 0.0
            for link in range(grp_start[g], grp_start[g + 1]):
                a = np.float64(flow[link])
                before = stock[link]
                s = np.float64(before)
                if receive:
                    got = np.float64(link_state[slot[link], 1])
                    if has_keep:
                        got *= keep[link]
                    s = max(0.0, s + got - a * u)
                    stock[link] = s
                    if stock[link] != before:
                        changed += 1
                if place:
                    p = slot[link]
                    placed = link_state[p, 0]
                    link_state[p, 0] = max(0.0, a * u + (target_days * a * u - s) * inv_tau)
                    if link_state[p, 0] != placed:
                        changed += 1
                s_sum += s
            best = min(best, s_sum * inv_group_flow[g])
        inputs[i] = best
    return changed


def _supply(
    rule,
    link_state,
    slot_flow,
    slot_supplier,
    sup_slot,
    sup_start,
    bucket_firm,
    bucket_slot,
    final,
    capacity,
    inputs,
    p_ini,
    value_added_share,
    used,
    output,
    wanted,
    firm_loss,
    share,
    level,
    ratio,
    weight,
):
    """Steps 3, 5 and 6 per supplier j, a bucket at a time: demand, production, rationing.

    D_j = C_j + sum of orders; x_j = min(capacity, inputs, D_j / P_j) (min(capacity, inputs,
    1) for a firm without baseline output); then in each slot, delivered = min(O_l a_j,
    b_j A_l): the proportional rules set b_j = inf, "lower has priority" a_j = 1 and b_j its
    water level (`share`, `level`: a_j and b_j, per firm; yesterday's b_j starts today's
    search, see `water_level`). `slot_flow`: A_l by slot; `ratio`, `weight`: scratch of
    links + firms entries (both "lower priority" only).
    Returns (total output, value added, how many outputs and deliveries changed)."""
    total = 0.0
    value_added = 0.0
    changed = 0
    for b in prange(bucket_firm.size - 1):
        first_firm, end_firm = bucket_firm[b], bucket_firm[b + 1]
        first_slot, end_slot = bucket_slot[b], bucket_slot[b + 1]
        for j in range(first_firm, end_firm):
            wanted[j] = 0.0
        # in slot order, which is link order for each supplier: the sums of a pull over
        # sup_slot (kernel_active), to the last bit
        for s in range(first_slot, end_slot):
            wanted[slot_supplier[s]] += np.float64(link_state[s, 0])
        for j in range(first_firm, end_firm):
            ordered = wanted[j]
            d = final[j] + ordered
            wanted[j] = d
            p0 = p_ini[j]
            # a firm without baseline output runs at most at its baseline use
            x = min(capacity[j], inputs[j], d / p0 if p0 > 0.0 else 1.0)
            if x != used[j]:
                changed += 1
            used[j] = x
            out = x * p0
            output[j] = out
            firm_loss[j] += p0 - out
            total += out
            value_added += value_added_share[j] * out
            a = 1.0
            lam = np.inf  # "lower priority" only
            if rule == PROPORTIONAL:
                if d > 0.0:
                    a = out / d
            elif rule == FINAL_DEMAND_LAST:
                if ordered > 0.0:
                    a = min(1.0, out / ordered)
            else:
                if out < d:
                    # within the bucket's slots, which the sweep above brought into cache
                    lam = water_level(
                        out, final[j], link_state, slot_flow, sup_slot, sup_start[j],
                        sup_start[j + 1], j, ratio, weight, level[j],
                    )  # fmt: skip
                level[j] = lam
            share[j] = a
        for s in range(first_slot, end_slot):
            j = slot_supplier[s]
            before = link_state[s, 1]
            got = np.float64(link_state[s, 0]) * share[j]
            if rule == LOWER_PRIORITY:
                lam = level[j]
                if lam < np.inf:  # flow is read only when needed
                    got = min(got, lam * np.float64(slot_flow[s]))
            link_state[s, 1] = got
            if link_state[s, 1] != before:
                changed += 1
    return total, value_added, changed


@njit(inline="always")
def water_level(p, final, link_state, flow, sup_slot, start, end, j, ratio, weight, guess):
    """Level λ with sum_l min(O_l, λ A_l) + min(1, λ) C = p (Inoue and Todo's rule).

    The orders and flows of supplier j are in `link_state` and `flow` at its slots
    `sup_slot[start:end]`. Customers whose order is lowest against their baseline
    (r_l = O_l / A_l) are filled first; final demand enters with ratio 1. Requires p below
    total demand.

    F(λ) = sum_l min(O_l, λ A_l) + min(1, λ) C is increasing, concave and piecewise linear,
    so Newton's method from `guess` (yesterday's level; inf: none, start from 0) lands at or
    left of the level after one step and then climbs to it, crossing at least one
    breakpoint a step. A step from λ takes the orders at or below it in full and the flows
    above it at the level: λ' = (p - sum O) / sum A is the level if it repeats λ or no
    breakpoint lies between λ and λ' (F is linear there): λ' stops short of the next
    breakpoint above λ, or, stepping down, stays above the highest at or below λ (by a
    relative 2^-40, so that rounding cannot put an order on the other side). Yesterday's
    level is most often today's first step, up or down: one pass over the orders, inlined
    here; the rest is in `_water_level_search`."""
    level = guess if guess < np.inf else 0.0
    filled, rest, above, below = _link_pass(level, link_state, flow, sup_slot, start, end)
    step, done = _newton_step(p, final, level, filled, rest, above, below)
    if done:
        return step
    return _water_level_search(
        p, final, link_state, flow, sup_slot, start, end, j, ratio, weight, step
    )


@njit(inline="always")
def _newton_step(p, final, level, filled, rest, above, below):
    """(the next level, whether it is the water level) from a `_link_pass` at `level`; the
    next level is NaN where Newton cannot go on (nothing above 0)."""
    if final > 0.0:
        if level >= 1.0:
            filled += final
            below = max(below, 1.0)
        else:
            rest += final
            above = min(above, 1.0)
    if rest > 0.0:
        step = (p - filled) / rest
        if step > level:
            return step, step < above * NEWTON_MARGIN
        return step, step == level or below < step * NEWTON_MARGIN
    if level > 0.0:
        return 0.0, False  # at or above every ratio F is flat, above p: start again from 0
    return np.nan, False


@njit(cache=True)
def _water_level_search(p, final, link_state, flow, sup_slot, start, end, j, ratio, weight, level):
    """`water_level` from its second step, at `level`. After NEWTON_STEPS steps a selection
    finds the level (`_water_level_select`, expected O(m), with ratio/weight entries
    start + j to end + j as scratch), and Newton from there writes it as Newton would, so
    that a day like this one finds it again in one step: `kernel_active` skips such days,
    and the kernels must agree to the last bit."""
    found = _newton(p, final, link_state, flow, sup_slot, start, end, level)
    if found == found:  # not NaN
        return found
    lo, hi = start + j, end + j + 1
    k = lo
    for q in range(start, end):
        link = sup_slot[q]
        a = np.float64(flow[link])
        ratio[k] = np.float64(link_state[link, 0]) / a
        weight[k] = a
        k += 1
    ratio[k] = 1.0
    weight[k] = final
    selected = _water_level_select(p, ratio, weight, lo, hi)
    found = _newton(p, final, link_state, flow, sup_slot, start, end, selected)
    return found if found == found else selected


@njit(cache=True)
def _newton(p, final, link_state, flow, sup_slot, start, end, level):
    """The water level by Newton's method from `level`, or NaN after NEWTON_STEPS steps."""
    for _ in range(NEWTON_STEPS):
        if level != level:
            return np.nan
        filled, rest, above, below = _link_pass(level, link_state, flow, sup_slot, start, end)
        level, done = _newton_step(p, final, level, filled, rest, above, below)
        if done:
            return level
    return np.nan


@njit(inline="always")
def _link_pass(level, link_state, flow, sup_slot, start, end):
    """Over the links at `sup_slot[start:end]`, in that order: (the orders at or below
    `level`, O_l <= level A_l; the flows above it; the lowest ratio O_l / A_l above it; the
    highest at or below it)."""
    filled = 0.0
    rest = 0.0
    above = np.inf
    below = -np.inf
    for q in range(start, end):
        link = sup_slot[q]
        o = np.float64(link_state[link, 0])
        a = np.float64(flow[link])
        r = o / a
        # selects, not branches: which side an order falls is unpredictable
        served = o <= level * a
        filled += o if served else 0.0
        rest += 0.0 if served else a
        above = min(above, np.inf if served else r)
        below = max(below, r if served else -np.inf)
    return filled, rest, above, below


@njit(cache=True)
def _water_level_select(p, ratio, weight, lo, hi):
    """The level of `_water_level_search` from its scratch entries lo to hi - 1, by selection:
    three-way partitions around a median of three, keeping the side where the level lies.
    Expected O(hi - lo); reorders the entries."""
    filled = 0.0  # sum of w r over entries known to lie below the level
    rest = 0.0  # sum of w over entries known to lie at or above it
    while lo < hi:
        x, y, z = ratio[lo], ratio[(lo + hi) // 2], ratio[hi - 1]
        pivot = max(min(x, y), min(max(x, y), z))
        below, equal, above = lo, lo, hi
        while equal < above:
            r = ratio[equal]
            if r < pivot:
                _swap(ratio, weight, equal, below)
                below += 1
                equal += 1
            elif r > pivot:
                above -= 1
                _swap(ratio, weight, equal, above)
            else:
                equal += 1
        low_sum = 0.0
        for q in range(lo, below):
            low_sum += weight[q] * ratio[q]
        equal_weight = 0.0
        for q in range(below, above):
            equal_weight += weight[q]
        high_weight = 0.0
        for q in range(above, hi):
            high_weight += weight[q]
        if filled + low_sum + pivot * (equal_weight + high_weight + rest) >= p:
            rest += equal_weight + high_weight
            hi = below
        else:
            filled += low_sum + pivot * equal_weight
            lo = above
    if rest <= 0.0:
        return np.inf
    return (p - filled) / rest


@njit(inline="always")
def _swap(ratio, weight, i, j):
    ratio[i], ratio[j] = ratio[j], ratio[i]
    weight[i], weight[j] = weight[j], weight[i]


@njit(cache=True)
def _substitute(
    threshold,
    link_state,
    flow,
    supplier,
    link_class,
    grp_start,
    cus_grp,
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
                o = np.float64(link_state[link, 0])
                if o <= 0.0:
                    continue
                u = 1.0 - np.float64(link_state[link, 1]) / o
                # ties (links of one supplier share its rationing) go to the first link;
                # 1e-9 keeps rounding from breaking them
                if u >= threshold and (worst < 0 or u > worst_u + 1e-9):
                    worst, worst_group, worst_u = link, g, u
        if worst < 0:
            continue
        o = np.float64(link_state[worst, 0])
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


@njit(cache=True)
def group_by_supplier(supplier, sup_order, sup_start):
    """Fill `sup_order`/`sup_start` with the links of each supplier, in link order."""
    sup_start[:] = 0
    for link in range(supplier.size):
        sup_start[supplier[link] + 1] += 1
    for j in range(sup_start.size - 1):
        sup_start[j + 1] += sup_start[j]
    fill = sup_start[:-1].copy()
    for link in range(supplier.size):
        j = supplier[link]
        sup_order[fill[j]] = link
        fill[j] += 1


def _advance(
    rule,
    start,
    stop,
    stock,
    slot,
    link_state,
    flow,
    keep,
    has_keep,
    grp_start,
    cus_grp,
    inv_group_flow,
    slot_flow,
    slot_supplier,
    sup_slot,
    sup_start,
    bucket_firm,
    bucket_slot,
    share,
    level,
    ratio,
    weight,
    final,
    capacity,
    previous_capacity,
    p_ini,
    value_added_share,
    used,
    inputs,
    output,
    wanted,
    firm_loss,
    target_days,
    inv_tau,
    substitution,
    threshold,
    supplier,
    home,
    link_class,
    cand_start,
    cand_firm,
    total,
    value_added,
    program_firm,
    program_start,
    program_output,
    firm_output,
):
    """Run days `start` to `stop` - 1 under one schedule (capacity, final demand, keep).

    Writes each day's total output, value added, program outputs and (if `firm_output` has
    rows) firm outputs. With `substitution`, the layout must be the single bucket (slot =
    link, `slot_supplier` is `supplier` and `sup_slot` the links by supplier): moved links
    are regrouped in place. `previous_capacity` is the capacity of day `start` - 1 (substitution
    needs yesterday's spare capacity). Returns the first day whose state repeated the day
    before (the days after it are copied), or -1."""
    for t in range(start, stop):
        changed = 0
        if substitution and t > 0:
            # yesterday's spare capacity; links move between taking in and ordering
            before = previous_capacity if t == start else capacity
            spare = np.minimum(before, inputs) * p_ini - wanted
            changed += _take_in(
                stock, slot, link_state, flow, keep, has_keep, grp_start, cus_grp,
                inv_group_flow, used, target_days, inv_tau, True, False, inputs,
            )  # fmt: skip
            moved = _substitute(
                threshold, link_state, flow, supplier, link_class, grp_start, cus_grp,
                spare, cand_start, cand_firm, home,
            )  # fmt: skip
            if moved:
                group_by_supplier(supplier, sup_slot, sup_start)
            # a moved link is a change of state even when no number moved with it
            changed += moved
            changed += _take_in(
                stock, slot, link_state, flow, keep, has_keep, grp_start, cus_grp,
                inv_group_flow, used, target_days, inv_tau, False, True, inputs,
            )  # fmt: skip
        else:
            changed += _take_in(
                stock, slot, link_state, flow, keep, has_keep, grp_start, cus_grp,
                inv_group_flow, used, target_days, inv_tau, True, True, inputs,
            )  # fmt: skip
        day_total, day_value_added, supplied = _supply(
            rule, link_state, slot_flow, slot_supplier, sup_slot, sup_start, bucket_firm,
            bucket_slot, final, capacity, inputs, p_ini, value_added_share, used, output,
            wanted, firm_loss, share, level, ratio, weight,
        )  # fmt: skip
        changed += supplied
        total[t] = day_total
        value_added[t] = day_value_added
        _record(t, output, program_firm, program_start, program_output, firm_output)
        # with substitution, day `start` saw yesterday's capacity from another schedule
        if changed == 0 and (t > start or not substitution):
            repeat(t, stop, p_ini, output, firm_loss, total, value_added, program_output,
                    firm_output)  # fmt: skip
            return t
    return -1


@njit(inline="always")
def _record(t, output, program_firm, program_start, program_output, firm_output):
    for p in range(program_start.size - 1):
        s = 0.0
        for k in range(program_start[p], program_start[p + 1]):
            s += output[program_firm[k]]
        program_output[t, p] = s
    if firm_output.shape[0]:
        for i in range(output.size):
            firm_output[t, i] = output[i]


@njit(cache=True)
def repeat(t, stop, p_ini, output, firm_loss, total, value_added, program_output, firm_output):
    """Days t + 1 to stop - 1 as copies of day t (the state no longer changes)."""
    rest = stop - t - 1
    if rest <= 0:
        return
    for i in range(output.size):
        firm_loss[i] += rest * (p_ini[i] - output[i])
    for d in range(t + 1, stop):
        total[d] = total[t]
        value_added[d] = value_added[t]
        program_output[d, :] = program_output[t, :]
        if firm_output.shape[0]:
            firm_output[d, :] = firm_output[t, :]


def _compile(name: str, parallel: bool) -> Any:
    """`_advance` compiled with the two passes serial or parallel over firms.

    numba runs a `prange` in parallel only in a function compiled with parallel=True, not
    in one inlined into it, so each variant of `_advance` binds its own compiled passes."""
    passes = {
        "_take_in": njit(parallel=parallel, cache=True)(_take_in),
        "_supply": njit(parallel=parallel, cache=True)(_supply),
    }
    function = FunctionType(_advance.__code__, {**globals(), **passes}, name)
    function.__qualname__ = name  # numba's cache tells the variants apart by name
    return njit(cache=True)(function)


advance = _compile("advance", parallel=False)
advance_parallel = _compile("advance_parallel", parallel=True)
