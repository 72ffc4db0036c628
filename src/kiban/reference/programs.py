"""`generate_programs`: a synthetic dataset of Japanese defense programs, for demos and tests.

Six programs (fighter, tank, destroyer, submarine, missile, radar) are generated with their
end items, bills of materials six levels deep (subsystems, sub-assemblies, components, parts,
materials and services, raw materials), the real prime and tier-1 contractors, about 11,500
synthetic sub-tier firms and the item-level supplies between them. Calibration (details in
`kiban.reference.generate`):

- firms per program from `program_supplier_counts.csv`: fighter about 1,100, tank 1,300,
  destroyer 8,300, missile 1,200 (the Patriot figure); submarine 1,400 and radar 600 are
  assumptions. A program's firms are those of its supply chain: the prime and every firm
  reached upstream through `supplies` along the bill of materials;
- primes and tier-1 makers are real top contractors with their SIPRI revenue and defense
  share (`sipri_top100_japan.csv`) or MOD contract totals (`top_contractors.csv`);
- sub-tier firms are synthetic (`synthetic=true`), their attributes drawn to match published
  defense dependence, margins and exits (`defense_dependence.csv`, `profit_rates.csv`,
  `withdrawals.csv`); deeper tiers are more foreign;
- custom (defense-only) items have a single maker, commercial ones several; catalog
  commodities (fasteners, electronic components, materials, services) are shared by programs,
  and a tenth of each program's sub-tier firms also work for another program.

The result is valid by construction and deterministic: the same seed gives identical frames,
whatever the date, the hash seed or the machine.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from kiban.dataset import Dataset
from kiban.errors import GeneratorError
from kiban.reference.generate.firms import (
    RealFirm,
    draw_countries,
    draw_exited,
    draw_names,
    draw_withdrawing,
    real_firm,
    survey_dates,
    synthetic_attributes,
)
from kiban.reference.generate.items import (
    CATALOG_PROGRAM,
    ItemTable,
    ProgramItems,
    allocate_costs,
    build_catalog,
    build_program,
)
from kiban.reference.generate.makers import (
    FirmTable,
    Makers,
    assign_catalog_makers,
    assign_program_makers,
)
from kiban.reference.generate.specs import PROGRAM_SPECS, REFERENCE_DATE, firms_targets
from kiban.reference.generate.supplies import ItemFacts, draw_supplies, lead_times

MAX_SCALE = 10.0

__all__ = ["REFERENCE_DATE", "generate_programs"]


def generate_programs(seed: int, *, scale: float = 1.0) -> Dataset:
    """A synthetic, calibrated dataset of six Japanese defense programs.

    `seed` fixes every random draw (numpy `default_rng`); the same seed and scale give
    identical tables. `scale` shrinks every program in proportion (0.1 gives a tenth of the
    firms of each program; below about 0.1 the small programs keep a floor of 50-90 firms,
    one item per level under each subsystem) and keeps its structure: the same subsystems,
    six levels of bill of materials, shared catalog suppliers. At scale 1 the dataset has
    about 11,500 firms, 8,700 items, 20,000 bom rows and 54,000 supplies, built in about a
    second.

    Raises `GeneratorError` for a negative seed or a scale outside (0, 10].

    >>> ds = generate_programs(1, scale=0.02)
    >>> ds.programs["program_id"].to_list()
    ['fighter', 'tank', 'destroyer', 'submarine', 'missile', 'radar']
    >>> ds.firms.filter(firm_id=ds.programs["prime_id"][0])["name"].item()
    'Mitsubishi Heavy Industries'
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise GeneratorError(f"seed must be a whole number >= 0, not {seed!r}")
    if not (isinstance(scale, int | float) and math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise GeneratorError(f"scale must be a number in (0, {MAX_SCALE:g}], not {scale!r}")
    rng_items, rng_makers, rng_firms, rng_supplies, rng_attributes = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(5)
    )
    source = f"kiban generate programs --seed {seed}"
    targets = {name: n * scale for name, n in firms_targets().items()}

    # 1. items and bill of materials: the shared catalog, then each program
    items = ItemTable()
    catalog = build_catalog(rng_items, scale, items)
    programs = [
        build_program(rng_items, spec, bit, targets[spec.program_id], items, catalog)
        for bit, spec in enumerate(PROGRAM_SPECS)
    ]
    allocate_costs(rng_items, items, programs)
    mask = _program_masks(items)

    # 2. who makes what: primes, catalog makers, then each program's tier-1 and own firms
    firms = FirmTable()
    real = {name: real_firm(name) for name in _real_names()}
    index = {
        name: firms.add("real", f.sector, level=0, name=name, country="JP")
        for name, f in real.items()
    }
    makers = _assign_makers(rng_makers, items, programs, mask, firms, index, targets)
    draw_countries(rng_firms, firms)
    exited = np.zeros(len(firms), dtype=bool)
    exited[_exited(rng_firms, firms, makers, items)] = True

    # 3. who supplies whom, with shares, volumes and values
    facts = ItemFacts(
        level=np.array(items.level),
        kind=np.array(items.kind),
        custom=np.array(items.custom),
        unit_cost_jpy=np.array(items.unit_cost_jpy),
        mask=mask,
    )
    bom = pl.DataFrame(
        {"parent": items.parent, "child": items.child, "quantity": items.quantity},
        schema={"parent": pl.Int64, "child": pl.Int64, "quantity": pl.Float64},
    )
    primes = [index[p.spec.prime] for p in programs]
    seeds = pl.DataFrame(
        {
            "firm": primes,
            "item": [p.system for p in programs],
            "volume": [float(p.spec.annual_quantity) for p in programs],
        },
        schema={"firm": pl.Int64, "item": pl.Int64, "volume": pl.Float64},
    )
    maker_frame = pl.DataFrame(
        {"item": makers.item, "firm": makers.firm, "rank": makers.rank},
        schema={"item": pl.Int64, "firm": pl.Int64, "rank": pl.Int64},
    )
    supplies = draw_supplies(
        rng_supplies, maker_frame, bom, facts, exited=exited, seeds=seeds, n_programs=len(programs)
    )

    # 4. the tables, with readable ids
    survey = survey_dates(rng_firms, len(firms))
    firm_ids = _ids("F", 6, np.arange(len(firms)), len(firms))
    # Items programs use, end items first and then level by level (unused catalog items go).
    kept = np.flatnonzero(mask != 0)
    item_order = kept[np.lexsort((kept, facts.level[kept]))]
    item_ids = _ids("I", 5, item_order, len(items))
    tables = {
        "firms": _firm_frame(
            rng_attributes, firms, real, programs, supplies, exited, survey, firm_ids, source
        ),
        "items": _item_frame(rng_attributes, items, item_order, item_ids),
        "bom": _bom_frame(bom, item_ids),
        "supplies": _supply_frame(
            rng_attributes,
            supplies,
            facts,
            firm_ids,
            item_ids,
            np.array(firms.country),
            survey,
            source,
        ),
        "programs": _program_frame(programs, item_ids, firm_ids[primes].tolist()),
    }
    return Dataset.from_frames(tables, source=source)


def _assign_makers(
    rng: np.random.Generator,
    items: ItemTable,
    programs: list[ProgramItems],
    mask: np.ndarray,
    firms: FirmTable,
    real: dict[str, int],
    targets: dict[str, float],
) -> Makers:
    """Makers of every item programs use: each prime its end item, the catalog makers, then
    each program's tier-1 and own firms (sized so that its firms add up to its target)."""
    makers = Makers()
    for program in programs:
        makers.add(program.system, [real[program.spec.prime]])
    assign_catalog_makers(
        rng, items, firms, makers, total_firms=sum(targets.values()), used=mask != 0
    )
    pool: dict[str, list[int]] = {}
    is_catalog = np.array(items.program) == CATALOG_PROGRAM
    for program in programs:
        used = np.flatnonzero(is_catalog & ((mask >> program.bit) & 1).astype(bool))
        assign_program_makers(
            rng,
            program,
            items,
            firms,
            makers,
            real=real,
            prime=real[program.spec.prime],
            catalog_items=used.tolist(),
            target_firms=max(1, round(targets[program.spec.program_id])),
            pool=pool,
        )
    return makers


def _real_names() -> list[str]:
    """Real contractors of the specs, primes first, in order of appearance."""
    names = [spec.prime for spec in PROGRAM_SPECS]
    for spec in PROGRAM_SPECS:
        names.extend(
            sub.maker
            for sub in spec.subsystems
            if sub.maker is not None and not sub.maker.startswith("foreign:")
        )
    return list(dict.fromkeys(names))


def _program_masks(items: ItemTable) -> np.ndarray:
    """Bitmask of the programs whose bill of materials holds each item (bit = program's
    position); 0 for a catalog item no program uses."""
    mask = np.array([1 << p if p >= 0 else 0 for p in items.program], dtype=np.int64)
    parent, child = np.array(items.parent), np.array(items.child)
    child_level = np.array(items.level)[child]
    for level in range(1, child_level.max() + 1):
        at = child_level == level
        np.bitwise_or.at(mask, child[at], mask[parent[at]])
    return mask


def _exited(
    rng: np.random.Generator, firms: FirmTable, makers: Makers, items: ItemTable
) -> list[int]:
    """Exited synthetic firms. Every item an exited firm made keeps an active maker that makes
    none of the item's parents, so each customer of the item has a source other than itself."""
    makers_of: dict[int, list[int]] = {}
    items_of: dict[int, list[int]] = {}
    for item, firm in zip(makers.item, makers.firm, strict=True):
        makers_of.setdefault(item, []).append(firm)
        items_of.setdefault(firm, []).append(item)
    parents_of: dict[int, list[int]] = {}
    for parent, child in zip(items.parent, items.child, strict=True):
        parents_of.setdefault(child, []).append(parent)
    synthetic = [f for f in range(len(firms)) if firms.origin[f] != "real" and f in items_of]
    candidates = np.array(
        [f for f in synthetic if all(len(makers_of[i]) > 1 for i in items_of[f])], dtype=np.int64
    )
    gone: set[int] = set()

    def has_fallback(item: int, leaving: int) -> bool:
        upstream = {m for p in parents_of.get(item, []) for m in makers_of.get(p, [])}
        return any(m != leaving and m not in gone and m not in upstream for m in makers_of[item])

    for firm in draw_exited(rng, candidates, len(synthetic)).tolist():
        if all(has_fallback(item, firm) for item in items_of[firm]):
            gone.add(firm)
    return sorted(gone)


def _firm_frame(
    rng: np.random.Generator,
    firms: FirmTable,
    real: dict[str, RealFirm],
    programs: list[ProgramItems],
    supplies: pl.DataFrame,
    exited: np.ndarray,
    survey: np.ndarray,
    firm_ids: np.ndarray,
    source: str,
) -> pl.DataFrame:
    """The firms table: real contractors with public figures, synthetic firms drawn."""
    n = len(firms)
    sales = np.zeros(n)
    by_supplier = supplies.group_by("supplier").agg(pl.col("annual_value_jpy").sum())
    sales[by_supplier["supplier"].to_numpy()] = by_supplier["annual_value_jpy"].to_numpy()
    synthetic = np.array([i for i in range(n) if firms.origin[i] != "real"], dtype=np.int64)
    drawn = synthetic_attributes(rng, firms, synthetic, sales[synthetic])
    active = drawn.filter(~pl.Series(exited[synthetic]))
    withdrawing = draw_withdrawing(rng, active)
    status = np.full(n, "active", dtype=object)
    status[withdrawing] = "withdrawing"
    status[exited] = "exited"
    draw_names(rng, firms)
    prime_sales: dict[str, float] = {}
    for program in programs:
        spec = program.spec
        prime_sales[spec.prime] = prime_sales.get(spec.prime, 0.0) + (
            spec.annual_quantity * spec.unit_price_jpy
        )
    real_rows = pl.DataFrame(
        [
            {
                "index": i,
                "region": real[name].region,
                "revenue_jpy": real[name].revenue_jpy,
                "defense_revenue_jpy": real[name].defense_revenue_jpy,
                "cyber_level": 3,
                "final_demand_jpy": prime_sales.get(name),
                "observed_at": real[name].observed_at,
                "source": real[name].source,
            }
            for i, name in enumerate(firms.name)
            if firms.origin[i] == "real" and name is not None
        ],
        schema={
            "index": pl.Int64,
            "region": pl.String,
            "revenue_jpy": pl.Float64,
            "defense_revenue_jpy": pl.Float64,
            "cyber_level": pl.Int64,
            "final_demand_jpy": pl.Float64,
            "observed_at": pl.Date,
            "source": pl.String,
        },
    )
    synthetic_rows = drawn.with_columns(
        observed_at=pl.Series(survey[synthetic]), source=pl.lit(source)
    )
    base = pl.DataFrame(
        {
            "index": np.arange(n),
            "firm_id": firm_ids.tolist(),
            "name": firms.name,
            "country": firms.country,
            "sector": firms.sector,
            "status": status.tolist(),
            "synthetic": [o != "real" for o in firms.origin],
        }
    )
    attributes = pl.concat([real_rows, synthetic_rows], how="diagonal_relaxed")
    return base.join(attributes, on="index", how="left").sort("index").drop("index")


def _qualification_days(
    rng: np.random.Generator, kind: np.ndarray, custom: np.ndarray
) -> np.ndarray:
    """Days to qualify a new source: 180-1,000 for custom items, less for commercial ones
    (materials 90-365, services 30-120, other 30-180). Assumptions."""
    low = np.select([custom, kind == "material", kind == "service"], [180, 90, 30], 30)
    high = np.select([custom, kind == "material", kind == "service"], [1000, 365, 120], 180)
    return rng.integers(low, high + 1)


def _ids(prefix: str, width: int, order: np.ndarray, size: int) -> np.ndarray:
    """Readable ids (`F000123`) numbered in `order`, indexed by position."""
    ids = np.full(size, None, dtype=object)
    ids[order] = [f"{prefix}{n:0{width}d}" for n in range(1, len(order) + 1)]
    return ids


def _item_frame(
    rng: np.random.Generator, items: ItemTable, order: np.ndarray, item_ids: np.ndarray
) -> pl.DataFrame:
    """The items table, in id `order`."""
    kind = np.array(items.kind)[order]
    custom = np.array(items.custom)[order]
    return pl.DataFrame(
        {
            "item_id": item_ids[order].tolist(),
            "name": [items.name[i] for i in order],
            "kind": kind,
            "custom": custom,
            "qualification_days": _qualification_days(rng, kind, custom),
            "unit_cost_jpy": np.array(items.unit_cost_jpy)[order],
        }
    )


def _bom_frame(bom: pl.DataFrame, item_ids: np.ndarray) -> pl.DataFrame:
    """The bom of the items programs use (unused catalog items are left out)."""
    parent = bom["parent"].to_numpy()
    used = item_ids[parent] != None  # noqa: E711 (numpy elementwise)
    return pl.DataFrame(
        {
            "parent_item_id": item_ids[parent[used]].tolist(),
            "child_item_id": item_ids[bom["child"].to_numpy()[used]].tolist(),
            "quantity": bom["quantity"].to_numpy()[used],
        }
    ).sort("parent_item_id", "child_item_id")


def _supply_frame(
    rng: np.random.Generator,
    supplies: pl.DataFrame,
    facts: ItemFacts,
    firm_ids: np.ndarray,
    item_ids: np.ndarray,
    country: np.ndarray,
    survey: np.ndarray,
    source: str,
) -> pl.DataFrame:
    """The supplies table; a row is dated by the customer's last survey answer."""
    supplier = supplies["supplier"].to_numpy()
    customer = supplies["customer"].to_numpy()
    item = supplies["item"].to_numpy()
    return pl.DataFrame(
        {
            "supplier_id": firm_ids[supplier].tolist(),
            "customer_id": firm_ids[customer].tolist(),
            "item_id": item_ids[item].tolist(),
            "share": supplies["share"],
            "annual_value_jpy": supplies["annual_value_jpy"],
            "lead_time_days": lead_times(rng, facts, item, country[supplier] != "JP"),
            "observed_at": survey[customer],
            "source": source,
        }
    )


def _program_frame(
    programs: list[ProgramItems], item_ids: np.ndarray, prime_ids: list[str]
) -> pl.DataFrame:
    specs = [p.spec for p in programs]
    return pl.DataFrame(
        {
            "program_id": [s.program_id for s in specs],
            "name": [s.name for s in specs],
            "item_id": [item_ids[p.system] for p in programs],
            "prime_id": prime_ids,
            "category": [s.category for s in specs],
            "annual_quantity": [float(s.annual_quantity) for s in specs],
            "unit_price_jpy": [float(s.unit_price_jpy) for s in specs],
            "designated": [s.designated for s in specs],
        }
    )
