"""A user's own candidate actions, read from TOML and added to the generated ones.

    [[action]]
    id = "ms-second-source-seal"         # unique; becomes "own:<id>"
    kind = "second_source"               # or stockpile, efficiency, cyber, successor, facility
    firm_id = "F000003"                  # the single-point firm the action addresses
    item_id = "I00037"                   # second_source, stockpile: the item ...
    customer_id = "F000002"              # ... and the customer it is delivered to
    cost_jpy = 8.0e7
    lead_time_days = 270                 # optional
    country = "JP"                       # optional: where a second source is
    exit_cut_frac = 0.4                  # firm-level kinds: cut in the firm's exit probability
    group = "seal"                       # optional: actions of one group exclude each other

A second source meets the requirement "<item>@<customer>" of every risk that has it, as a
generated one does; a stockpile cuts the expected loss of those risks by `exit_cut_frac`; a
firm-level action cuts the exit probability of every risk of its firm. An action that names a
firm, item or customer the data does not hold, or that addresses no single point of failure,
is refused with the file, the entry and the key named, before anything is solved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from kiban.dataset import Dataset
from kiban.errors import PlanError
from kiban.plan.actions import KINDS, Candidates, risk_parts
from kiban.plan.optimize import Action
from kiban.tomlfile import check_keys, read_toml

_KEYS = ("id", "kind", "firm_id", "item_id", "customer_id", "cost_jpy", "lead_time_days",
         "country", "exit_cut_frac", "group")  # fmt: skip
_NEEDS_ITEM = ("second_source", "stockpile")


def load_own_actions(path: str | Path, candidates: Candidates, dataset: Dataset) -> Candidates:
    """`candidates` (drawn from `dataset`) with the actions of the TOML file at `path` added
    (module docstring)."""
    document = read_toml(path, "actions file", PlanError)
    check_keys(document, ("action",), f"{path}: top level", PlanError)
    entries = document.get("action", [])
    if not isinstance(entries, list) or not entries:
        raise PlanError(f"{path}: write each action as an [[action]] table; none found")
    return with_own_actions(candidates, dataset, entries, str(path))


def with_own_actions(
    candidates: Candidates,
    dataset: Dataset,
    entries: list[Mapping[str, Any]],
    source: str = "<actions>",
) -> Candidates:
    """`candidates` with the actions of `entries` (mappings of the module's keys) added."""
    firms = set(dataset.firms["firm_id"].to_list())
    items = set(dataset.items["item_id"].to_list())
    requirement_risks: dict[str, list[str]] = {}
    firm_risks: dict[str, list[str]] = {}
    for risk in candidates.risks:
        firm_risks.setdefault(risk_parts(risk.risk_id)[1], []).append(risk.risk_id)
        for requirement in risk.requirements:
            requirement_risks.setdefault(requirement, []).append(risk.risk_id)
    taken = set(candidates.described["action_id"].to_list())
    actions, rows = list(candidates.actions), []
    for number, entry in enumerate(entries, 1):
        where = f"{source}: [[action]] #{number}"
        if not isinstance(entry, Mapping):
            raise PlanError(f"{where}: an action is a table of keys")
        check_keys(entry, _KEYS, where, PlanError)
        for key in ("id", "kind", "firm_id", "cost_jpy"):
            if key not in entry:
                raise PlanError(f"{where}: missing key {key!r}")
        kind, firm = entry["kind"], entry["firm_id"]
        for key, known, what in (("firm_id", firms, "firm"), ("customer_id", firms, "firm"),
                                 ("item_id", items, "item")):  # fmt: skip
            if key in entry and entry[key] not in known:
                raise PlanError(f"{where}: {key}: no {what} {entry[key]!r} in the data")
        if kind not in KINDS:
            raise PlanError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        action_id = f"own:{entry['id']}"
        if action_id in taken:
            raise PlanError(f"{where}: id {entry['id']!r} is used twice")
        taken.add(action_id)
        cost = _amount(entry["cost_jpy"], f"{where}: cost_jpy")
        if cost <= 0:
            raise PlanError(f"{where}: cost_jpy must be above 0")
        cut = _amount(entry.get("exit_cut_frac", 0.0), f"{where}: exit_cut_frac")
        if cut > 1:
            raise PlanError(f"{where}: exit_cut_frac must be a fraction <= 1")
        group = entry.get("group")
        need = ""
        if kind in _NEEDS_ITEM:
            for key in ("item_id", "customer_id"):
                if key not in entry:
                    raise PlanError(f"{where}: an action of kind {kind} needs {key!r}")
            need = f"{entry['item_id']}@{entry['customer_id']}"
            risks = requirement_risks.get(need, [])
            what = f"item {entry['item_id']!r} delivered to {entry['customer_id']!r}"
        else:
            risks = firm_risks.get(firm, [])
            what = f"firm {firm!r}"
        if not risks:
            raise PlanError(
                f"{where}: {what} is no single point of failure of the programs planned for "
                "(kiban risk spof lists them); the action would change nothing"
            )
        if kind == "second_source":
            action = Action(action_id, cost, removes=tuple((r, need) for r in risks),
                            group=group or f"second_source:{need}")  # fmt: skip
        else:
            if cut <= 0:
                raise PlanError(f"{where}: an action of kind {kind} needs exit_cut_frac above 0")
            action = Action(action_id, cost, reduces=tuple((r, cut) for r in risks), group=group)
        actions.append(action)
        rows.append(
            {
                "action_id": action_id, "cost_jpy": cost, "kind": kind,
                "country": entry.get("country"),
                "lead_time_days": float(entry.get("lead_time_days", 0.0)),
                "effect": f"{kind} (the user's own action)", "firm_id": firm,
                "item_id": entry.get("item_id"), "customer_id": entry.get("customer_id"),
            }
        )  # fmt: skip
    described = pl.concat(
        [candidates.described, pl.DataFrame(rows, schema=candidates.described.schema)]
    )
    return Candidates(candidates.risks, tuple(actions), described)


def _amount(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanError(f"{where} must be a number, not {value!r}")
    if value < 0:
        raise PlanError(f"{where} must be >= 0, not {value}")
    return float(value)
