"""Producibility, single points of failure and critical pairs agree with brute force.

The reference below is DATASET.md's definition read literally: a firm can make an item when
it has not exited and, for every bom child, one of its suppliers of that child can make the
child. Brute force removes each firm (or pair of firms) and asks again.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache, cached_property

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiban.dataset import Dataset
from kiban.dataset.validate import validate
from kiban.errors import RiskError
from kiban.network import SupplyNetwork, program_supply_chain
from kiban.reference.programs import generate_programs
from kiban.risk.pairs import PAIRS_SCHEMA, critical_pairs
from kiban.risk.producibility import PRODUCIBILITY_SCHEMA, producibility
from kiban.risk.spof import SPOF_SCHEMA, single_points_of_failure

Supply = tuple[str, str, str]  # supplier, customer, item


@dataclass(frozen=True)
class Reference:
    """DATASET.md's meaning, evaluated by plain recursion."""

    firms: tuple[str, ...]
    exited: frozenset[str]
    bom: tuple[tuple[str, str], ...]
    supplies: tuple[Supply, ...]
    programs: tuple[tuple[str, str, str], ...]  # program, prime, end item

    @classmethod
    def of(cls, ds: Dataset) -> Reference:
        return cls(
            firms=tuple(ds.firms["firm_id"]),
            exited=frozenset(ds.firms.filter(status="exited")["firm_id"]),
            bom=tuple(ds.bom.select("parent_item_id", "child_item_id").iter_rows()),
            supplies=tuple(
                ds.supplies.filter(pl.col("item_id").is_not_null())
                .select("supplier_id", "customer_id", "item_id")
                .iter_rows()
            ),
            programs=tuple(ds.programs.select("program_id", "prime_id", "item_id").iter_rows()),
        )

    @cached_property
    def children(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for parent, child in self.bom:
            found.setdefault(parent, []).append(child)
        return found

    @cached_property
    def suppliers(self) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for supplier, customer, item in self.supplies:
            found.setdefault((customer, item), []).append(supplier)
        return found

    def sources(self, customer: str, item: str) -> list[str]:
        return self.suppliers.get((customer, item), [])

    def producible(self, removed: Collection[str] = ()) -> dict[str, bool]:
        out = self.exited | set(removed)

        @cache
        def can_make(firm: str, item: str) -> bool:
            return firm not in out and all(
                any(can_make(s, child) for s in self.sources(firm, child))
                for child in self.children.get(item, [])
            )

        return {program: can_make(prime, item) for program, prime, item in self.programs}

    def can_get(self, customer: str, item: str, removed: Collection[str] = ()) -> bool:
        """Some source of `item` to `customer` can make it."""
        probes = tuple((f"probe{k}", s, item) for k, s in enumerate(self.sources(customer, item)))
        return any(dataclasses.replace(self, programs=probes).producible(removed).values())

    def spof(self, firms: Iterable[str] | None = None) -> set[tuple[str, str]]:
        base = self.producible()
        found = set()
        for firm in self.firms if firms is None else firms:
            after = self.producible([firm])
            found |= {(p, firm) for p, ok in base.items() if ok and not after[p]}
        return found

    def pairs(self, firms: Iterable[str] | None = None) -> set[tuple[str, str, str]]:
        base = self.producible()
        singles = self.spof(firms)
        found = set()
        for a, b in itertools.combinations(sorted(self.firms if firms is None else firms), 2):
            after = self.producible([a, b])
            found |= {
                (p, a, b)
                for p, ok in base.items()
                if ok and not after[p] and (p, a) not in singles and (p, b) not in singles
            }
        return found


def make_dataset(
    supplies: list[Supply],
    bom: list[tuple[str, str]],
    programs: list[tuple[str, str, str]],
    *,
    exited: Collection[str] = (),
    withdrawing: Collection[str] = (),
    firms: list[str] | None = None,
    items: list[str] | None = None,
    check: bool = True,
) -> Dataset:
    """A dataset, valid by construction (checked if `check`); firms are named "<id> Co",
    items "<id> part" (systems: the end items); `firms`, `items`: their row order."""
    firms = firms or sorted(
        {f for s in supplies for f in s[:2]} | {p for _, p, _ in programs} | set(exited)
    )
    ends = {item for _, _, item in programs}
    items = items or sorted({i for edge in bom for i in edge} | {s[2] for s in supplies} | ends)
    ds = Dataset.from_frames(
        {
            "firms": pl.DataFrame(
                {
                    "firm_id": firms,
                    "name": [f"{f} Co" for f in firms],
                    "country": ["JP"] * len(firms),
                    "status": [
                        "exited" if f in exited else "withdrawing" if f in withdrawing else "active"
                        for f in firms
                    ],
                }
            ),
            "items": pl.DataFrame(
                {
                    "item_id": items,
                    "name": [f"{i} part" for i in items],
                    "kind": ["system" if i in ends else "component" for i in items],
                }
            ),
            "bom": pl.DataFrame(
                bom, schema=["parent_item_id", "child_item_id"], orient="row"
            ).with_columns(quantity=pl.lit(1.0)),
            "supplies": pl.DataFrame(
                supplies, schema=["supplier_id", "customer_id", "item_id"], orient="row"
            ),
            "programs": pl.DataFrame(
                programs, schema=["program_id", "prime_id", "item_id"], orient="row"
            ).with_columns(name=pl.col("program_id")),
        }
    )
    if check:
        report = validate(ds)
        assert report.ok, report.lines()
    return ds


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """A few firms and items, a random acyclic bom, random statuses, one or two programs.

    Each item gets one to three makers; each maker of a parent buys each child from some of
    that child's makers (maybe none, maybe itself; in half the datasets two where it can),
    so firms meet at several tiers and in loops; a few supplies of anything are added.
    Table rows are shuffled so that no index order is a topological order.
    """
    n_firms, n_items = draw(st.integers(3, 8)), draw(st.integers(3, 6))
    firms = draw(st.permutations([f"F{k}" for k in range(n_firms)]))
    items = [f"I{k}" for k in range(n_items)]

    def some(choices: list[str], at_least: int, at_most: int = 3) -> list[str]:
        chosen = draw(st.permutations(choices))  # not biased to the first choices
        return chosen[: draw(st.integers(min(at_least, len(choices)), min(at_most, len(chosen))))]

    # Children only of a later item: acyclic. The two candidate end items need something.
    bom = [(p, c) for k, p in enumerate(items) for c in some(items[k + 1 :], int(k < 2))]
    # Half the datasets have second sources wherever they can: that is where pairs live.
    redundant = draw(st.booleans())
    makers = {item: some(firms, 1 + redundant) for item in items}
    supplies = set()
    for parent, child in bom:
        for customer in makers[parent]:
            at_least = draw(st.sampled_from([1, 1, 1, 1, 1, 0]))  # a sixth may have none
            at_least = 2 if redundant and at_least else at_least
            supplies |= {(source, customer, child) for source in some(makers[child], at_least)}
    firm = st.sampled_from(firms)
    supplies |= draw(st.sets(st.tuples(firm, firm, st.sampled_from(items)), max_size=3))
    statuses = draw(
        st.lists(
            st.sampled_from(["active"] * 8 + ["withdrawing", "exited"]),
            min_size=n_firms,
            max_size=n_firms,
        )
    )
    ends = draw(st.lists(st.sampled_from(items[:2]), min_size=1, max_size=2))
    return make_dataset(
        draw(st.permutations(sorted(supplies))),
        draw(st.permutations(bom)),
        [(f"PRG{k}", draw(st.sampled_from(makers[end])), end) for k, end in enumerate(ends)],
        exited=[f for f, status in zip(firms, statuses, strict=True) if status == "exited"],
        withdrawing=[f for f, s in zip(firms, statuses, strict=True) if s == "withdrawing"],
        firms=list(firms),
        items=draw(st.permutations(items)),
        check=False,  # test_random_datasets_are_valid checks a sample
    )


@settings(max_examples=25, deadline=None)
@given(ds=datasets())
def test_random_datasets_are_valid(ds: Dataset) -> None:
    report = validate(ds)
    assert report.ok, report.lines()


def _rows(frame: pl.DataFrame, *columns: str) -> set[tuple[object, ...]]:
    return set(frame.select(columns).iter_rows())


@settings(max_examples=400, deadline=None)
@given(ds=datasets(), data=st.data())
def test_producibility_matches_the_definition(ds: Dataset, data: st.DataObject) -> None:
    ref, net = Reference.of(ds), SupplyNetwork.build(ds)
    removed = data.draw(st.sets(st.sampled_from(ref.firms), max_size=2))
    got = producibility(net, removed=removed)
    assert got.schema == PRODUCIBILITY_SCHEMA
    assert dict(got.select("program_id", "producible").iter_rows()) == ref.producible(removed)
    for program, ok, customer, item, reason in got.iter_rows():
        if ok:
            assert customer is None
            assert reason is None
        elif customer is None:  # the prime itself is out
            prime = next(p for g, p, _ in ref.programs if g == program)
            assert prime in ref.exited | removed
            assert reason.startswith(f"prime contractor {prime} ")
        else:  # the customer really has no source left for the item
            assert not ref.can_get(customer, item, removed)
            assert reason.startswith(f"{customer} ({customer} Co) has no source that can make")


@settings(max_examples=400, deadline=None)
@given(ds=datasets())
def test_single_points_of_failure_match_brute_force(ds: Dataset) -> None:
    ref, net = Reference.of(ds), SupplyNetwork.build(ds)
    spof = single_points_of_failure(net)
    assert spof.schema == SPOF_SCHEMA
    assert _rows(spof, "program_id", "firm_id") == ref.spof()
    assert spof.equals(spof.sort("program_id", "tier", "firm_id"))
    tiers = program_supply_chain(ds).group_by("program_id", "firm_id").agg(pl.col("tier").min())
    assert _rows(spof, "program_id", "firm_id", "tier") <= _rows(
        tiers, "program_id", "firm_id", "tier"
    )
    for _, firm, name, customer, item, reason, tier in spof.iter_rows():
        assert name == f"{firm} Co"
        if reason == "prime contractor":
            assert tier == 0
            assert customer is None
            continue
        # The named customer loses its last source of the item with this firm, which is one.
        assert firm in ref.sources(customer, item)
        assert ref.can_get(customer, item)
        assert not ref.can_get(customer, item, [firm])
        assert f"source of {item} ({item} part) for {customer} ({customer} Co)" in reason


@settings(max_examples=300, deadline=None)
@given(ds=datasets())
def test_critical_pairs_match_brute_force(ds: Dataset) -> None:
    ref, net = Reference.of(ds), SupplyNetwork.build(ds)
    pairs = critical_pairs(net)
    assert pairs.schema == PAIRS_SCHEMA
    assert _rows(pairs, "program_id", "firm_a", "firm_b") == ref.pairs()
    assert pairs.equals(pairs.sort("program_id", "firm_a", "firm_b"))
    for _, a, b, customer, item, _ in pairs.iter_rows():
        assert ref.can_get(customer, item)
        assert not ref.can_get(customer, item, [a, b])


def test_generated_programs_match_brute_force() -> None:
    ds = generate_programs(3, scale=0.05)
    ref, net = Reference.of(ds), SupplyNetwork.build(ds)
    radar = tuple(p for p in ref.programs if p[0] == "radar")
    ref = Reference(ref.firms, ref.exited, ref.bom, ref.supplies, radar)
    chain = program_supply_chain(ds).filter(program_id="radar")["firm_id"].unique().sort()
    spof = single_points_of_failure(net, "radar")
    assert spof.height > 1
    assert _rows(spof, "program_id", "firm_id") == ref.spof()  # every firm removed in turn
    # Only firms of the chain can matter to a pair (the test above checks this on small data).
    pairs = critical_pairs(net, "radar")
    assert pairs.height > 0
    assert _rows(pairs, "program_id", "firm_a", "firm_b") == ref.pairs(chain)


# Hand-built cases ---------------------------------------------------------------------------


def spof_of(ds: Dataset, program: str = "T") -> list[tuple[str, str | None, str, str, int]]:
    frame = single_points_of_failure(SupplyNetwork.build(ds), program)
    return list(frame.select("firm_id", "customer_id", "item_id", "reason", "tier").iter_rows())


def pairs_of(ds: Dataset, program: str = "T") -> list[tuple[str, str, str, str, str]]:
    frame = critical_pairs(SupplyNetwork.build(ds), program)
    return list(frame.select("firm_a", "firm_b", "customer_id", "item_id", "reason").iter_rows())


def test_one_source_is_a_single_point_of_failure_and_two_are_a_pair() -> None:
    one = make_dataset([("A", "P", "GEAR")], [("SYS", "GEAR")], [("T", "P", "SYS")])
    assert spof_of(one) == [
        ("P", None, "SYS", "prime contractor", 0),
        ("A", "P", "GEAR", "only source of GEAR (GEAR part) for P (P Co)", 1),
    ]
    assert pairs_of(one) == []
    two = make_dataset(
        [("A", "P", "GEAR"), ("B", "P", "GEAR")], [("SYS", "GEAR")], [("T", "P", "SYS")]
    )
    assert [row[0] for row in spof_of(two)] == ["P"]
    assert pairs_of(two) == [
        ("A", "B", "P", "GEAR", "the only sources of GEAR (GEAR part) for P (P Co)")
    ]


def test_pairs_below_two_sources() -> None:
    # Two gear makers, each with its own steel mill: any gear maker or mill of each side.
    ds = make_dataset(
        [("A", "P", "GEAR"), ("B", "P", "GEAR"), ("M1", "A", "STEEL"), ("M2", "B", "STEEL")],
        [("SYS", "GEAR"), ("GEAR", "STEEL")],
        [("T", "P", "SYS")],
    )
    assert [row[0] for row in spof_of(ds)] == ["P"]
    survives = "no source of GEAR (GEAR part) for P (P Co) survives the exit of both"
    assert pairs_of(ds) == [
        ("A", "B", "P", "GEAR", "the only sources of GEAR (GEAR part) for P (P Co)"),
        ("A", "M2", "P", "GEAR", survives),
        ("B", "M1", "P", "GEAR", survives),
        ("M1", "M2", "P", "GEAR", survives),
    ]


def test_a_loop_between_firms_makes_one_of_two_sources_a_single_point_of_failure() -> None:
    # A and B both make GEAR for P; both need SHAFT from S; S needs a FORGING that only A
    # makes: A -> S -> A is a loop between firms, and A sits at tiers 1 and 3.
    ds = make_dataset(
        [
            ("A", "P", "GEAR"),
            ("B", "P", "GEAR"),
            ("S", "A", "SHAFT"),
            ("S", "B", "SHAFT"),
            ("A", "S", "FORGING"),
        ],
        [("SYS", "GEAR"), ("GEAR", "SHAFT"), ("SHAFT", "FORGING")],
        [("T", "P", "SYS")],
    )
    assert spof_of(ds) == [
        ("P", None, "SYS", "prime contractor", 0),
        (
            "A",
            "P",
            "GEAR",
            "source of GEAR (GEAR part) for P (P Co) on which its other sources B (B Co) depend",
            1,
        ),
        ("S", "A", "SHAFT", "only source of SHAFT (SHAFT part) for A (A Co)", 2),
    ]
    assert pairs_of(ds) == []


def test_a_shared_supplier_fails_two_programs_at_its_own_tier_in_each() -> None:
    ds = make_dataset(
        [
            ("M", "P", "STEEL"),  # tier 1 of the tank
            ("G", "Q", "GEAR"),
            ("M", "G", "STEEL"),  # tier 2 of the ship
        ],
        [("TANK", "STEEL"), ("SHIP", "GEAR"), ("GEAR", "STEEL")],
        [("T", "P", "TANK"), ("S", "Q", "SHIP")],
    )
    frame = single_points_of_failure(SupplyNetwork.build(ds))
    assert frame.filter(firm_id="M").select("program_id", "customer_id", "tier").rows() == [
        ("S", "G", 2),
        ("T", "P", 1),
    ]
    assert frame["program_id"].to_list() == ["S", "S", "S", "T", "T"]


def test_a_firm_at_two_tiers_has_its_shallowest() -> None:
    # E makes ELECTRONICS for P (tier 1) and for A's GEAR (tier 2): reported at tier 1.
    ds = make_dataset(
        [("A", "P", "GEAR"), ("E", "P", "ELEC"), ("E", "A", "ELEC")],
        [("SYS", "GEAR"), ("SYS", "ELEC"), ("GEAR", "ELEC")],
        [("T", "P", "SYS")],
    )
    assert ("E", "P", "ELEC", "only source of ELEC (ELEC part) for P (P Co)", 1) in spof_of(ds)


def test_an_exited_prime_makes_the_program_unproducible_without_spof() -> None:
    ds = make_dataset([("A", "P", "GEAR")], [("SYS", "GEAR")], [("T", "P", "SYS")], exited=["P"])
    net = SupplyNetwork.build(ds)
    assert producibility(net).rows() == [
        ("T", False, None, "SYS", "prime contractor P (P Co) has exited")
    ]
    assert single_points_of_failure(net).height == 0
    assert critical_pairs(net).height == 0


def test_the_reason_follows_a_starved_source_down_to_its_missing_input() -> None:
    ds = make_dataset(
        [("A", "P", "GEAR"), ("M", "A", "STEEL"), ("N", "A", "STEEL")],
        [("SYS", "GEAR"), ("GEAR", "STEEL"), ("GEAR", "OIL")],
        [("T", "P", "SYS")],
        exited=["M"],
    )
    net = SupplyNetwork.build(ds)
    assert producibility(net).row(0) == (
        "T",
        False,
        "A",
        "OIL",
        "A (A Co) has no source that can make OIL (OIL part): none is recorded",
    )
    fixed = make_dataset(
        [("A", "P", "GEAR"), ("M", "A", "STEEL"), ("N", "A", "STEEL")],
        [("SYS", "GEAR"), ("GEAR", "STEEL")],
        [("T", "P", "SYS")],
        exited=["M"],
    )
    assert producibility(SupplyNetwork.build(fixed), removed=["N"]).row(0)[2:] == (
        "A",
        "STEEL",
        "A (A Co) has no source that can make STEEL (STEEL part): "
        "its sources M (M Co) has exited and N (N Co) is removed",
    )


def test_limit_keeps_the_first_pairs_of_each_program() -> None:
    ds = make_dataset(
        [("A", "P", "GEAR"), ("B", "P", "GEAR"), ("M1", "A", "STEEL"), ("M2", "B", "STEEL")],
        [("SYS", "GEAR"), ("GEAR", "STEEL")],
        [("T", "P", "SYS")],
    )
    net = SupplyNetwork.build(ds)
    assert critical_pairs(net, limit=2).select("firm_a", "firm_b").rows() == [
        ("A", "B"),
        ("A", "M2"),
    ]
    assert critical_pairs(net, limit=0).height == 0
    with pytest.raises(RiskError, match="0 or more"):
        critical_pairs(net, limit=-1)


def test_bad_input_gets_clear_errors() -> None:
    net = SupplyNetwork.build(
        make_dataset([("A", "P", "GEAR")], [("SYS", "GEAR")], [("T", "P", "SYS")])
    )
    for analysis in (single_points_of_failure, critical_pairs):
        with pytest.raises(RiskError, match="no program 'X'; the programs are: T"):
            analysis(net, "X")
    with pytest.raises(RiskError, match="no firm 'Z'"):
        producibility(net, removed=["Z"])
    empty = SupplyNetwork.build(Dataset.from_frames({}))
    for analysis in (producibility, single_points_of_failure, critical_pairs):
        with pytest.raises(RiskError, match="no programs in the dataset"):
            analysis(empty)
    missing = make_dataset([("A", "P", "GEAR")], [("SYS", "GEAR")], [("T", "Q", "SYS")])
    orphan = SupplyNetwork.build(
        Dataset.from_frames({**dict(missing.tables), "firms": missing.firms[:2]})
    )
    for analysis in (producibility, single_points_of_failure, critical_pairs):
        with pytest.raises(RiskError, match="program 'T': its prime_id 'Q' is not among the firms"):
            analysis(orphan)
