"""Which firms make which items.

A custom (defense-only) item has a single maker; a commercial one has two to five. Tier-1
subsystems are made by real contractors where the program spec names one. Catalog items are
made by a pool of commodity makers shared by all programs; a program's own items by its own
sub-tier firms, a tenth of which already work for an earlier program. The number of own firms
is set so that the program's firms (prime, tier-1 makers, catalog makers it uses and its own
firms) add up to its calibrated count: every maker of an item in a program's bill of materials
will be reached from the prime once supplies are drawn (see `supplies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiban.reference.generate.items import CATALOG_PROGRAM, ItemTable, ProgramItems

# Makers of a commercial item: 2, 3 or 4 for own items, up to 5 for catalog commodities.
OWN_MAKERS = (np.array([2, 3, 4]), np.array([0.5, 0.35, 0.15]))
CATALOG_MAKERS = (np.array([2, 3, 4, 5]), np.array([0.35, 0.35, 0.2, 0.1]))
# Commodity makers (standard parts, materials, services) as a share of the summed firm counts
# of all programs: about 280 at scale 1, each serving several programs (an assumption).
CATALOG_FIRM_SHARE = 0.02
# Share of a program's own sub-tier firms that also work for an earlier program.
BORROWED_SHARE = 0.1


@dataclass
class FirmTable:
    """Firms under construction; a firm is its position in the lists.

    `origin` is `real`, `catalog` or `own`; `country` is None until drawn (synthetic firms
    get theirs from their tier, see `firms.draw_countries`); `level` is the shallowest level
    of the items a firm makes; `category` the program category of an own firm.
    """

    name: list[str | None] = field(default_factory=list)
    origin: list[str] = field(default_factory=list)
    country: list[str | None] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    sector: list[str] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)

    def add(
        self,
        origin: str,
        sector: str,
        *,
        level: int = 9,
        name: str | None = None,
        country: str | None = None,
        category: str | None = None,
    ) -> int:
        self.name.append(name)
        self.origin.append(origin)
        self.country.append(country)
        self.level.append(level)
        self.sector.append(sector)
        self.category.append(category)
        return len(self.origin) - 1

    def __len__(self) -> int:
        return len(self.origin)


@dataclass
class Makers:
    """(item, firm) pairs; `rank` 0 is an item's leading maker."""

    item: list[int] = field(default_factory=list)
    firm: list[int] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)

    def add(self, item: int, firms: list[int]) -> None:
        for rank, firm in enumerate(firms):
            self.item.append(item)
            self.firm.append(firm)
            self.rank.append(rank)


def deal(rng: np.random.Generator, makers_per_item: np.ndarray, n_firms: int) -> list[list[int]]:
    """Deal the maker slots of items to `n_firms` firms (local numbers 0..n_firms-1).

    Every firm gets at least one item and the rest go to firms with heavy-tailed weights, so
    most firms make one or two items and a few make many. Slots are dealt column by column
    (first maker of every item, then second makers ...) in the order the items are given, so a
    firm with several items gets neighbouring ones (callers sort items by sector). The rare
    slot that would make a firm an item's maker twice is dropped. Returns each item's makers.
    """
    k = np.asarray(makers_per_item, dtype=np.int64)
    total = int(k.sum())
    n_firms = max(1, min(n_firms, total))
    weights = rng.lognormal(0.0, 1.0, size=n_firms)
    capacity = 1 + rng.multinomial(total - n_firms, weights / weights.sum())
    firm_of_slot = np.repeat(np.arange(n_firms), capacity)
    item_of_slot = np.concatenate([np.flatnonzero(k > column) for column in range(int(k.max()))])
    found: list[list[int]] = [[] for _ in range(len(k))]
    for item, firm in zip(item_of_slot.tolist(), firm_of_slot.tolist(), strict=True):
        if firm not in found[item]:
            found[item].append(firm)
    return found


def _sector_order(rng: np.random.Generator, sectors: list[str]) -> np.ndarray:
    """Positions sorted by sector, at random within a sector."""
    noise = rng.random(len(sectors))
    return np.array(
        sorted(range(len(sectors)), key=lambda i: (sectors[i], noise[i])), dtype=np.int64
    )


def _makers_count(
    rng: np.random.Generator, custom: bool, table: tuple[np.ndarray, np.ndarray]
) -> int:
    return 1 if custom else int(rng.choice(table[0], p=table[1]))


def _split_firms(total: int, slots: np.ndarray, least: np.ndarray) -> np.ndarray:
    """Firms per group: in proportion to the group's slots, at least its largest maker
    count (an item's makers are distinct firms) and at most its slots."""
    share = total * slots / slots.sum()
    firms: np.ndarray = np.clip(np.floor(share).astype(np.int64), least, slots)
    while firms.sum() < total and (firms < slots).any():
        firms[int(np.argmax(np.where(firms < slots, share - firms, -np.inf)))] += 1
    while firms.sum() > total and (firms > least).any():
        firms[int(np.argmax(np.where(firms > least, firms - share, -np.inf)))] -= 1
    return firms


def assign_catalog_makers(
    rng: np.random.Generator,
    items: ItemTable,
    firms: FirmTable,
    makers: Makers,
    *,
    total_firms: float,
    used: np.ndarray,
) -> None:
    """Makers of the catalog items programs use (`used`), from a pool of about
    `CATALOG_FIRM_SHARE` of all firms.

    Commodity makers are grouped by trade (standard parts, electronics, materials, services,
    raw materials); a firm makes items of one trade, mostly of one sector.
    """
    catalog = [i for i in range(len(items)) if items.program[i] == CATALOG_PROGRAM and used[i]]
    groups: dict[str, list[int]] = {}
    for i in catalog:
        groups.setdefault(_trade(items, i), []).append(i)
    names = sorted(groups)
    counts = {
        g: np.array([_makers_count(rng, items.custom[i], CATALOG_MAKERS) for i in groups[g]])
        for g in names
    }
    slots = np.array([counts[g].sum() for g in names])
    least = np.array([counts[g].max() for g in names])
    wanted = max(int(least.sum()), round(CATALOG_FIRM_SHARE * total_firms))
    per_group = _split_firms(min(wanted, int(slots.sum())), slots, least)
    for g, n_firms in zip(names, per_group.tolist(), strict=True):
        members = groups[g]
        order = _sector_order(rng, [items.sector[i] for i in members])
        dealt = deal(rng, counts[g][order], n_firms)
        local = [-1] * n_firms
        for position, item_makers in zip(order.tolist(), dealt, strict=True):
            item = members[position]
            chosen = []
            for f in item_makers:
                if local[f] < 0:
                    local[f] = firms.add("catalog", items.sector[item], level=items.level[item])
                chosen.append(local[f])
            makers.add(item, chosen)


def _trade(items: ItemTable, i: int) -> str:
    if items.level[i] == 6:
        return "raw"
    if items.kind[i] == "service":
        return "service"
    if items.level[i] == 5:
        return "material"
    return (
        "electronics"
        if items.sector[i] in ("electronic components", "semiconductors", "software")
        else "part"
    )


def outside_firms(
    program: ProgramItems, makers_of: dict[int, list[int]], catalog_items: list[int], prime: int
) -> set[int]:
    """Firms of a program that are not its own sub-tier firms: the prime, tier-1 makers and
    the makers of the catalog items in its bill of materials."""
    found = {prime}
    for item in program.tier1:
        found.update(makers_of.get(item, []))
    for item in catalog_items:
        found.update(makers_of[item])
    return found


def assign_program_makers(
    rng: np.random.Generator,
    program: ProgramItems,
    items: ItemTable,
    firms: FirmTable,
    makers: Makers,
    *,
    real: dict[str, int],
    prime: int,
    catalog_items: list[int],
    target_firms: int,
    pool: dict[str, list[int]],
) -> None:
    """Makers of one program's tier-1 and own items.

    `catalog_items` are the catalog items in the program's bill of materials (their makers
    count towards its firms); `pool` holds the own firms of earlier programs by sector, to
    borrow from, and gets this program's new own firms.
    """
    spec = program.spec
    for item, sub in zip(program.tier1, spec.subsystems, strict=True):
        sector = items.sector[item]
        if sub.maker is None:
            maker = firms.add("own", sector, level=1, country="JP", category=spec.category)
        elif sub.maker.startswith("foreign:"):
            country = sub.maker.removeprefix("foreign:")
            maker = firms.add("own", sector, level=1, country=country, category=spec.category)
        else:
            maker = real[sub.maker]
        makers.add(item, [maker])
    makers_of: dict[int, list[int]] = {}
    for item, firm in zip(makers.item, makers.firm, strict=True):
        makers_of.setdefault(item, []).append(firm)
    outside = outside_firms(program, makers_of, catalog_items, prime)

    own = list(program.own)
    k = np.array([_makers_count(rng, items.custom[i], OWN_MAKERS) for i in own])
    sectors = sorted({items.sector[i] for i in own})
    members = {s: [j for j, i in enumerate(own) if items.sector[i] == s] for s in sectors}
    slots = np.array([k[members[s]].sum() for s in sectors])
    least = np.array([k[members[s]].max() for s in sectors])
    wanted = max(int(least.sum()), target_firms - len(outside))
    per_sector = _split_firms(min(wanted, int(slots.sum())), slots, least)
    chosen: dict[int, list[int]] = {}
    local_firms: dict[str, list[int]] = {}
    for sector, n_firms in zip(sectors, per_sector.tolist(), strict=True):
        positions = members[sector]
        order = rng.permutation(len(positions))
        dealt = deal(rng, k[positions][order], n_firms)
        available = pool.get(sector, [])
        borrowed = min(int(rng.binomial(n_firms, BORROWED_SHARE)), len(available))
        local = (
            [int(f) for f in rng.choice(available, size=borrowed, replace=False)]
            if borrowed
            else []
        )
        new = [firms.add("own", sector, category=spec.category) for _ in range(n_firms - borrowed)]
        local.extend(new)
        for position, item_makers in zip(order.tolist(), dealt, strict=True):
            chosen[own[positions[position]]] = [local[f] for f in item_makers]
        local_firms[sector] = local
        pool.setdefault(sector, []).extend(new)
    _untangle(rng, own, chosen, local_firms, items)
    for item in own:
        for firm in chosen[item]:
            firms.level[firm] = min(firms.level[firm], items.level[item])
        makers.add(item, chosen[item])


def _untangle(
    rng: np.random.Generator,
    own: list[int],
    chosen: dict[int, list[int]],
    local_firms: dict[str, list[int]],
    items: ItemTable,
) -> None:
    """Give another firm of the same sector an item whose maker also makes one of its
    parents, so that no firm supplies itself (a part and the assembly it goes into are
    bought from different shops). The firm keeps the parent, so no firm is left idle."""
    parents_of: dict[int, list[int]] = {}
    children_of: dict[int, list[int]] = {}
    for parent, child in zip(items.parent, items.child, strict=True):
        if parent in chosen and child in chosen:
            parents_of.setdefault(child, []).append(parent)
            children_of.setdefault(parent, []).append(child)
    for item in own:
        above = {f for p in parents_of.get(item, []) for f in chosen[p]}
        clashes = [f for f in chosen[item] if f in above]
        if not clashes:
            continue
        below = {f for c in children_of.get(item, []) for f in chosen[c]}
        taken = above | below | set(chosen[item])
        options = [f for f in local_firms[items.sector[item]] if f not in taken]
        for firm in clashes:
            if not options:
                break
            replacement = options.pop(int(rng.integers(len(options))))
            chosen[item][chosen[item].index(firm)] = replacement
