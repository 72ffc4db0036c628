"""Items and bill of materials of the generated programs and of the shared commodity catalog.

Every item has a *level*: 0 the program's end item (`system`), 1 its tier-1 subsystems, 2
sub-assemblies, 3 components, 4 parts (and catalog standard parts), 5 materials and services,
6 raw materials. A `bom` edge always goes from a lower level to a higher one, so the bill of
materials is acyclic by construction. Program items below tier 1 are the program's own; the
catalog items (fasteners, electronic components, materials, services, raw materials) are
shared by every program that uses them, which is what makes programs share suppliers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiban.reference.generate.specs import ProgramSpec, Subsystem
from kiban.reference.generate.vocabulary import (
    CATALOG,
    EMBEDDED_SOFTWARE,
    FIRMWARE,
    PARTS,
    RAW_INPUTS,
    TIER1_SECTOR,
)

CATALOG_PROGRAM = -1
"""`ItemTable.program` of a catalog item (shared by programs)."""

# Share of a program's own items (levels 2-5) at each level.
LEVEL_SHARE = {2: 0.12, 3: 0.28, 4: 0.42, 5: 0.18}
# Probability that an own item is custom (defense-only), by level; software is always custom.
CUSTOM_PROBABILITY = {2: 0.7, 3: 0.55, 4: 0.35, 5: 0.3}
# Value added at each level: the rest of an item's unit cost is passed to its own children.
VALUE_ADDED = {0: 0.25, 1: 0.35, 2: 0.4, 3: 0.45, 4: 0.6, 5: 0.5}
# The prime's price over its cost: the standard 8% margin of cost-plus contracts before the
# FY2023 reform (profit_rates.csv, pre_fy2023 standard_margin_average).
PRIME_MARGIN = 0.08
# Average makers per own item and items per own firm, used to size a program's items.
MAKERS_PER_ITEM = 1.9
ITEMS_PER_FIRM = 1.45
# Share of a program's firms expected outside its own pool (catalog makers, real firms).
OUTSIDE_SHARE = 0.2


@dataclass
class ItemTable:
    """Items and bom edges under construction; an item is its position in the lists."""

    name: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    custom: list[bool] = field(default_factory=list)
    sector: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    program: list[int] = field(default_factory=list)
    unit_cost_jpy: list[float] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    child: list[int] = field(default_factory=list)
    quantity: list[float] = field(default_factory=list)
    primary: list[bool] = field(default_factory=list)
    _edges: set[tuple[int, int]] = field(default_factory=set)

    def add(
        self,
        name: str,
        kind: str,
        level: int,
        *,
        custom: bool,
        sector: str,
        domain: str,
        program: int,
        unit_cost_jpy: float = float("nan"),
    ) -> int:
        self.name.append(name)
        self.kind.append(kind)
        self.level.append(level)
        self.custom.append(custom)
        self.sector.append(sector)
        self.domain.append(domain)
        self.program.append(program)
        self.unit_cost_jpy.append(unit_cost_jpy)
        return len(self.name) - 1

    def link(self, parent: int, child: int, quantity: float, *, primary: bool = False) -> None:
        """Add a bom edge once; a second link of the same pair is ignored."""
        if (parent, child) in self._edges:
            return
        self._edges.add((parent, child))
        self.parent.append(parent)
        self.child.append(child)
        self.quantity.append(quantity)
        self.primary.append(primary)

    def __len__(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class Catalog:
    """Catalog items by use: `choices[(use, domain)]` lists the items a subsystem of that
    domain can take for a use (`part`, `software`, `material`, `service`), with the logs of
    their popularity weights."""

    choices: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    raw: dict[str, int]

    def pick(self, rng: np.random.Generator, use: str, domain: str, n: int) -> list[int]:
        found = self.choices.get((use, domain))
        if found is None or n <= 0:
            return []
        candidates, log_weights = found
        # Weighted sampling without replacement (Gumbel top-k): cheaper than rng.choice.
        keys = log_weights + rng.gumbel(size=len(candidates))
        return [int(candidates[i]) for i in np.argsort(-keys, kind="stable")[:n]]


@dataclass(frozen=True)
class ProgramItems:
    """The items of one program: its end item, its tier-1 items (in the order of
    `spec.subsystems`) and its own items below tier 1."""

    spec: ProgramSpec
    bit: int
    system: int
    tier1: tuple[int, ...]
    own: tuple[int, ...]


def _use(kind: str, level: int) -> str:
    if level == 4:
        return "software" if kind == "software" else "part"
    return "service" if kind == "service" else "material"


def build_catalog(rng: np.random.Generator, scale: float, items: ItemTable) -> Catalog:
    """Add the commodity catalog to `items`: every variant at scale 1, fewer below.

    Raw materials come first so that materials can link to their inputs. Unit costs are the
    commodity's typical price with a little spread between variants.
    """
    raw: dict[str, int] = {}
    keep = min(1.0, max(scale, 0.0))
    members: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for commodity in sorted(CATALOG, key=lambda c: -c.level):
        n_variants = max(1, round(len(commodity.variants) * keep))
        for variant in commodity.variants[:n_variants]:
            name = f"{commodity.name} {variant}".strip() if variant else commodity.name
            if variant and commodity.name.endswith(")"):
                # keep the unit last: "Copper-clad laminate FR-4 (kg)"
                stem, unit = commodity.name.rsplit(" (", 1)
                name = f"{stem} {variant} ({unit}"
            cost = commodity.unit_cost_jpy * float(rng.lognormal(0.0, 0.2))
            index = items.add(
                name,
                commodity.kind,
                commodity.level,
                custom=commodity.custom,
                sector=commodity.sector,
                domain="catalog",
                program=CATALOG_PROGRAM,
                unit_cost_jpy=round(cost, 1),
            )
            if commodity.level == 6:
                raw[commodity.name] = index
            for input_name, kg in commodity.inputs:
                items.link(index, raw[input_name], kg)
            use = _use(commodity.kind, commodity.level)
            popularity = commodity.popularity * float(rng.lognormal(0.0, 0.5))
            for domain in commodity.domains:
                members.setdefault((use, domain), []).append((index, popularity))
    choices = {}
    for key, found in sorted(members.items()):
        indices = np.array([i for i, _ in found], dtype=np.int64)
        weights = np.array([w for _, w in found])
        choices[key] = (indices, np.log(weights))
    return Catalog(choices=choices, raw=raw)


def _split(total: int, weights: np.ndarray, floor: int) -> np.ndarray:
    """`total` split in proportion to `weights` (largest remainder), each at least `floor`."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = total - int(counts.sum())
    if remainder > 0:
        counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    floored: np.ndarray = np.maximum(counts, floor)
    return floored


def _attach(rng: np.random.Generator, parents: list[int], n: int) -> list[int]:
    """A parent for each of `n` children: every parent gets one child first (while there
    are children), the rest go to parents with heavy-tailed weights (some assemblies have
    many parts)."""
    order = [parents[i] for i in rng.permutation(len(parents))]
    first = order[:n]
    if n <= len(parents):
        return first
    weights = rng.lognormal(0.0, 0.8, size=len(parents))
    rest = rng.choice(len(parents), size=n - len(parents), p=weights / weights.sum())
    return first + [parents[i] for i in rest]


class _Namer:
    """Readable names for own items: "Machined bracket #3 (Main wing, fighter)"."""

    def __init__(self, short: str) -> None:
        self.short = short
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, noun: str, subsystem: str) -> str:
        key = (noun, subsystem)
        self.seen[key] = self.seen.get(key, 0) + 1
        return f"{noun} #{self.seen[key]} ({subsystem}, {self.short})"


def _quantity(rng: np.random.Generator, level: int) -> float:
    """Units of an own child per unit of its parent."""
    if level == 2:
        return float(rng.choice([1, 1, 1, 2, 2, 4]))
    if level == 3:
        return float(min(rng.geometric(0.45), 8))
    if level == 4:
        return float(min(rng.geometric(0.2), 40))
    return round(float(rng.lognormal(np.log(3.0), 0.9)), 1) or 0.1  # kg of material


def _catalog_quantity(rng: np.random.Generator, use: str) -> float:
    if use == "part":
        return float(max(1, round(rng.lognormal(np.log(12.0), 1.0))))
    if use == "material":
        return round(float(rng.lognormal(np.log(2.0), 1.0)), 1) or 0.1
    return 1.0  # a licence, a lot of a service


def own_item_count(target_firms: float) -> int:
    """Own items (levels 2-5) a program of `target_firms` needs: enough maker slots for its
    own firms at about 1.45 items per firm."""
    own_firms = target_firms * (1 - OUTSIDE_SHARE)
    return round(own_firms * ITEMS_PER_FIRM / MAKERS_PER_ITEM)


def build_program(
    rng: np.random.Generator,
    spec: ProgramSpec,
    bit: int,
    target_firms: float,
    items: ItemTable,
    catalog: Catalog,
) -> ProgramItems:
    """Add one program's items and bom to `items`, sized for `target_firms` firms."""
    system = items.add(
        spec.name,
        "system",
        0,
        custom=True,
        sector=spec.category,
        domain="system",
        program=bit,
    )
    tier1 = []
    for sub in spec.subsystems:
        index = items.add(
            f"{sub.name} ({spec.short})",
            sub.kind,
            1,
            custom=True,
            sector=TIER1_SECTOR["software" if sub.kind == "software" else sub.domain],
            domain=sub.domain,
            program=bit,
        )
        items.link(system, index, sub.quantity, primary=True)
        tier1.append(index)
    trees = [
        (sub, i) for sub, i in zip(spec.subsystems, tier1, strict=True) if sub.kind != "software"
    ]
    weights = np.array([sub.weight for sub, _ in trees])
    total = own_item_count(target_firms)
    per_level = {
        level: _split(round(total * share), weights, floor=0 if level == 5 else 1)
        for level, share in LEVEL_SHARE.items()
    }
    namer = _Namer(spec.short)
    own: list[int] = []
    for t, (sub, top) in enumerate(trees):
        counts = {level: int(n[t]) for level, n in per_level.items()}
        own.extend(_subtree(rng, sub, top, counts, bit, namer, items, catalog))
    return ProgramItems(spec=spec, bit=bit, system=system, tier1=tuple(tier1), own=tuple(own))


def _subtree(
    rng: np.random.Generator,
    sub: Subsystem,
    top: int,
    counts: dict[int, int],
    bit: int,
    namer: _Namer,
    items: ItemTable,
    catalog: Catalog,
) -> list[int]:
    """The items under one tier-1 subsystem, level by level, with their catalog inputs."""
    vocabulary = PARTS[sub.domain]
    made: list[int] = []
    with_material: set[int] = set()
    parents = [top]
    for level in (2, 3, 4, 5):
        n = counts[level]
        if n == 0 or not parents:
            break
        leaves_allowed = level in (2, 3)
        created = []
        for parent in _attach(rng, parents, n):
            if level == 5:
                with_material.add(parent)
            software = leaves_allowed and rng.random() < (0.08 if level == 2 else 0.04)
            if software:
                noun, sector = EMBEDDED_SOFTWARE if level == 2 else FIRMWARE
                kind, custom = "software", True
            else:
                noun, sector = vocabulary[level][int(rng.integers(len(vocabulary[level])))]
                kind = {2: "assembly", 3: "component", 4: "component", 5: "material"}[level]
                custom = bool(rng.random() < CUSTOM_PROBABILITY[level])
            index = items.add(
                namer(noun, sub.name),
                kind,
                level,
                custom=custom,
                sector=sector,
                domain=sub.domain,
                program=bit,
            )
            items.link(
                parent, index, 1.0 if kind == "software" else _quantity(rng, level), primary=True
            )
            created.append(index)
        # A few parts go into a second assembly of the same subsystem (shared sub-tier parts).
        if level in (3, 4) and len(parents) > 1:
            for index in created:
                if items.kind[index] != "software" and rng.random() < 0.1:
                    other = parents[int(rng.integers(len(parents)))]
                    items.link(other, index, _quantity(rng, level))
        made.extend(created)
        parents = [i for i in created if items.kind[i] != "software"]
    for index in made:
        _link_catalog(rng, index, sub.domain, items, catalog, has_material=index in with_material)
    return made


def _link_catalog(
    rng: np.random.Generator,
    index: int,
    domain: str,
    items: ItemTable,
    catalog: Catalog,
    *,
    has_material: bool,
) -> None:
    """Standard parts, licences, materials and services an own item takes from the catalog."""
    level, kind = items.level[index], items.kind[index]
    if kind == "software":
        return
    picks: list[tuple[str, int]] = []
    if level == 2 and rng.random() < 0.5:
        picks.append(("part", 1 + int(rng.random() < 0.4)))
    elif level == 3:
        if rng.random() < 0.7:
            picks.append(("part", int(rng.integers(1, 4))))
        if rng.random() < 0.15:
            picks.append(("software", 1))
        if rng.random() < 0.3:
            picks.append(("service", 1))
        if rng.random() < 0.15:
            picks.append(("material", 1))
    elif level == 4:
        if not has_material or rng.random() < 0.3:
            picks.append(("material", 1 + int(rng.random() < 0.3)))
        if rng.random() < 0.35:
            picks.append(("service", 1))
    elif level == 5:
        if rng.random() < 0.7:
            inputs = RAW_INPUTS[domain]
            chosen = rng.choice(
                len(inputs), size=min(len(inputs), 1 + int(rng.random() < 0.4)), replace=False
            )
            for i in sorted(int(c) for c in chosen):
                raw = catalog.raw.get(inputs[i])
                if raw is not None:
                    items.link(index, raw, round(float(rng.uniform(0.2, 1.5)), 2))
        return
    for use, n in picks:
        for child in catalog.pick(rng, use, domain, n):
            items.link(index, child, _catalog_quantity(rng, use))


def allocate_costs(
    rng: np.random.Generator, items: ItemTable, programs: list[ProgramItems]
) -> None:
    """Unit costs of program items, top down: the system costs its price less the prime's
    margin; each item passes what it does not add itself to its own children, split at random
    and divided by the quantity it needs. Catalog items keep their market price.
    """
    children: dict[int, list[tuple[int, float]]] = {}
    for parent, child, quantity, primary in zip(
        items.parent, items.child, items.quantity, items.primary, strict=True
    ):
        if primary:
            children.setdefault(parent, []).append((child, quantity))
    for program in programs:
        spec = program.spec
        items.unit_cost_jpy[program.system] = round(spec.unit_price_jpy / (1 + PRIME_MARGIN))
        weights = {i: sub.weight for i, sub in zip(program.tier1, spec.subsystems, strict=True)}
        frontier = [program.system]
        while frontier:
            next_frontier = []
            for parent in frontier:
                own = children.get(parent, [])
                if not own:
                    continue
                level = items.level[parent]
                passed = items.unit_cost_jpy[parent] * (1 - VALUE_ADDED[min(level, 5)])
                base = np.array([weights.get(c, 1.0) for c, _ in own])
                split = base * rng.lognormal(0.0, 0.5, size=len(own))
                split /= split.sum()
                for (child, quantity), part in zip(own, split, strict=True):
                    items.unit_cost_jpy[child] = max(10.0, round(passed * part / quantity, 1))
                    next_frontier.append(child)
            frontier = next_frontier
