"""Dynamic propagation of a shock through a supply network, day by day.

The adaptive regional input-output (ARIO) model of Hallegatte (2008, "An adaptive regional
input-output model and its application to the assessment of the economic cost of Katrina",
Risk Analysis 28(3)), run firm by firm as Inoue and Todo (2019, "Firm-level propagation of
shocks through supply-chain networks", Nature Sustainability 2) do for Japan's network, with
their "lower has priority" rationing and supplier substitution (Inoue and Todo 2017, SSRN
2932559; the rules of their public simulator, ProductionNetworkSimulator).

Inputs, from the dataset. A *link* l = (supplier j, customer i, class s) carries the
baseline daily flow A_l = annual_value_jpy / 365 summed over its supply rows; rows worth
nothing carry nothing and are left out. The input class s of a supply row is its item when it
names one (program networks), else the supplier's `sector` (firm-level national networks):
production is Leontief over classes, and the suppliers of one class are substitutes. Per firm,
final demand C_i = final_demand_jpy / 365 and baseline output P_i = C_i + sum_l A_l over the
links it supplies. n = `inventory_days` (15), tau = `tau_days` (6).

State per link: inventory S_l, order O_l and the supplier's rationing of it; per firm output
P_i(t) = x_i(t) P_i. Start: S = n A, O = A, everything delivered, x = 1. For each day
t = 0, 1, ..., days - 1:

1. inventory: S_l = max(0, S_l + O*_l(t-1) k_l(t-1) - A_l x_i(t-1)), O* the delivery and
   k_l = 1 - loss of an `ItemShortage` of the link's item (what is lost in transit);
2. orders (Hallegatte's rule): O_l = max(0, A_l x_i(t-1) + (n A_l x_i(t-1) - S_l) / tau):
   expected demand is yesterday's output, as in Inoue and Todo's simulator. (Expecting
   yesterday's demand instead is unstable on real networks: once a cycle of suppliers runs
   out of stock, each orders 1 + n / tau times more than it receives and orders grow
   exponentially around the cycle; kiban measured it on generated national networks.) With
   this rule a firm whose output and inputs both fall to zero stays there: a cycle of such
   firms deadlocks, which "lower_priority" rationing makes much rarer;
3. demand: D_j = C_j(t) + sum of the orders on j; C_j(t) includes a `DemandSurge`: from its
   day the prime of the program gets (factor - 1) x the program's annual_quantity x
   unit_price / 365 more final demand;
4. inputs: per customer i and class s, x_max_i = min_s sum_{l in s} S_l / sum_{l in s} A_l;
5. production: x_i = min(cap_i(t), x_max_i, D_i / P_i), cap_i = (1 - delta_i(t)) (1 + spare_i),
   spare_i the firm's spare capacity once a surge has begun (0 before);
6. rationing of P_j x_j among j's customers and final demand, by `rationing`:
   "proportional" (Hallegatte): O*_l = O_l P_j x_j / D_j, final users likewise;
   "final_demand_last": orders are served first, in proportion if output falls short of
   them, and final users get what is left;
   "lower_priority" (Inoue and Todo): water-filling in the ratio O_l / A_l, final demand with
   ratio 1: O*_l = min(O_l, lambda A_l), min(1, lambda) C_j, with lambda such that the whole
   output is shared. A customer that asks for no more than its baseline is served first, so
   one firm rebuilding its stock cannot starve the others;
7. recovery: delta_i(t) from the scenario: a `RegionalDisaster` of loss L from day d gives
   L ("none"), L max(0, 1 - (t - d) / r) ("linear") or L exp(-(t - d) / r) ("exponential",
   r = recovery_days); a `FirmExit` and an `Embargo` (every firm of the country) give 1.
   Several shocks on a firm multiply what it keeps: 1 - delta = prod (1 - delta_k);
8. substitution (`substitution=True`, before step 2): a customer whose worst-served link got
   less than half its order (u = 1 - O*/O >= 0.5) moves that link, with its inventory, to the
   firm with the most spare capacity (P_max - D) among the baseline suppliers of the same
   class that it does not use already, if that spare capacity exceeds the order. A moved link
   goes back to its baseline supplier as soon as that one has spare capacity for its
   baseline flow A_l again:
   the substitute has spare capacity only while its own customers are hurt, and if it kept
   the link it would be short itself once they recover, its suppliers having no capacity
   beyond their baseline. (Inoue and Todo move for good, with probability u^2; a threshold
   and the return keep runs deterministic and the baseline reachable.)

A firm without baseline output (it neither sells nor serves final demand) uses its inputs at
min(cap, x_max, 1) of baseline. With no shock the baseline is a fixed point.

Outputs (`Propagation`): daily output in total, per program (the firms of its supply chain,
`kiban.network.program_supply_chain`) and optionally per firm; output and value-added losses
(value added = output - inputs at baseline shares, as Inoue and Todo); days to recover to
99% of the baseline; the firms hit hardest; and the split of the output loss into direct
(capacity the shocked firms lost, sum P_i max(0, 1 - cap_i)) and indirect (the rest).

The model is not monotone in the size of a shock in general: over a finite horizon a larger
recovering shock can empty the customers' inventories sooner and bring the rebound forward,
and even a lasting loss under proportional rationing can lose slightly less when it is larger
(a 31.25% loss of one region of a generated 49-firm network loses 0.015% less over 60 days
than a 25% loss; the plain-Python reference model agrees, so it is the model's dynamics of
orders and inventories, not the kernels). A larger set of exits has lost more in every case
tried.

Cost: O(links + firms) per day in two numba passes (`kiban.simulate.kernel`), parallel over
firms on large networks; each link's order and delivery are kept in supplier buckets that fit
in cache (`kiban.simulate.layout`), so neither pass misses the cache once per link. On a
generated national network of 1M firms and 4.75M links, in single precision on 2 cores, a
day takes about 34 ms (`benchmarks/bench_propagation.py`). "lower_priority" adds, for each
supplier that falls short, a water level found by Newton's method from the day before's
(one pass over its orders on a day like the one before). On one thread
(`kiban.simulate.kernel_active`) only the firms whose inputs changed the day before are
visited (every firm, without the bookkeeping, while more than half of them move). Days with
the same schedule run in one call, and once a day leaves the state exactly as it found it
the remaining days of that schedule are copied (`Propagation.steady_day`): the result is
the one computing them would give. Substitution adds a serial pass. Memory: three state
floats per link (float64, or float32 with `precision="single"` for national networks) plus
the baseline arrays and four int32 indices per link for the slots; days x firms when
`keep_firm_output`. `kiban.simulate.reference_model` is the same model in plain Python.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.errors import SimulateError
from kiban.network import NO_ITEM, SupplyNetwork, program_supply_chain
from kiban.simulate import kernel, kernel_active
from kiban.simulate.layout import SlotLayout, bucket_layout, single_bucket
from kiban.simulate.scenario import (
    DemandSurge,
    Embargo,
    FirmExit,
    ItemShortage,
    RegionalDisaster,
    Scenario,
    check_scenario,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.int32]

RATIONING_RULES = ("proportional", "final_demand_last", "lower_priority")
PRECISIONS: dict[str, type[np.floating[Any]]] = {"double": np.float64, "single": np.float32}
RECOVERED_SHARE = 0.99
"""Output is recovered once it is back to this share of the baseline for good."""
HARDEST_HIT = 20
"""Firms listed in `Propagation.hardest_hit`."""
MAX_THREADS: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
PARALLEL_LINKS = 1_000_000
"""Networks with fewer links run the kernels on one thread: below this, threads cost more
than they save, and ensembles run one scenario per core anyway."""
LOSS_RESOLUTION = 1e-12
"""Losses within this share of the baseline over the run are rounding, reported as 0."""
PROGRESS_DAYS = 8
"""With a progress callback, days run in stretches of at most this many between reports."""
SUBSTITUTION_THRESHOLD = 0.5
"""Unfilled share of an order from which a customer looks for another supplier."""


@dataclass(frozen=True, eq=False)
class Propagation:
    """What a scenario did over `days` days. Money in JPY; output per day.

    `baseline_output_jpy` is total daily output at baseline and `total_output_jpy[t]` the
    output on day t (`baseline_value_added_jpy`, `value_added_jpy` likewise);
    `firm_output_jpy[t, i]` (in the run's precision) is kept only on request;
    `program_output_jpy[t, p]` is the output of the firms of program `program_ids[p]`'s supply
    chain. Losses are summed over the days;
    `direct_loss_jpy + indirect_loss_jpy = output_loss_jpy`. `days_to_recover`: days from
    the first shock until output is back to 99% of baseline and stays there (0 if it never
    falls below, None if it is still below on the last day). `programs` has one row
    per program: program_id, baseline_output_jpy (per day), output_loss_jpy, loss_share (of
    baseline over the run), lowest_share (lowest daily output / baseline), days_to_recover.
    `hardest_hit`: firm_id, name, output_loss_jpy, loss_share, largest first.
    `steady_day`: from this day on every day repeated the day before exactly (the network
    had settled, at its baseline or at a new level); None if it was still moving at the end.
    """

    scenario: str
    days: int
    rationing: str
    substitution: bool
    baseline_output_jpy: float
    total_output_jpy: FloatArray
    baseline_value_added_jpy: float
    value_added_jpy: FloatArray
    firm_output_jpy: npt.NDArray[np.floating[Any]] | None
    program_ids: list[str]
    program_output_jpy: FloatArray
    programs: pl.DataFrame
    output_loss_jpy: float
    value_added_loss_jpy: float
    direct_loss_jpy: float
    indirect_loss_jpy: float
    days_to_recover: int | None
    hardest_hit: pl.DataFrame
    steady_day: int | None = None

    def summary(self) -> dict[str, Any]:
        """The headline numbers as plain Python values (JSON-ready)."""
        return {
            "scenario": self.scenario,
            "days": self.days,
            "rationing": self.rationing,
            "substitution": self.substitution,
            "baseline_output_jpy": self.baseline_output_jpy,
            "output_loss_jpy": self.output_loss_jpy,
            "loss_share": self.output_loss_jpy / (self.baseline_output_jpy * self.days)
            if self.baseline_output_jpy > 0
            else 0.0,
            "lowest_share": float(self.total_output_jpy.min() / self.baseline_output_jpy)
            if self.baseline_output_jpy > 0
            else 1.0,
            "value_added_loss_jpy": self.value_added_loss_jpy,
            "direct_loss_jpy": self.direct_loss_jpy,
            "indirect_loss_jpy": self.indirect_loss_jpy,
            "days_to_recover": self.days_to_recover,
        }


@dataclass(frozen=True, eq=False)
class Model:
    """A network's baseline compiled once for many runs (see the module for the model).

    Links are sorted by (customer, class): `grp_start` delimits the links of each
    (customer, class) group and `cus_grp` the groups of each customer; `sup_order` and
    `sup_start` list the links of each supplier, and `sup_customer` their customers in that
    order; `layout` the slots where the runs keep each link's order and delivery
    (`kiban.simulate.layout`). `candidate_start`/`candidate_firm`: the
    baseline suppliers of each class (for substitution). Program p's supply-chain firms are
    `program_firm[program_start[p]:program_start[p + 1]]`; a surge on it adds final demand
    at `program_prime[p]`, `program_value[p]` JPY per day at factor 2.
    """

    network: SupplyNetwork
    flow: FloatArray
    supplier: npt.NDArray[np.int32]
    customer: npt.NDArray[np.int32]
    link_class: npt.NDArray[np.int32]
    link_item: npt.NDArray[np.int32]
    grp_start: IndexArray
    cus_grp: IndexArray
    inv_group_flow: FloatArray
    sup_order: IndexArray
    sup_start: IndexArray
    sup_customer: IndexArray
    layout: SlotLayout
    candidate_start: IntArray
    candidate_firm: IntArray
    final_demand: FloatArray
    output: FloatArray
    value_added_share: FloatArray
    program_ids: list[str]
    program_firm: IntArray
    program_start: IntArray
    firm_program: IntArray
    firm_program_start: IntArray
    program_prime: IntArray
    program_value: FloatArray

    @classmethod
    def build(cls, network: SupplyNetwork) -> Model:
        """Compile `network`'s baseline. Cost: a sort of the supply rows, O(m log m)."""
        n = network.n_firms
        firms = network.dataset.firms
        supplies = network.dataset.supplies
        value = supplies.get_column("annual_value_jpy").fill_null(0.0).to_numpy() / 365.0
        sector = firms.get_column("sector").fill_null("").rank("dense").to_numpy()
        sector = sector.astype(np.int64) - 1
        item = network.item.astype(np.int64)
        n_items = network.n_items
        row_class = np.where(item != NO_ITEM, item, n_items + sector[network.supplier])
        keep = np.flatnonzero(value > 0)
        sup = network.supplier[keep].astype(np.int64)
        cus = network.customer[keep].astype(np.int64)
        cls_ = row_class[keep]
        # one link per (customer, class, supplier): rows that repeat a pair add up
        n_classes = n_items + int(sector.max(initial=-1)) + 1
        key = (cus * n_classes + cls_) * max(n, 1) + sup
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        flow = np.bincount(inverse, weights=value[keep], minlength=unique.size).astype(np.float64)
        sup, cus, cls_ = sup[first], cus[first], cls_[first]
        group_key = cus * n_classes + cls_
        grp_start = np.flatnonzero(np.r_[True, group_key[1:] != group_key[:-1]])
        grp_start = (
            np.r_[grp_start, flow.size].astype(np.int64) if flow.size else np.zeros(1, np.int64)
        )
        group_customer = cus[grp_start[:-1]]
        cus_grp = np.searchsorted(group_customer, np.arange(n + 1)).astype(np.int64)
        sup_order, sup_start = _by_supplier(sup, n)
        inv_group_flow = 1.0 / np.add.reduceat(flow, grp_start[:-1]) if flow.size else flow
        # substitutes: the distinct baseline suppliers of each class
        pairs = np.unique(cls_ * max(n, 1) + sup)
        candidate_firm = (pairs % max(n, 1)).astype(np.int64)
        candidate_start = np.searchsorted(pairs // max(n, 1), np.arange(n_classes + 1))

        final = firms.get_column("final_demand_jpy").fill_null(0.0).to_numpy() / 365.0
        output = final + np.bincount(sup, weights=flow, minlength=n)
        inputs = np.bincount(cus, weights=flow, minlength=n)
        share = np.divide(output - inputs, output, out=np.zeros(n), where=output > 0)
        (program_ids, program_firm, program_start, program_prime, program_value) = _programs(
            network
        )
        firm_program, firm_program_start = _by_supplier(program_firm, n)
        firm_program = np.searchsorted(program_start, firm_program, side="right") - 1
        return cls(
            network=network,
            flow=flow,
            supplier=sup.astype(np.int32),
            customer=cus.astype(np.int32),
            link_class=cls_.astype(np.int32),
            link_item=np.where(cls_ < n_items, cls_, NO_ITEM).astype(np.int32),
            grp_start=grp_start.astype(np.int32),
            cus_grp=cus_grp.astype(np.int32),
            inv_group_flow=inv_group_flow,
            sup_order=sup_order.astype(np.int32),
            sup_start=sup_start.astype(np.int32),
            sup_customer=cus[sup_order].astype(np.int32),
            layout=bucket_layout(sup, sup_order, sup_start),
            candidate_start=candidate_start.astype(np.int64),
            candidate_firm=candidate_firm,
            final_demand=final.astype(np.float64),
            output=output,
            value_added_share=share,
            program_ids=program_ids,
            program_firm=program_firm,
            program_start=program_start,
            firm_program=firm_program.astype(np.int64),
            firm_program_start=firm_program_start,
            program_prime=program_prime,
            program_value=program_value,
        )

    @property
    def n_firms(self) -> int:
        return int(self.output.size)

    @property
    def n_links(self) -> int:
        return int(self.flow.size)

    def run(
        self,
        scenario: Scenario,
        *,
        days: int | None = None,
        rationing: str = "proportional",
        inventory_days: float = 15.0,
        tau_days: float = 6.0,
        substitution: bool = False,
        keep_firm_output: bool = True,
        precision: str = "double",
        threads: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Propagation:
        """Run `scenario` for `days` days (default: the scenario's); see the module.

        `rationing`: one of RATIONING_RULES;
        `inventory_days` (n >= 1) and `tau_days` (> 0) as in Hallegatte (2008);
        `keep_firm_output=False` keeps no days x firms array; `precision` "single" keeps the
        link state in float32 (half the memory traffic, about 1e-6 relative error).
        `threads`: numba threads for the kernels (default: one below PARALLEL_LINKS links,
        else every core numba sees). `progress(day)` is called after each day. SimulateError
        for a bad option or an unknown name in the scenario, before anything runs."""
        days, schedule, threads = self._prepare(
            scenario, days, rationing, inventory_days, tau_days, precision, threads
        )
        before = numba.get_num_threads()
        numba.set_num_threads(min(threads, MAX_THREADS))
        try:
            return self._run(
                scenario, schedule, days, rationing, inventory_days, tau_days, substitution,
                keep_firm_output, PRECISIONS[precision], threads > 1, progress,
            )  # fmt: skip
        finally:
            numba.set_num_threads(before)

    def check(self, scenario: Scenario, **options: Any) -> None:
        """The checks `run(scenario, **options)` makes before it runs, without running it:
        SimulateError for a bad option or an unknown name in the scenario, TypeError for an
        option `run` does not take. Cost: building the scenario's schedule, O(firms) per
        shock; no kernel is loaded (a first run in a process loads them, about a second)."""
        bound = inspect.signature(Model.run).bind(self, scenario, **options)
        bound.apply_defaults()
        given = bound.arguments
        self._prepare(
            scenario, given["days"], given["rationing"], given["inventory_days"],
            given["tau_days"], given["precision"], given["threads"],
        )  # fmt: skip

    def _prepare(
        self,
        scenario: Scenario,
        days: int | None,
        rationing: str,
        inventory_days: float,
        tau_days: float,
        precision: str,
        threads: int | None,
    ) -> tuple[int, Schedule, int]:
        """The run's checks: its days, schedule and thread count, or SimulateError."""
        days = scenario.days if days is None else days
        _check_options(days, rationing, inventory_days, tau_days, precision)
        schedule = Schedule(self, scenario)
        if threads is None:
            threads = 1 if self.n_links < PARALLEL_LINKS else MAX_THREADS
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise SimulateError(f"threads must be a whole number >= 1, not {threads!r}")
        return days, schedule, threads

    def _run(
        self,
        scenario: Scenario,
        schedule: Schedule,
        days: int,
        rationing: str,
        inventory_days: float,
        tau_days: float,
        substitution: bool,
        keep_firm_output: bool,
        dtype: type[np.floating[Any]],
        parallel: bool,
        progress: Callable[[int], None] | None,
    ) -> Propagation:
        n = self.n_firms
        p_ini = self.output
        flow = self.flow.astype(dtype)
        stock = (inventory_days * self.flow).astype(dtype)
        if substitution:
            # links move between suppliers: one bucket, whose slots are the links themselves
            supplier = self.supplier.copy()
            layout = single_bucket(supplier, self.sup_order.copy(), n)
            sup_start = self.sup_start.copy()
        else:
            supplier, layout, sup_start = self.supplier, self.layout, self.sup_start
        # each link's order and delivery side by side in its slot: the supplier pass reads
        # one and writes the other in one cache line
        slot_flow = flow[layout.link]
        link_state = np.repeat(slot_flow[:, None], 2, axis=1)
        rule = RATIONING_RULES.index(rationing)
        scratch = self.n_links + n if rule == kernel.LOWER_PRIORITY else 0
        ratio, weight = np.empty(scratch), np.empty(scratch)
        share, level = np.ones(n), np.full(n, np.inf)
        used, inputs, wanted = np.ones(n), np.full(n, np.inf), p_ini.copy()
        output, firm_loss = p_ini.copy(), np.zeros(n)

        total = np.empty(days)
        value_added = np.empty(days)
        program_output = np.empty((days, len(self.program_ids)))
        firm_output = np.empty((days if keep_firm_output else 0, n), dtype=dtype)
        advance = kernel.advance_parallel if parallel else kernel.advance
        # one thread: visit only the firms that move (see kernel_active)
        active = not parallel and not substitution
        direct = 0.0
        capacity = np.ones(n)
        steady = -1
        limit = PROGRESS_DAYS if progress is not None else None
        for first, stop, (today, final, keep, has_keep), same in schedule.stretches(days, limit):
            previous_capacity, capacity = capacity, today
            if same and steady >= 0:
                # same schedule, and the state had stopped changing: the days repeat
                kernel.repeat(
                    first - 1, stop, p_ini, output, firm_loss, total, value_added,
                    program_output, firm_output,
                )  # fmt: skip
            elif active:
                steady = kernel_active.advance_active(
                    rule, first, stop, stock, layout.slot, link_state, flow, keep, has_keep,
                    self.grp_start, self.cus_grp, self.inv_group_flow, self.supplier,
                    self.sup_customer, slot_flow, layout.sup_slot, sup_start, ratio, weight,
                    level, final, capacity,
                    p_ini, self.value_added_share, used, inputs, output, wanted, firm_loss,
                    inventory_days, 1.0 / tau_days, total, value_added, self.firm_program,
                    self.firm_program_start, program_output, firm_output,
                    kernel_active.DENSE_SHARE,
                )  # fmt: skip
            else:
                steady = advance(
                    rule, first, stop, stock, layout.slot, link_state, flow, keep, has_keep,
                    self.grp_start, self.cus_grp, self.inv_group_flow, slot_flow,
                    layout.supplier, layout.sup_slot, sup_start, layout.bucket_firm,
                    layout.bucket_slot, share, level, ratio, weight, final, capacity,
                    previous_capacity, p_ini,
                    self.value_added_share, used, inputs, output, wanted, firm_loss,
                    inventory_days, 1.0 / tau_days, substitution, SUBSTITUTION_THRESHOLD,
                    supplier, self.supplier, self.link_class, self.candidate_start,
                    self.candidate_firm, total, value_added, self.program_firm,
                    self.program_start, program_output, firm_output,
                )  # fmt: skip
            direct += (stop - first) * float((p_ini * np.maximum(0.0, 1.0 - capacity)).sum())
            if progress is not None:
                for t in range(first, stop):
                    progress(t)
        return self._result(
            scenario, days, rationing, substitution, schedule.first_day, total, value_added,
            firm_output if keep_firm_output else None, program_output, firm_loss, direct,
            None if steady < 0 else steady,
        )  # fmt: skip

    def _result(
        self,
        scenario: Scenario,
        days: int,
        rationing: str,
        substitution: bool,
        first_day: int,
        total: FloatArray,
        value_added: FloatArray,
        firm_output: npt.NDArray[np.floating[Any]] | None,
        program_output: FloatArray,
        firm_loss: FloatArray,
        direct: float,
        steady_day: int | None,
    ) -> Propagation:
        p_ini = self.output
        baseline_total = float(p_ini.sum())
        baseline_va = float(np.dot(self.value_added_share, p_ini))
        output_loss = float(_resolved(baseline_total * days - total.sum(), baseline_total * days))
        program_base = _segment_sums(p_ini[self.program_firm], self.program_start)
        program_loss = _resolved(
            program_base * days - program_output.sum(axis=0), program_base * days
        )
        safe = np.where(program_base > 0, program_base, 1.0)
        programs = pl.DataFrame(
            {
                "program_id": self.program_ids,
                "baseline_output_jpy": program_base,
                "output_loss_jpy": program_loss,
                "loss_share": program_loss / (safe * days),
                "lowest_share": program_output.min(axis=0, initial=np.inf) / safe,
                "days_to_recover": [
                    days_to_recover(program_output[:, p], float(program_base[p]), first_day)
                    for p in range(len(self.program_ids))
                ],
            },
            schema={
                "program_id": pl.String,
                "baseline_output_jpy": pl.Float64,
                "output_loss_jpy": pl.Float64,
                "loss_share": pl.Float64,
                "lowest_share": pl.Float64,
                "days_to_recover": pl.Int64,
            },
        )
        return Propagation(
            scenario=scenario.name,
            days=days,
            rationing=rationing,
            substitution=substitution,
            baseline_output_jpy=baseline_total,
            total_output_jpy=total,
            baseline_value_added_jpy=baseline_va,
            value_added_jpy=value_added,
            firm_output_jpy=firm_output,
            program_ids=list(self.program_ids),
            program_output_jpy=program_output,
            programs=programs,
            output_loss_jpy=output_loss,
            value_added_loss_jpy=float(
                _resolved(baseline_va * days - value_added.sum(), baseline_va * days)
            ),
            direct_loss_jpy=direct,
            indirect_loss_jpy=output_loss - direct,
            days_to_recover=days_to_recover(total, baseline_total, first_day),
            hardest_hit=self._hardest_hit(firm_loss, p_ini * days),
            steady_day=steady_day,
        )

    def _hardest_hit(self, loss: FloatArray, base: FloatArray) -> pl.DataFrame:
        top = np.argsort(-loss, kind="stable")[:HARDEST_HIT]
        top = top[loss[top] > 1e-9 * base[top]]  # rounding is no loss; a loss implies base > 0
        firms = self.network.dataset.firms
        return pl.DataFrame(
            {
                "firm_id": self.network.firm_ids.gather(top),
                "name": firms.get_column("name").gather(top),
                "output_loss_jpy": loss[top],
                "loss_share": loss[top] / base[top],
            },
            schema={
                "firm_id": pl.String,
                "name": pl.String,
                "output_loss_jpy": pl.Float64,
                "loss_share": pl.Float64,
            },
        )


def propagate(network: SupplyNetwork, scenario: Scenario, **options: Any) -> Propagation:
    """Run `scenario` on `network`: `Model.build(network).run(scenario, **options)`."""
    return Model.build(network).run(scenario, **options)


class Schedule:
    """The scenario as daily inputs of the model: capacity, final demand, link losses.

    Checks the scenario against the network first (SimulateError before anything runs)."""

    def __init__(self, model: Model, scenario: Scenario) -> None:
        network = model.network
        check_scenario(scenario, network)
        firms = network.dataset.firms
        self._model = model
        self.stops: list[tuple[IntArray, int, RegionalDisaster | None]] = []
        self.surges: list[tuple[DemandSurge, FloatArray]] = []
        self.shortages: list[tuple[IntArray, int, float]] = []
        for shock in scenario.shocks:
            if isinstance(shock, FirmExit):
                hit = network.firm_index(list(shock.firm_ids)).astype(np.int64)
                self.stops.append((hit, shock.day, None))
            elif isinstance(shock, Embargo):
                hit = np.flatnonzero((firms.get_column("country") == shock.country).to_numpy())
                self.stops.append((hit, shock.day, None))
            elif isinstance(shock, RegionalDisaster):
                in_region = firms.get_column("region").is_in(list(shock.regions)).fill_null(False)
                self.stops.append((np.flatnonzero(in_region.to_numpy()), shock.day, shock))
            elif isinstance(shock, ItemShortage):
                item = int(network.item_index([shock.item_id])[0])
                self.shortages.append(
                    (np.flatnonzero(model.link_item == item), shock.day, shock.loss)
                )
            elif isinstance(shock, DemandSurge):
                spare = np.full(model.n_firms, scenario.spare_capacity)
                if shock.spare_capacity is not None:
                    spare[:] = shock.spare_capacity
                if shock.spare_capacity_by_firm:
                    named = list(shock.spare_capacity_by_firm)
                    spare[network.firm_index(named)] = list(shock.spare_capacity_by_firm.values())
                self.surges.append((shock, spare))
        days = [s.day for s in scenario.shocks]
        self.first_day = min(days, default=0)
        self._keep: tuple[int, FloatArray] | None = None
        # The days whose inputs may differ from the day before's: a shock's first day, the
        # day after a shortage starts (deliveries of its first day are cut), each day of a
        # linear recovery and every day of an exponential one. `stretches` builds and
        # compares only these days' inputs: building a day costs O(firms), and most days of
        # a year-long exit repeat the day before.
        self._steps = set(days) | {start + 1 for _, start, _ in self.shortages}
        self._moving_from: int | None = None
        for _, start, disaster in self.stops:
            if disaster is None or disaster.recovery == "none":
                continue
            if disaster.recovery == "linear":
                assert disaster.recovery_days is not None
                self._steps.update(range(start + 1, start + math.ceil(disaster.recovery_days) + 2))
            elif self._moving_from is None or start < self._moving_from:
                self._moving_from = start

    def may_change(self, t: int) -> bool:
        """Whether day t's inputs may differ from day t - 1's (if not, they are equal)."""
        return t in self._steps or (self._moving_from is not None and t > self._moving_from)

    def capacity(self, t: int) -> FloatArray:
        """cap_i(t) = prod_k (1 - delta_k(t)) x (1 + spare_i), spare once a surge has begun."""
        capacity = np.ones(self._model.n_firms)
        for hit, start, disaster in self.stops:
            if t >= start:
                capacity[hit] *= 1.0 - damage(disaster, t, start)
        spare = [s for shock, s in self.surges if t >= shock.day]
        if spare:
            capacity *= 1.0 + np.maximum.reduce(spare)
        return capacity

    def final_demand(self, t: int) -> FloatArray:
        """C_i(t): the baseline plus (factor - 1) x program value at the primes of surges."""
        final = self._model.final_demand
        if not any(t >= shock.day for shock, _ in self.surges):
            return final
        final = final.copy()
        model = self._model
        for shock, _ in self.surges:
            if t >= shock.day:
                p = model.program_ids.index(shock.program_id)
                prime = model.program_prime[p]
                final[prime] = max(
                    0.0, final[prime] + (shock.factor - 1.0) * model.program_value[p]
                )
        return final

    def stretches(
        self, days: int, limit: int | None = None
    ) -> Iterator[tuple[int, int, DayInputs, bool]]:
        """Runs of days with the same inputs: (first, stop, inputs, same as the run before).

        Days first to stop - 1 share `inputs` = (capacity, final demand, keep, any loss),
        keep being what survives of the deliveries made the day before. A run is at most
        `limit` days long when given (the caller reports progress between runs)."""
        current = self.day(0)
        first, same = 0, False
        while first < days:
            stop, following = first + 1, None
            while stop < days and (limit is None or stop - first < limit):
                if self.may_change(stop):
                    following = self.day(stop)
                    if not _same_inputs(following, current):
                        break
                stop, following = stop + 1, None
            yield first, stop, current, same
            if stop < days:
                if following is None and not self.may_change(stop):
                    following = current
                following = self.day(stop) if following is None else following
                same = _same_inputs(following, current)
                current = following
            first = stop

    def day(self, t: int) -> DayInputs:
        """The inputs of day t: capacity, final demand, and the keep of day t - 1's deliveries."""
        return (self.capacity(t), self.final_demand(t), *self.keep(t - 1))

    def keep(self, t: int) -> tuple[FloatArray, bool]:
        """k_l(t) per link: what survives of a delivery made on day t; (k, any loss)."""
        active = [(links, loss) for links, start, loss in self.shortages if 0 <= start <= t]
        if not active:
            return _NO_LOSS, False
        if self._keep is None or self._keep[0] != len(active):
            keep = np.ones(self._model.n_links)
            for links, loss in active:
                keep[links] *= 1.0 - loss
            self._keep = (len(active), keep)
        return self._keep[1], True


_NO_LOSS = np.ones(0)
DayInputs = tuple[FloatArray, FloatArray, FloatArray, bool]


def _same_inputs(a: DayInputs, b: DayInputs) -> bool:
    return a[3] == b[3] and all(
        x is y or np.array_equal(x, y) for x, y in zip(a[:3], b[:3], strict=True)
    )


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


def days_to_recover(output: FloatArray, baseline: float, first_day: int) -> int | None:
    """Days from `first_day` until `output` is >= 99% of `baseline` for good (see Propagation)."""
    below = np.flatnonzero(output < RECOVERED_SHARE * baseline)
    if not below.size:
        return 0
    last = int(below[-1])
    if last == output.size - 1:
        return None
    return max(0, last + 1 - first_day)


def _check_options(
    days: object,
    rationing: str,
    inventory_days: float,
    tau_days: float,
    precision: str,
) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise SimulateError(f"days must be a whole number > 0, not {days!r}")
    for name, value, allowed in (
        ("rationing", rationing, RATIONING_RULES),
        ("precision", precision, tuple(PRECISIONS)),
    ):
        if value not in allowed:
            raise SimulateError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    if not inventory_days >= 1.0:
        raise SimulateError(f"inventory_days must be at least 1, not {inventory_days!r}")
    if not tau_days > 0.0:
        raise SimulateError(f"tau_days must be > 0, not {tau_days!r}")


def _by_supplier(supplier: npt.NDArray[np.integer[Any]], n: int) -> tuple[IntArray, IntArray]:
    """The links in supplier order, and where each of the `n` firms' links start in it."""
    order = np.argsort(supplier, kind="stable").astype(np.int64)
    return order, np.searchsorted(supplier[order], np.arange(n + 1)).astype(np.int64)


def _resolved(loss: Any, baseline: Any) -> Any:
    """`loss`, with 0 where it is within rounding of the summed `baseline` (1e-12 of it).

    A loss is a difference of two sums of about days x firms terms; a no-impact run leaves a
    remainder of that order (say -0.0006 JPY of 10 trillion), which is noise, not a gain."""
    return np.where(np.abs(loss) <= LOSS_RESOLUTION * np.abs(baseline), 0.0, loss)


def _segment_sums(values: FloatArray, start: IntArray) -> FloatArray:
    """Sums of values[start[p]:start[p + 1]] (0 for an empty segment)."""
    sums = np.zeros(start.size - 1)
    if values.size:
        nonempty = start[:-1] < start[1:]
        sums[nonempty] = np.add.reduceat(values, start[:-1][nonempty])
    return sums


def _programs(
    network: SupplyNetwork,
) -> tuple[list[str], IntArray, IntArray, IntArray, FloatArray]:
    """Per program: its supply chain's firms (CSR), its prime and its value per day (JPY)."""
    programs = network.dataset.programs
    ids = programs.get_column("program_id").to_list()
    if not ids:
        empty = np.zeros(0, np.int64)
        return [], empty, np.zeros(1, np.int64), empty, np.zeros(0)
    chain = (
        program_supply_chain(network.dataset)
        .select("program_id", "firm_id")
        .unique()
        .with_columns(
            p=pl.col("program_id").replace_strict(ids, list(range(len(ids))), return_dtype=pl.Int64)
        )
        .sort("p", "firm_id")
    )
    firm = network.firm_index(chain.get_column("firm_id")).astype(np.int64)
    p = chain.get_column("p").to_numpy()
    start = np.searchsorted(p, np.arange(len(ids) + 1)).astype(np.int64)
    prime = network.firm_index(programs.get_column("prime_id")).astype(np.int64)
    quantity = (
        programs.get_column("annual_quantity") if "annual_quantity" in programs.columns else None
    )
    price = programs.get_column("unit_price_jpy") if "unit_price_jpy" in programs.columns else None
    if quantity is not None and price is not None:
        value = (quantity * price).fill_null(0.0).to_numpy().astype(np.float64) / 365.0
    else:
        value = np.zeros(len(ids))
    return ids, firm, start, prime, value
