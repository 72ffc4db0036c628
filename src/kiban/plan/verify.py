"""Verification of a plan: apply its actions to a copy of the dataset and analyse it again.

The optimiser (`kiban.plan.optimize`) predicts the value at risk a plan leaves from its own
model: a second source removes a (program, firm) risk, the other actions cut its exit
probability by a stated fraction. `verify_plan` checks that prediction against the analyses
themselves: `apply_actions` writes each chosen action into a copy of the dataset (a new firm
and supply rows, a firm's margin, cyber level, successor or status), the copy is compiled
again, and `kiban.plan.actions.candidate_actions` finds the single points of failure and the
exit probabilities as the analysis now sees them. The two figures differ where the model and
the analysis disagree: a firm-level action cuts the exit probability only as far as the
firm's fragility score falls (`kiban.risk.fragility`), not by the fraction `ActionCosts`
assumes; a second source also gives the backed-up firm's suppliers a second customer (their
customer concentration falls); a stockpile changes nothing the dataset records, so its
predicted effect is kept and it is reported as not re-checked.

Calibration. Exit probabilities are p_i = min(1, c * per_level ** (fragility_i - 1)), with c
set so that they sum to the network's expected exits per year
(`kiban.simulate.sampling.exit_calibration`). Re-calibrating the changed network to the same
count would move probability from the firms the plan made sturdier to every other firm, so
a plan's benefit would be partly undone by the normalisation and firms it never touched
would look frailer. `verify_plan` therefore holds the hazard scale c of the original network
fixed by default (`calibration="hazard"`): the changed network's expected exits are
sum_i min(1, c w_i) over its candidates, lower when the plan lowers fragility and a little
higher for each new firm (one more firm that can leave). `calibration="count"` holds the
expected count fixed instead, re-normalising the relative odds, as the sampler would do on
its own. The ensemble uses the same expected exits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.network import SupplyNetwork
from kiban.plan.actions import ActionCosts, Candidates, candidate_actions
from kiban.plan.optimize import Action, Plan, PlanProblem, Risk, evaluate
from kiban.risk.spof import single_points_of_failure
from kiban.simulate.ensemble import run_ensemble
from kiban.simulate.sampling import PER_LEVEL, exit_probabilities, sample_exits

FloatArray = npt.NDArray[np.float64]

CALIBRATIONS = ("hazard", "count")
NEW_SOURCE = "kiban plan"
"""The `source` of the rows a second source adds."""


def apply_actions(
    dataset: Dataset,
    described: pl.DataFrame,
    chosen: Iterable[str],
    costs: ActionCosts | None = None,
) -> Dataset:
    """A copy of `dataset` with the effect of each action of `chosen` written into it.

    Inputs: `described`, the frame of `Candidates.described` (action_id, kind, firm_id,
    item_id, customer_id, country, ...); `chosen`, action ids among it; `costs`, the
    `ActionCosts` the actions came from (only `allied_country` is used, for an allied source
    whose row names no country). Output: a new `Dataset` in the schema's types, valid when
    `dataset` is; `dataset` itself is not modified. PlanError for an unknown action id.

    Effects, by kind (JPY amounts are annual):

    - second_source: a new firm "NEW-<n>" (the first n not taken), named "Second source of
      <item name> (domestic|allied)", in the action's country, with the backed-up firm's
      sector, status active, synthetic, source "kiban plan". It takes half of the backed-up
      firm's delivery of the item to the customer: that row's share and annual_value_jpy are
      halved and the new row gets the other half (null share stays null), so the shares of
      the (customer, item) keep their sum. To make the item it needs the item's `bom`
      children: it buys them from the backed-up firm's own suppliers, in the same shares, and
      the value of those inputs moves with the output (the backed-up firm's input rows lose
      the fraction of its deliveries of the item that moved; assumption: its inputs of
      those children go into that item). So the sub-tier single points of failure below it
      remain, as the optimiser assumes (a second source removes one firm's risk).
    - efficiency: the firm's operating_margin + 0.02, at most 1 (a null margin stays null:
      the action is only offered where the margin is known).
    - cyber: cyber_level 3.
    - successor: has_successor true; status "withdrawing" becomes "active".
    - facility: status "active" and has_successor true: the state owns the line and
      contracts its operation out, so it no longer depends on the owner staying.
    - stockpile: nothing. The dataset has no inventory column; `verify_plan` keeps its
      predicted effect and reports it as not re-checked.

    Cost: O(rows) per action, applied in the order of `chosen`.

    >>> from kiban.plan.actions import candidate_actions
    >>> from kiban.reference.programs import generate_programs
    >>> ds = generate_programs(1, scale=0.05)
    >>> found = candidate_actions(SupplyNetwork.build(ds))
    >>> action = found.described.filter(pl.col("kind") == "second_source").row(0, named=True)
    >>> changed = apply_actions(ds, found.described, [action["action_id"]])
    >>> changed.firms.height - ds.firms.height
    1
    >>> changed.firms.row(-1, named=True)["firm_id"]
    'NEW-1'
    """
    rows = _action_rows(described, chosen)
    tables = dict(dataset.tables)
    costs = costs or ActionCosts()
    allied = costs.allied_country
    for row in rows:
        kind = row["kind"]
        if kind == "second_source":
            origin = str(row["action_id"]).split(":")[1]
            country = row["country"] or ("JP" if origin == "domestic" else allied)
            tables = _add_second_source(tables, row, origin, country)
        elif kind != "stockpile":
            tables["firms"] = _change_firm(
                tables["firms"], str(kind), row["firm_id"], costs.efficiency_margin_gain_frac
            )
    return replace(dataset, tables=tables)


def _action_rows(described: pl.DataFrame, chosen: Iterable[str]) -> list[dict[str, object]]:
    """The rows of `described` for `chosen`, in that order; PlanError naming unknown ids."""
    by_id = {row["action_id"]: row for row in described.iter_rows(named=True)}
    chosen = list(chosen)
    unknown = [a for a in chosen if a not in by_id]
    if unknown:
        raise PlanError(
            f"unknown action {', '.join(repr(a) for a in unknown)}: not among the candidate actions"
        )
    return [by_id[a] for a in chosen]


def _change_firm(
    firms: pl.DataFrame, kind: str, firm_id: object, margin_gain: float
) -> pl.DataFrame:
    """The firm-level effect of an efficiency (margin + `margin_gain`), cyber, successor or
    facility action."""
    here = pl.col("firm_id") == firm_id
    if kind == "efficiency":
        margin = pl.min_horizontal(pl.col("operating_margin") + margin_gain, pl.lit(1.0))
        change = {"operating_margin": margin}
    elif kind == "cyber":
        change = {"cyber_level": pl.lit(3)}
    elif kind == "successor":
        status = pl.col("status").replace("withdrawing", "active")
        change = {"has_successor": pl.lit(True), "status": status}
    elif kind == "facility":
        change = {"has_successor": pl.lit(True), "status": pl.lit("active")}
    else:
        raise PlanError(f"action kind {kind!r} is unknown")
    schema = firms.schema
    return firms.with_columns(
        pl.when(here).then(value).otherwise(pl.col(name)).cast(schema[name]).alias(name)
        for name, value in change.items()
    )


def _add_second_source(
    tables: dict[str, pl.DataFrame], row: dict[str, object], origin: str, country: object
) -> dict[str, pl.DataFrame]:
    """The tables with a new firm taking half of `row`'s firm's delivery (see apply_actions)."""
    firm, item, customer = row["firm_id"], row["item_id"], row["customer_id"]
    firms, supplies = tables["firms"], tables["supplies"]
    items = tables.get("items")
    bom = tables.get("bom")
    new_id = _new_firm_id(firms.get_column("firm_id"))
    name = item
    if items is not None:
        named = items.filter(pl.col("item_id") == item).get_column("name")
        name = named.item() if named.len() else item
    backed = firms.filter(pl.col("firm_id") == firm)
    sector = backed.get_column("sector").item() if "sector" in firms.columns else None
    new_firm = pl.DataFrame(
        {
            "firm_id": [new_id],
            "name": [f"Second source of {name} ({origin})"],
            "country": [country],
            "sector": [sector],
            "status": ["active"],
            "synthetic": [True],
            "source": [NEW_SOURCE],
        }
    )
    moved = (
        (pl.col("supplier_id") == firm)
        & (pl.col("customer_id") == customer)
        & (pl.col("item_id") == item)
    )
    delivery = supplies.filter(moved)
    if delivery.height == 0:
        raise PlanError(f"{firm} supplies no {item} to {customer}: nothing to second-source")
    value = pl.col("annual_value_jpy")
    made = supplies.filter((pl.col("supplier_id") == firm) & (pl.col("item_id") == item))
    total = float(made.get_column("annual_value_jpy").fill_null(0.0).sum())
    half = float(delivery.get_column("annual_value_jpy").fill_null(0.0).sum()) / 2
    fraction = half / total if total > 0 else None
    new_rows = [_from_new(delivery, new_id, "supplier_id", 0.5, halve_share=True)]
    supplies = supplies.with_columns(
        pl.when(moved).then(pl.col("share") / 2).otherwise(pl.col("share")).alias("share"),
        pl.when(moved).then(value / 2).otherwise(value).alias("annual_value_jpy"),
    )
    children = bom.filter(pl.col("parent_item_id") == item) if bom is not None else None
    if children is not None and children.height:
        inputs = (pl.col("customer_id") == firm) & pl.col("item_id").is_in(
            children.get_column("child_item_id").implode()
        )
        new_rows.append(_from_new(supplies.filter(inputs), new_id, "customer_id", fraction))
        if fraction is not None:
            supplies = supplies.with_columns(
                pl.when(inputs)
                .then(value * (1 - fraction))
                .otherwise(value)
                .alias("annual_value_jpy")
            )
    tables = dict(tables)
    tables["firms"] = _append(firms, new_firm)
    tables["supplies"] = _append(supplies, *new_rows)
    return tables


def _from_new(
    rows: pl.DataFrame, new_id: str, side: str, fraction: float | None, *, halve_share: bool = False
) -> pl.DataFrame:
    """Copies of supply `rows` with the new firm on `side`, values times `fraction` (null
    when unknown), not observed, from "kiban plan"."""
    share = pl.col("share") / 2 if halve_share else pl.col("share")
    value = pl.col("annual_value_jpy") * fraction if fraction is not None else pl.lit(None)
    return rows.with_columns(
        pl.lit(new_id).alias(side),
        share.alias("share"),
        value.cast(pl.Float64).alias("annual_value_jpy"),
        pl.lit(None).cast(rows.schema["observed_at"]).alias("observed_at"),
        pl.lit(NEW_SOURCE).alias("source"),
    )


def _append(frame: pl.DataFrame, *rows: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `rows` below, in `frame`'s columns and types (missing columns null)."""
    return (
        pl.concat([frame, *rows], how="diagonal_relaxed").select(frame.columns).cast(frame.schema)
    )


def _new_firm_id(taken: pl.Series) -> str:
    """The first "NEW-<n>", n = 1, 2, ..., that no firm has."""
    used = set(taken.to_list())
    n = 1
    while f"NEW-{n}" in used:
        n += 1
    return f"NEW-{n}"


@dataclass(frozen=True)
class Verification:
    """A plan's predicted and verified value at risk, side by side (JPY a year).

    `risk_before_jpy`: the value at risk before the plan; `predicted_risk_jpy`: after it, by
    the optimiser's model (`Plan.risk_after_jpy`); `verified_risk_jpy`: after it, by the
    analysis of the changed dataset (see the module). `spof_before`, `spof_after`: single
    points of failure below the primes (the risks); `programs_without_spof_before/_after`:
    producible programs with none. `by_program`: program_id, risk_before_jpy,
    predicted_risk_jpy, verified_risk_jpy, spof_before, spof_after. `not_rechecked`: the
    chosen stockpiles, whose predicted effect is kept. `exits_per_year_before/_after`: the
    expected exits of each network under `calibration`. `dataset`: the changed dataset.
    `still_spof`: risks the plan was predicted to remove whose firm the changed network still
    has as a single point of failure of the program (the optimiser's requirements missed a
    need the firm alone supplies). `ensemble`: with ensemble runs, per program (and the
    network, null program_id) and `case` ("before", "after"), the runs, mean and
    P50/P90/P99 of the output loss (JPY over the runs' days), as
    `kiban.simulate.ensemble.Ensemble.quantiles`.
    """

    risk_before_jpy: float
    predicted_risk_jpy: float
    verified_risk_jpy: float
    spof_before: int
    spof_after: int
    programs_without_spof_before: int
    programs_without_spof_after: int
    by_program: pl.DataFrame
    not_rechecked: tuple[str, ...]
    calibration: str
    exits_per_year_before: float
    exits_per_year_after: float
    dataset: Dataset
    still_spof: tuple[str, ...] = ()
    ensemble: pl.DataFrame | None = None


def verify_plan(
    network: SupplyNetwork,
    candidates: Candidates,
    plan: Plan,
    *,
    costs: ActionCosts | None = None,
    program_id: str | None = None,
    calibration: str = "hazard",
    ensemble_runs: int = 0,
    seed: int = 1,
    days: int = 365,
    workers: int | None = 1,
) -> Verification:
    """Apply `plan`'s actions to a copy of `network`'s dataset, analyse it again, and report
    the predicted and the verified value at risk (see the module).

    Inputs: `candidates` from `candidate_actions(network, costs, program_id=program_id)`
    (pass the same `costs` and `program_id`) and a `plan` solved over them; `calibration`
    "hazard" (default: the original network's hazard scale) or "count" (its expected exits
    per year); with `ensemble_runs` > 0, that many runs of random exits
    (`kiban.simulate.sampling.sample_exits`, `seed`, `days`) on both networks, through
    `kiban.simulate.ensemble.run_ensemble` on `workers` processes: the exits are drawn on
    the original network and the same scenarios run on both (a paired comparison).

    Method: verified = `evaluate` of the changed network's risks (its single points of
    failure below the primes, exit probabilities re-scored and calibrated as chosen,
    consequences as in `candidate_actions`) with the chosen stockpiles whose requirement
    still exists there. Removed risks are gone only if the analysis finds their firm is no
    longer a single point of failure.

    Output: a `Verification`. PlanError for an action of the plan that the candidates lack
    or an unknown calibration. Cost: one dataset copy per action, two analyses of the
    network, and the ensemble's runs.
    """
    if calibration not in CALIBRATIONS:
        raise PlanError(f"calibration must be one of {', '.join(CALIBRATIONS)}: {calibration!r}")
    changed_dataset = apply_actions(network.dataset, candidates.described, plan.chosen, costs)
    changed = SupplyNetwork.build(changed_dataset)
    exits_before = float(exit_probabilities(network).get_column("exit_probability").sum())
    exits_after = _expected_exits(network, changed, exits_before, calibration)
    after = candidate_actions(changed, costs, program_id=program_id)
    spof_before = _spof(network, program_id)
    spof_after = _spof(changed, program_id)
    risks_after = _reprice(after.risks, changed, spof_after, exits_after)
    kinds = dict(candidates.described.select("action_id", "kind").iter_rows())
    stockpiles = tuple(a for a in plan.chosen if kinds[a] == "stockpile")
    known = {a.action_id for a in after.actions}
    kept = [a for a in stockpiles if a in known]
    verified = evaluate(PlanProblem(risks_after, after.actions, 1.0), kept)
    verified_ids = {r.risk_id for r in risks_after}
    by_program = _by_program(
        network,
        program_id,
        (spof_before, spof_after),
        _residual(candidates.risks, candidates.actions, ()),
        _residual(candidates.risks, candidates.actions, plan.chosen),
        _residual(risks_after, after.actions, kept),
    )
    ensemble = None
    if ensemble_runs > 0:
        ensemble = _ensembles(
            (network, changed), (exits_before, exits_after), ensemble_runs, seed, days, workers
        )
    return Verification(
        risk_before_jpy=plan.risk_before_jpy,
        predicted_risk_jpy=plan.risk_after_jpy,
        verified_risk_jpy=verified,
        spof_before=int(spof_before.filter(pl.col("tier") > 0).height),
        spof_after=int(spof_after.filter(pl.col("tier") > 0).height),
        programs_without_spof_before=_without_spof(spof_before),
        programs_without_spof_after=_without_spof(spof_after),
        by_program=by_program,
        not_rechecked=stockpiles,
        calibration=calibration,
        exits_per_year_before=exits_before,
        exits_per_year_after=exits_after,
        dataset=changed_dataset,
        still_spof=tuple(r for r in plan.removed if r in verified_ids),
        ensemble=ensemble,
    )


def _expected_exits(
    original: SupplyNetwork, changed: SupplyNetwork, exits: float, calibration: str
) -> float:
    """The changed network's expected exits per year: `exits` ("count"), or the sum of its
    candidates' probabilities at the original hazard scale c ("hazard", see the module)."""
    if calibration == "count":
        return exits
    table = exit_probabilities(original)
    p = table.get_column("exit_probability").to_numpy()
    w = _weights(table.get_column("fragility"))
    free = p < 1.0
    if not free.any() or exits == 0:
        return exits
    # c from any firm below the cap: the sampler refits c only over those (capped_shares).
    scale = float(p[free][0] / w[free][0])
    new_w = _weights(exit_probabilities(changed, exits_per_year=0.0).get_column("fragility"))
    return float(np.minimum(1.0, scale * new_w).sum())


def _weights(scores: pl.Series) -> FloatArray:
    """per_level ** (fragility - 1), unknown scores at the mean of the known, as the sampler
    (`kiban.simulate.sampling.exit_probabilities`) weighs its candidates."""
    known = scores.drop_nulls()
    typical = float(known.mean()) if known.len() else 1.0  # type: ignore[arg-type]
    filled = scores.fill_null(typical).to_numpy().astype(np.float64)
    return np.asarray(PER_LEVEL ** (filled - 1.0), dtype=np.float64)


def _spof(network: SupplyNetwork, program_id: str | None) -> pl.DataFrame:
    return single_points_of_failure(network, program_id)


def _reprice(
    risks: Sequence[Risk], network: SupplyNetwork, spof: pl.DataFrame, exits: float
) -> tuple[Risk, ...]:
    """`risks` with their firms' exit probabilities at `exits` expected exits a year."""
    table = exit_probabilities(network, exits_per_year=exits)
    probability = dict(table.select("firm_id", "exit_probability").iter_rows())
    firm_of = {f"{p}:{f}": f for p, f in spof.select("program_id", "firm_id").iter_rows()}
    return tuple(
        replace(r, exit_probability=float(probability.get(firm_of[r.risk_id], 0.0))) for r in risks
    )


def _residual(
    risks: Sequence[Risk], actions: Sequence[Action], chosen: Iterable[str]
) -> dict[str, float]:
    """Per risk, the value at risk left by `chosen`, by the rule of `kiban.plan.optimize`
    (removed when every requirement is met, else p C (1 - min(1, sum of cuts)))."""
    chosen = set(chosen)
    met: set[tuple[str, str]] = set()
    cut: dict[str, float] = {}
    for action in actions:
        if action.action_id in chosen:
            met.update(action.removes)
            for risk_id, fraction in action.reduces:
                cut[risk_id] = cut.get(risk_id, 0.0) + fraction
    left = {}
    for risk in risks:
        removed = bool(risk.requirements) and all(
            (risk.risk_id, q) in met for q in risk.requirements
        )
        value = risk.exit_probability * risk.consequence_jpy
        left[risk.risk_id] = 0.0 if removed else value * (1 - min(1.0, cut.get(risk.risk_id, 0)))
    return left


def _by_program(
    network: SupplyNetwork,
    program_id: str | None,
    spofs: tuple[pl.DataFrame, pl.DataFrame],
    before: dict[str, float],
    predicted: dict[str, float],
    verified: dict[str, float],
) -> pl.DataFrame:
    """One row per program: value at risk before, predicted and verified; SPOF counts."""
    programs = network.dataset.programs.get_column("program_id").to_list()
    if program_id is not None:
        programs = [program_id]
    rows = []
    for program in programs:
        # Risk ids are "<program>:<firm>"; the SPOF frames say which belong to the program.
        counts = [int(s.filter((pl.col("program_id") == program) & (pl.col("tier") > 0)).height)
                  for s in spofs]  # fmt: skip
        ids_before = _risk_ids(spofs[0], program)
        ids_after = _risk_ids(spofs[1], program)
        rows.append(
            (
                program,
                math.fsum(before.get(r, 0.0) for r in ids_before),
                math.fsum(predicted.get(r, 0.0) for r in ids_before),
                math.fsum(verified.get(r, 0.0) for r in ids_after),
                *counts,
            )
        )
    schema = {
        "program_id": pl.String, "risk_before_jpy": pl.Float64, "predicted_risk_jpy": pl.Float64,
        "verified_risk_jpy": pl.Float64, "spof_before": pl.Int64, "spof_after": pl.Int64,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _risk_ids(spof: pl.DataFrame, program: str) -> list[str]:
    firms = spof.filter((pl.col("program_id") == program) & (pl.col("tier") > 0))
    return [f"{program}:{f}" for f in firms.get_column("firm_id").to_list()]


def _without_spof(spof: pl.DataFrame) -> int:
    """Producible programs (those with a row, the prime's) with no SPOF below the prime."""
    has = spof.group_by("program_id").agg((pl.col("tier") > 0).any().alias("has"))
    return int(has.filter(~pl.col("has")).height)


def _ensembles(
    networks: tuple[SupplyNetwork, SupplyNetwork],
    exits: tuple[float, float],
    runs: int,
    seed: int,
    days: int,
    workers: int | None,
) -> pl.DataFrame:
    """Output-loss quantiles of the same random exits on the original and the changed network.

    The exits are drawn once, on the original network, and run on both: the comparison is
    paired, so it shows what the plan does to the consequences of the same disruptions (a
    second source keeps a customer supplied). Drawing each network's own exits would compare
    different disruptions: a few runs of a heavy-tailed loss then differ by far more than any
    plan changes. What the plan does to the chance of an exit is in the verified risk."""
    scenarios = sample_exits(networks[0], runs, seed=seed, days=days, exits_per_year=exits[0])
    frames = []
    for case, network in zip(("before", "after"), networks, strict=True):
        quantiles = run_ensemble(network, scenarios, workers=workers).quantiles()
        frames.append(
            quantiles.select("program_id", pl.lit(case).alias("case"), pl.exclude("program_id"))
        )
    return pl.concat(frames)
