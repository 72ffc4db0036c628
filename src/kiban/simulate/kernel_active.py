"""The day loop of `kernel` on one thread, visiting only the firms whose inputs changed.

A firm's day depends on few things: as a customer, on its stocks, the deliveries on its
links and its own output share of the day before; as a supplier, on the orders on its links,
its input limit, its capacity and its final demand. When none of these changed, its day
would repeat the last one exactly, so it is skipped. Each pass marks the firms its changes
reach: a changed order marks the link's supplier for today's supply pass, a changed delivery
its customer for tomorrow's, a changed stock or output share the firm itself for tomorrow.
A shock on one firm of a program's network leaves most firms untouched, or touched for a
few weeks: Monte Carlo ensembles of exits spend their time where the network moves.

The state it leaves is the one `kernel.advance` leaves, number for number. Daily totals
(output, value added, program outputs) are kept by adding each firm's change, so they
differ from the sums `kernel.advance` takes by rounding only (about 1e-13 relative); each
stretch starts from full sums.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from kiban.simulate.kernel import FINAL_DEMAND_LAST, PROPORTIONAL, _water_level, repeat


@njit(cache=True)
def advance_active(
    rule,
    start,
    stop,
    stock,
    link_state,
    flow,
    keep,
    has_keep,
    grp_start,
    cus_grp,
    inv_group_flow,
    supplier,
    customer,
    sup_order,
    sup_start,
    ratio,
    weight,
    final,
    capacity,
    p_ini,
    value_added_share,
    used,
    inputs,
    output,
    wanted,
    firm_loss,
    target_days,
    inv_tau,
    total,
    value_added,
    firm_program,
    firm_program_start,
    program_output,
    firm_output,
):
    """`kernel.advance` without substitution, on one thread, over the firms that move.

    Returns the first day whose state repeated the day before (later days are copied), or
    -1. The first day of a stretch visits every firm: the schedule may have changed."""
    n = sup_start.size - 1
    n_programs = program_output.shape[1]
    as_customer = np.ones(n, dtype=np.bool_)
    as_supplier = np.ones(n, dtype=np.bool_)
    since = np.full(n, start, dtype=np.int64)  # output[j] holds from this day
    day_total = 0.0
    day_value_added = 0.0
    program_total = np.zeros(n_programs)
    for j in range(n):
        day_total += output[j]
        day_value_added += value_added_share[j] * output[j]
        for q in range(firm_program_start[j], firm_program_start[j + 1]):
            program_total[firm_program[q]] += output[j]
    for t in range(start, stop):
        changed = 0
        for i in range(n):
            if not as_customer[i]:
                continue
            as_customer[i] = False
            u = used[i]
            best = np.inf
            for g in range(cus_grp[i], cus_grp[i + 1]):
                s_sum = 0.0
                for link in range(grp_start[g], grp_start[g + 1]):
                    a = float(flow[link])
                    before = stock[link]
                    got = np.float64(link_state[link, 1])
                    if has_keep:
                        got *= keep[link]
                    s = max(0.0, np.float64(before) + got - a * u)
                    stock[link] = s
                    if stock[link] != before:
                        as_customer[i] = True
                        changed += 1
                    placed = link_state[link, 0]
                    link_state[link, 0] = max(0.0, a * u + (target_days * a * u - s) * inv_tau)
                    if link_state[link, 0] != placed:
                        as_supplier[supplier[link]] = True
                        changed += 1
                    s_sum += s
                best = min(best, s_sum * inv_group_flow[g])
            if best != inputs[i]:
                as_supplier[i] = True
                inputs[i] = best
        for j in range(n):
            if not as_supplier[j]:
                continue
            as_supplier[j] = False
            first, end = sup_start[j], sup_start[j + 1]
            ordered = 0.0
            for k in range(first, end):
                ordered += np.float64(link_state[sup_order[k], 0])
            d = final[j] + ordered
            wanted[j] = d
            p0 = p_ini[j]
            # a firm without baseline output runs at most at its baseline use
            x = min(capacity[j], inputs[j], d / p0 if p0 > 0.0 else 1.0)
            if x != used[j]:
                as_customer[j] = True
                changed += 1
                used[j] = x
                out = x * p0
                change = out - output[j]
                firm_loss[j] += (t - since[j]) * (p0 - output[j])
                since[j] = t
                output[j] = out
                day_total += change
                day_value_added += value_added_share[j] * change
                for q in range(firm_program_start[j], firm_program_start[j + 1]):
                    program_total[firm_program[q]] += change
            out = output[j]
            # the rationing of kernel._supply, written out again: as an inlined helper
            # returning (a, b) it made runs of the destroyer network 1.8x slower (measured)
            a = 1.0
            b = np.inf
            if rule == PROPORTIONAL:
                if d > 0.0:
                    a = out / d
            elif rule == FINAL_DEMAND_LAST:
                if ordered > 0.0:
                    a = min(1.0, out / ordered)
            elif out < d:
                b = _water_level(
                    out, final[j], link_state, flow, sup_order, first, end, j, ratio, weight
                )
            for k in range(first, end):
                link = sup_order[k]
                before = link_state[link, 1]
                got = np.float64(link_state[link, 0]) * a
                if b < np.inf:  # flow is read only when needed: one cache line per link
                    got = min(got, b * np.float64(flow[link]))
                link_state[link, 1] = got
                if link_state[link, 1] != before:
                    as_customer[customer[link]] = True
                    changed += 1
        total[t] = day_total
        value_added[t] = day_value_added
        program_output[t, :] = program_total
        if firm_output.shape[0]:
            firm_output[t, :] = output
        if changed == 0:
            _settle(since, t + 1, p_ini, output, firm_loss)
            repeat(t, stop, p_ini, output, firm_loss, total, value_added, program_output,
                   firm_output)  # fmt: skip
            return t
    _settle(since, stop, p_ini, output, firm_loss)
    return -1


@njit(cache=True)
def _settle(since, day, p_ini, output, firm_loss):
    """Add to each firm's loss its shortfall from the day its output last changed to `day`."""
    for j in range(since.size):
        firm_loss[j] += (day - since[j]) * (p_ini[j] - output[j])
        since[j] = day
