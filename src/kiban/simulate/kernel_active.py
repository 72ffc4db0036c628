"""The day loop of `kernel` on one thread, visiting only the firms whose inputs changed.

A firm's day depends on few things: as a customer, on its stocks, the deliveries on its
links and its own output share of the day before; as a supplier, on the orders on its links,
its input limit, its capacity and its final demand. When none of these changed, its day
would repeat the last one exactly, so it is skipped. Each pass marks the firms its changes
reach: a changed order marks the link's supplier for today's supply pass, a changed delivery
its customer for tomorrow's, a changed stock or output share the firm itself for tomorrow.
A shock on one firm of a program's network leaves most firms untouched, or touched for a
few weeks: Monte Carlo ensembles of exits spend their time where the network moves.

Some exits move most of the network every day. Marking then costs more than the visits it
saves, so after a day on which more than DENSE_SHARE of the firms changed (as customers and
as suppliers, counted apart) the next days are dense: every firm is visited, nothing is
marked, and the changes are only counted; the first day with fewer goes back to marks,
visiting every customer once. Visiting a firm whose inputs did not change repeats its day
exactly, so either way the numbers are the same. Marks are stored whether or not something
changed (flag |= changed): that a number changed is unpredictable, and a branch on it cost
about a third of each pass (measured on the destroyer network).

Cost per day: O(links and firms visited), with a few more operations per visit than
`kernel.advance`; at most O(links + firms), as `kernel.advance`, on dense days. On the
destroyer's supply chain (8,300 firms, 36,898 links) an exit that moves about half of it all
year runs 365 days in about 0.14 s, one that settles within weeks in under 0.01 s.

The state it leaves is the one `kernel.advance` leaves, number for number. Daily totals
(output, value added, program outputs) are kept by adding each firm's change, so they
differ from the sums `kernel.advance` takes by rounding only (about 1e-13 relative); each
stretch starts from full sums.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

import numpy as np
from numba import njit

from kiban.simulate.kernel import FINAL_DEMAND_LAST, PROPORTIONAL, repeat, water_level

DENSE_SHARE = 0.5
"""Share of the firms that changed (as customer plus as supplier, out of twice the firms)
above which the next day visits every firm without marking. Anywhere in 0.25-0.75 ran 200
destroyer exits in the same time (measured); below, settling runs go dense too often."""
DENSE = False
"""In `_customers` and `_suppliers`: each compiled variant binds its own (see `_compile`)."""


@njit(cache=True)
def advance_active(
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
    supplier,
    sup_customer,
    slot_flow,
    sup_slot,
    sup_start,
    ratio,
    weight,
    level,
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
    dense_share,
):
    """`kernel.advance` without substitution, on one thread, over the firms that move.

    Each supplier's links are visited through their slots (`sup_slot`, `kernel`);
    `sup_customer[k]` is the customer of the link in slot `sup_slot[k]`. Returns the first day whose
    state repeated the day before (later days are copied), or -1. The first day of a stretch
    visits every firm: the schedule may have changed. A day on which more than `dense_share`
    (DENSE_SHARE) of the firms changed is followed by dense days (see the module) until fewer
    change."""
    n = sup_start.size - 1
    n_programs = program_output.shape[1]
    as_customer = np.ones(n, dtype=np.bool_)
    as_supplier = np.ones(n, dtype=np.bool_)
    since = np.full(n, start, dtype=np.int64)  # output[j] holds from this day
    sums = np.zeros(2)  # the day's total output and value added, kept by changes
    program_total = np.zeros(n_programs)
    for j in range(n):
        sums[0] += output[j]
        sums[1] += value_added_share[j] * output[j]
        for q in range(firm_program_start[j], firm_program_start[j + 1]):
            program_total[firm_program[q]] += output[j]
    dense = False
    busy_limit = dense_share * 2 * n
    for t in range(start, stop):
        if dense:
            changed, busy = _customers_dense(
                stock, slot, link_state, flow, keep, has_keep, grp_start, cus_grp, inv_group_flow,
                supplier, used, inputs, target_days, inv_tau, as_customer, as_supplier,
            )  # fmt: skip
            moved, moving = _suppliers_dense(
                t, rule, link_state, slot_flow, sup_customer, sup_slot, sup_start, ratio, weight,
                level, final, capacity, p_ini, value_added_share, used, inputs, output, wanted,
                firm_loss, firm_program, firm_program_start, since, sums, program_total,
                as_customer, as_supplier,
            )  # fmt: skip
        else:
            changed, busy = _customers_sparse(
                stock, slot, link_state, flow, keep, has_keep, grp_start, cus_grp, inv_group_flow,
                supplier, used, inputs, target_days, inv_tau, as_customer, as_supplier,
            )  # fmt: skip
            moved, moving = _suppliers_sparse(
                t, rule, link_state, slot_flow, sup_customer, sup_slot, sup_start, ratio, weight,
                level, final, capacity, p_ini, value_added_share, used, inputs, output, wanted,
                firm_loss, firm_program, firm_program_start, since, sums, program_total,
                as_customer, as_supplier,
            )  # fmt: skip
        changed += moved
        total[t] = sums[0]
        value_added[t] = sums[1]
        program_output[t, :] = program_total
        if firm_output.shape[0]:
            firm_output[t, :] = output
        if changed == 0:
            _settle(since, t + 1, p_ini, output, firm_loss)
            repeat(t, stop, p_ini, output, firm_loss, total, value_added, program_output,
                   firm_output)  # fmt: skip
            return t
        if dense != (busy + moving > busy_limit):
            dense = not dense
            if not dense:
                # dense days leave no marks: the first sparse day takes in at every customer
                # (it marks the suppliers whose orders change, as any sparse day)
                as_customer[:] = True
                as_supplier[:] = False
    _settle(since, stop, p_ini, output, firm_loss)
    return -1


def _customers(
    stock,
    slot,
    link_state,
    flow,
    keep,
    has_keep,
    grp_start,
    cus_grp,
    inv_group_flow,
    supplier,
    used,
    inputs,
    target_days,
    inv_tau,
    as_customer,
    as_supplier,
):
    """Steps 1, 2 and 4 (`kernel._take_in`) at the marked customers, or at every one when
    DENSE (compiled in: see `_compile`). Marks, unless DENSE, each customer whose stock
    changed, for tomorrow, and each supplier whose orders or input limit changed, for today.
    Returns (stocks and orders that changed, customers whose stocks changed)."""
    n = cus_grp.size - 1
    changed = 0
    busy = 0
    for i in range(n):
        if not DENSE and not as_customer[i]:
            continue
        u = used[i]
        best = np.inf
        firm_changed = 0
        for g in range(cus_grp[i], cus_grp[i + 1]):
            s_sum = 0.0
            for link in range(grp_start[g], grp_start[g + 1]):
                a = float(flow[link])
                before = stock[link]
                p = slot[link]
                got = np.float64(link_state[p, 1])
                if has_keep:
                    got *= keep[link]
                s = max(0.0, np.float64(before) + got - a * u)
                stock[link] = s
                firm_changed += stock[link] != before
                placed = link_state[p, 0]
                link_state[p, 0] = max(0.0, a * u + (target_days * a * u - s) * inv_tau)
                ordered = link_state[p, 0] != placed
                changed += ordered
                if not DENSE:
                    j = supplier[link]
                    as_supplier[j] = as_supplier[j] | ordered
                s_sum += s
            best = min(best, s_sum * inv_group_flow[g])
        changed += firm_changed
        busy += firm_changed > 0
        if not DENSE:
            as_customer[i] = firm_changed > 0
            if best != inputs[i]:
                as_supplier[i] = True
        inputs[i] = best
    return changed, busy


def _suppliers(
    t,
    rule,
    link_state,
    slot_flow,
    sup_customer,
    sup_slot,
    sup_start,
    ratio,
    weight,
    level,
    final,
    capacity,
    p_ini,
    value_added_share,
    used,
    inputs,
    output,
    wanted,
    firm_loss,
    firm_program,
    firm_program_start,
    since,
    sums,
    program_total,
    as_customer,
    as_supplier,
):
    """Steps 3, 5 and 6 (`kernel._supply`) on day t at the marked suppliers, or at every one
    when DENSE. A firm's output share, loss and the day's sums change only where its output
    does. Marks, unless DENSE, the customers of the deliveries that changed, for tomorrow,
    and each firm whose output share changed. Returns (outputs and deliveries that changed,
    suppliers whose output or deliveries changed)."""
    n = sup_start.size - 1
    changed = 0
    busy = 0
    day_total = sums[0]
    day_value_added = sums[1]
    for j in range(n):
        if not DENSE:
            if not as_supplier[j]:
                continue
            as_supplier[j] = False
        first, end = sup_start[j], sup_start[j + 1]
        ordered = 0.0
        for k in range(first, end):
            ordered += np.float64(link_state[sup_slot[k], 0])
        d = final[j] + ordered
        wanted[j] = d
        p0 = p_ini[j]
        # a firm without baseline output runs at most at its baseline use
        x = min(capacity[j], inputs[j], d / p0 if p0 > 0.0 else 1.0)
        firm_changed = 0
        if x != used[j]:
            as_customer[j] = True
            firm_changed += 1
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
        else:
            if out < d:
                b = water_level(
                    out, final[j], link_state, slot_flow, sup_slot, first, end, j, ratio,
                    weight, level[j],
                )  # fmt: skip
            level[j] = b
        for k in range(first, end):
            p = sup_slot[k]
            before = link_state[p, 1]
            got = np.float64(link_state[p, 0]) * a
            if b < np.inf:  # flow is read only when needed
                got = min(got, b * np.float64(slot_flow[p]))
            link_state[p, 1] = got
            delivered = link_state[p, 1] != before
            firm_changed += delivered
            if not DENSE:
                c = sup_customer[k]
                as_customer[c] = as_customer[c] | delivered
        changed += firm_changed
        busy += firm_changed > 0
    sums[0] = day_total
    sums[1] = day_value_added
    return changed, busy


@njit(cache=True)
def _settle(since, day, p_ini, output, firm_loss):
    """Add to each firm's loss its shortfall from the day its output last changed to `day`."""
    for j in range(since.size):
        firm_loss[j] += (day - since[j]) * (p_ini[j] - output[j])
        since[j] = day


def _compile(function: Callable[..., Any], dense: bool) -> Any:
    """`function` compiled with DENSE a constant, so that each variant keeps only its own
    branches (a flag tested inside the link loops cost more than the marks it skipped)."""
    name = f"{function.__name__}_{'dense' if dense else 'sparse'}"
    code = function.__code__
    variant = FunctionType(code, {**globals(), "DENSE": dense}, name)
    variant.__qualname__ = name  # numba's cache tells the variants apart by name
    return njit(cache=True)(variant)


_customers_sparse = _compile(_customers, dense=False)
_customers_dense = _compile(_customers, dense=True)
_suppliers_sparse = _compile(_suppliers, dense=False)
_suppliers_dense = _compile(_suppliers, dense=True)
