"""The supply network of a dataset, compiled into arrays, as analyses see it.

`SupplyNetwork.build(dataset)` turns ids into int32 indices once and lays the supplies out in
compressed sparse row (CSR) form, by customer and by supplier, with a firm-level graph of the
distinct supplier -> customer links and the bill of materials by parent item. Every analysis
takes a `SupplyNetwork` and reuses these arrays instead of joining tables again.

`program_supply_chain` is the plain polars traversal of a dataset that summaries use.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow.compute as pc

from kiban.dataset import Dataset

IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

NO_ITEM = -1
"""Item index of a firm-level supply (a row of a national network without `item_id`)."""


@dataclass(frozen=True, eq=False)
class Csr:
    """Rows of something grouped by a key index: entries `order[indptr[k]:indptr[k + 1]]`.

    `order` holds row numbers of the underlying table (e.g. supply rows), sorted by key and,
    within a key, stably (dataset order). `indptr` has one more entry than there are keys.
    """

    indptr: IndexArray
    order: IntArray

    @classmethod
    def group(cls, keys: IntArray, n_keys: int, *, then: IntArray | None = None) -> Csr:
        """Group row numbers 0..len(keys)-1 by `keys` (then by `then`, if given), stably.

        `keys` are in 0..n_keys-1; `then` is any int32 (NO_ITEM included). One sort of the
        rows, O(m log m); a counting pass for `indptr`.
        """
        key = keys.astype(np.uint64)
        bound = max(n_keys, 1)
        if then is not None and then.size:
            low = int(then.min())
            span = int(then.max()) - low + 1
            key = key * np.uint64(span) + (then - low).astype(np.uint64)
            bound *= span
        return cls(indptr=_indptr(keys, n_keys), order=stable_order(key, bound))

    def rows(self, key: int) -> IntArray:
        """The row numbers of `key`."""
        return self.order[self.indptr[key] : self.indptr[key + 1]]

    def degree(self) -> IndexArray:
        """Rows per key."""
        return np.diff(self.indptr)


@dataclass(frozen=True, eq=False)
class SupplyNetwork:
    """A dataset compiled for analysis: int32 indices, CSR adjacency, id <-> index maps.

    Indices follow the row order of the dataset's tables: firm `i` is row `i` of `firms`,
    item `j` row `j` of `items`, supply `k` row `k` of `supplies`.

    Item-level view: `supplier[k]` delivers item `item[k]` to `customer[k]`;
    `by_customer` groups supply rows by customer and then item (so the alternative sources
    of one item to one customer are adjacent), `by_supplier` by supplier (sorted on first
    use and kept: few analyses need it); `bom` groups bom rows by parent item, with
    `bom_child[r]` and `bom_quantity[r]`.

    Firm-level view: `links` holds each distinct (supplier, customer) pair once, as arrays
    `link_supplier`/`link_customer` in (customer, supplier) order, grouped by customer in
    `links_in` and by supplier in `links_out` (sorted on first use, like `by_supplier`); the
    item-level rows map to it through `supply_link[k]`.

    `can_produce[i]` is false for firms whose status is `exited`. A `withdrawing` firm still
    produces; analyses flag it separately (DATASET.md's "active" read as "not exited").

    Analyses that derive more from these arrays (a graph for another library, a reversed
    adjacency) keep it with the network through `cached`, built on first use.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S1", "S2"], "name": ["P", "S1", "S2"],
    ...                            "country": ["JP", "JP", "US"]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S1", "S2", "S2"],
    ...                               "customer_id": ["P", "P", "S1"]}),
    ... })
    >>> net = SupplyNetwork.build(ds)
    >>> net.n_firms, net.n_supplies, net.n_links
    (3, 3, 3)
    >>> net.firm_names(net.suppliers_of(net.firm_index(["P"])[0]))
    ['S1', 'S2']
    """

    dataset: Dataset
    firm_ids: pl.Series
    item_ids: pl.Series
    supplier: IntArray
    customer: IntArray
    item: IntArray
    by_customer: Csr
    bom_parent: IntArray
    bom_child: IntArray
    bom_quantity: FloatArray
    bom: Csr
    link_supplier: IntArray
    link_customer: IntArray
    supply_link: IntArray
    links_in: Csr
    can_produce: BoolArray
    program_prime: IntArray
    program_item: IntArray
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def build(cls, dataset: Dataset) -> SupplyNetwork:
        """Compile `dataset`, which must be valid (`kiban.validate`): every reference resolves.

        Cost: a hash lookup per id and two sorts of the supplies (by customer and item, and by
        link), O(m log m) for m supplies: for 1M firms and 5M supplies on two cores, 1.6 s
        for the first build in a process and 1.1 s after, and 0.12 s more for each of
        `by_supplier` and `links_out` on first use (benchmarks/bench_network.py).
        """
        firm_ids = dataset.firms.get_column("firm_id")
        item_ids = dataset.items.get_column("item_id")
        n_firms, n_items = firm_ids.len(), item_ids.len()
        firm_table, item_table = _IdTable(firm_ids), _IdTable(item_ids)

        supplies = dataset.supplies
        supplier, customer = firm_table.codes(
            supplies.get_column("supplier_id"), supplies.get_column("customer_id")
        )
        [item] = item_table.codes(supplies.get_column("item_id"))
        bom_parent, bom_child = item_table.codes(
            dataset.bom.get_column("parent_item_id"), dataset.bom.get_column("child_item_id")
        )
        link_supplier, link_customer, supply_link = _links(supplier, customer, n_firms)

        return cls(
            dataset=dataset,
            firm_ids=firm_ids,
            item_ids=item_ids,
            supplier=supplier,
            customer=customer,
            item=item,
            by_customer=Csr.group(customer, n_firms, then=item),
            bom_parent=bom_parent,
            bom_child=bom_child,
            bom_quantity=dataset.bom.get_column("quantity").to_numpy().astype(np.float64),
            bom=Csr.group(bom_parent, n_items),
            link_supplier=link_supplier,
            link_customer=link_customer,
            supply_link=supply_link,
            # Links are numbered in (customer, supplier) order: grouped by customer already.
            links_in=Csr(
                indptr=_indptr(link_customer, n_firms),
                order=np.arange(link_customer.size, dtype=np.int32),
            ),
            can_produce=(dataset.firms.get_column("status") != "exited").to_numpy(),
            program_prime=firm_table.codes(dataset.programs.get_column("prime_id"))[0],
            program_item=item_table.codes(dataset.programs.get_column("item_id"))[0],
        )

    @property
    def n_firms(self) -> int:
        return self.firm_ids.len()

    @property
    def n_items(self) -> int:
        return self.item_ids.len()

    @property
    def n_supplies(self) -> int:
        return int(self.supplier.size)

    @property
    def n_links(self) -> int:
        return int(self.link_supplier.size)

    @property
    def program_ids(self) -> pl.Series:
        return self.dataset.programs.get_column("program_id")

    @property
    def by_supplier(self) -> Csr:
        """Supply rows grouped by supplier, stably: one sort of the supplies on first use."""
        return self.cached("network.by_supplier", lambda: Csr.group(self.supplier, self.n_firms))

    @property
    def links_out(self) -> Csr:
        """Links grouped by supplier, stably: one sort of the links on first use."""
        return self.cached("network.links_out", lambda: Csr.group(self.link_supplier, self.n_firms))

    def firm_index(self, ids: list[str] | pl.Series) -> IntArray:
        """Indices of firm ids; KeyError names the first unknown one."""
        return _lookup(ids, self.firm_ids, "firm")

    def item_index(self, ids: list[str] | pl.Series) -> IntArray:
        """Indices of item ids; KeyError names the first unknown one."""
        return _lookup(ids, self.item_ids, "item")

    def program_index(self, program_id: str) -> int:
        """Row of `program_id` in the programs table; KeyError lists the known programs."""
        found = np.flatnonzero((self.program_ids == program_id).to_numpy())
        if not found.size:
            known = ", ".join(self.program_ids.to_list()) or "none"
            raise KeyError(f"no program {program_id!r}; the programs are: {known}")
        return int(found[0])

    def firm_names(self, indices: npt.ArrayLike) -> list[str]:
        """Firm ids of firm indices (the inverse of `firm_index`)."""
        return self.firm_ids.gather(np.asarray(indices, dtype=np.int64)).to_list()

    def item_names(self, indices: npt.ArrayLike) -> list[str]:
        """Item ids of item indices (the inverse of `item_index`)."""
        return self.item_ids.gather(np.asarray(indices, dtype=np.int64)).to_list()

    def suppliers_of(self, firm: int) -> IntArray:
        """Distinct direct suppliers of firm index `firm` (firm-level links)."""
        return self.link_supplier[self.links_in.rows(firm)]

    def customers_of(self, firm: int) -> IntArray:
        """Distinct direct customers of firm index `firm` (firm-level links)."""
        return self.link_customer[self.links_out.rows(firm)]

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """`compute()`, run once per network and key and kept with the network.

        For structures that some analyses derive from the arrays and reuse across calls
        (a rustworkx graph, a reversed adjacency): they live as long as the network does,
        and no module keeps a global cache. Callers must not mutate what they get back.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return cast(T, self._cache[key])


_HASH_SEED = 20230610
"""Seed of the id hashes; any fixed value works, as ids and the values looked up share it."""


class _IdTable:
    """Index of each id of `ids` (a table's id column), looked up through 64-bit hashes.

    Hashing the strings (polars, a few milliseconds) and looking the hashes up in an Arrow
    hash set (`pyarrow.compute.index_in`, which releases the GIL, so two columns run on two
    cores) codes both id columns of 5M supplies in about 0.6 s, half the time of polars
    `replace_strict` or a join on the strings. It stays exact: a found index is kept only if
    the id at that index equals the value looked up, and ids whose hashes collide (or repeat)
    send the column to `replace_strict`.
    """

    def __init__(self, ids: pl.Series) -> None:
        # One chunk: gathering from a column read in chunks (Parquet, a store) is 4x slower.
        self.ids = ids.rechunk()
        hashes = ids.hash(_HASH_SEED)
        self.hashes = hashes.to_arrow() if hashes.n_unique() == ids.len() else None

    def codes(self, *columns: pl.Series) -> list[IntArray]:
        """The index of each value of each column; NO_ITEM (-1) for nulls and unknown values."""
        if len(columns) == 1:
            return [self._codes(columns[0])]
        with ThreadPoolExecutor(max_workers=len(columns)) as pool:
            return list(pool.map(self._codes, columns))

    def _codes(self, values: pl.Series) -> IntArray:
        if values.null_count() == values.len():
            return np.full(values.len(), NO_ITEM, dtype=np.int32)
        if self.hashes is not None:
            hashed = values.hash(_HASH_SEED).to_arrow()
            found = pl.Series(pc.index_in(hashed, value_set=self.hashes), dtype=pl.Int32)
            if values.null_count():
                found = pl.select(pl.when(values.is_not_null()).then(found)).to_series()
            # A value whose hash equals an id's but is another string fails this check.
            if not (self.ids.gather(found) != values).any():
                return _int32(found.fill_null(NO_ITEM))
        index = pl.int_range(self.ids.len(), dtype=pl.Int32, eager=True)
        exact = values.replace_strict(self.ids, index, default=None, return_dtype=pl.Int32)
        return _int32(exact.fill_null(NO_ITEM))


def stable_order(keys: npt.NDArray[np.integer[Any]], bound: int) -> IntArray:
    """Row numbers (int32) sorted by `keys`, each in 0..bound-1, ties in row order.

    One unstable multithreaded sort of (key, row) packed into 64 bits when they fit, which
    is faster than a stable sort (0.15 s for 5M rows on two cores); a stable polars arg-sort
    otherwise.

    >>> stable_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 4, 3, 0, 2]
    """
    packed = _sort_packed(keys, bound)
    if packed is not None:
        return _rows(*packed)
    by_key = pl.DataFrame({"key": keys}).select(pl.arg_sort_by("key", maintain_order=True))
    return _int32(by_key.to_series())


def _sort_packed(
    keys: npt.NDArray[np.integer[Any]], bound: int
) -> tuple[npt.NDArray[np.uint64], int] | None:
    """Each key with its row number in the low bits of one uint64, sorted, and the number of
    those bits: ties come out in row order. None if they do not fit in 64 bits."""
    rows = keys.size
    row_bits = max(rows - 1, 1).bit_length()
    if max(bound - 1, 1).bit_length() + row_bits > 64:
        return None
    packed = keys.astype(np.uint64, copy=False) << np.uint64(row_bits)
    packed |= np.arange(rows, dtype=np.uint64)
    return pl.Series(packed).sort(multithreaded=True).to_numpy(), row_bits


def _rows(packed: npt.NDArray[np.uint64], row_bits: int) -> IntArray:
    return (packed & np.uint64((1 << row_bits) - 1)).astype(np.int32)


def _indptr(keys: IntArray, n_keys: int) -> IndexArray:
    indptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_keys), out=indptr[1:])
    return indptr


def _links(
    supplier: IntArray, customer: IntArray, n_firms: int
) -> tuple[IntArray, IntArray, IntArray]:
    """The distinct (supplier, customer) pairs in (customer, supplier) order, and the pair of
    each supply row: link_supplier, link_customer, supply_link. One sort of the rows."""
    if not supplier.size:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty.copy(), empty.copy()
    pair = customer.astype(np.int64) * n_firms + supplier
    packed = _sort_packed(pair, n_firms * n_firms)
    ordered: npt.NDArray[np.integer[Any]]
    if packed is None:
        order = stable_order(pair, n_firms * n_firms)
        ordered = pair[order]
    else:
        ordered, order = packed[0] >> np.uint64(packed[1]), _rows(*packed)
    first = np.empty(ordered.size, dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    supply_link = np.empty(ordered.size, dtype=np.int32)
    supply_link[order] = np.cumsum(first, dtype=np.int32) - 1
    firsts = order[first]
    return supplier[firsts], customer[firsts], supply_link


def _int32(values: pl.Series) -> IntArray:
    return values.cast(pl.Int32).to_numpy().astype(np.int32, copy=False)


_FEW_IDS = 8


def _lookup(ids: list[str] | pl.Series, known: pl.Series, what: str) -> IntArray:
    wanted = pl.Series(ids, dtype=pl.String)
    if wanted.len() <= _FEW_IDS:
        # A scan per id beats building a hash table of all the known ids.
        found: list[int | None] = [
            None if value is None else known.index_of(value) for value in wanted
        ]
        codes = pl.Series(found, dtype=pl.Int64)
    else:
        index = known.to_frame("id").with_row_index("index")
        joined = wanted.to_frame("id").join(index, on="id", how="left", maintain_order="left")
        if joined.height != wanted.len():  # a repeated known id (an invalid dataset): the first
            index = index.unique("id", keep="first", maintain_order=True)
            joined = wanted.to_frame("id").join(index, on="id", how="left", maintain_order="left")
        codes = joined.get_column("index")
    if codes.null_count():
        unknown = wanted.filter(codes.is_null()).item(0)
        raise KeyError(f"no {what} {unknown!r} in the network")
    return _int32(codes)


CHAIN_SCHEMA = pl.Schema(
    {"program_id": pl.String(), "firm_id": pl.String(), "item_id": pl.String(), "tier": pl.Int32()}
)


def program_supply_chain(dataset: Dataset) -> pl.DataFrame:
    """Every (program, firm, item) of each program's supply chain, with its tier.

    Follows the meaning of DATASET.md: the prime makes the program's end item (tier 0); a firm
    that makes an item needs every `bom` child of it, and the firms that supply it that child
    (its `supplies` rows with the item) make the child one tier down. A firm that appears at
    several tiers keeps each (firm, item) once, at its shallowest tier; loops between firms
    end because a (program, firm, item) is visited once.

    Returns columns program_id, firm_id, item_id, tier (0 = prime, 1 = the prime's direct
    suppliers), sorted by program, tier, firm and item.

    >>> import polars as pl
    >>> ds = Dataset.from_frames({
    ...     "firms": pl.DataFrame({"firm_id": ["P", "S"], "name": ["P", "S"],
    ...                            "country": ["JP", "JP"]}),
    ...     "items": pl.DataFrame({"item_id": ["SYS", "PART"], "name": ["s", "p"],
    ...                            "kind": ["system", "component"]}),
    ...     "bom": pl.DataFrame({"parent_item_id": ["SYS"], "child_item_id": ["PART"],
    ...                          "quantity": [4.0]}),
    ...     "supplies": pl.DataFrame({"supplier_id": ["S"], "customer_id": ["P"],
    ...                               "item_id": ["PART"]}),
    ...     "programs": pl.DataFrame({"program_id": ["X"], "name": ["X"], "item_id": ["SYS"],
    ...                               "prime_id": ["P"]}),
    ... })
    >>> program_supply_chain(ds).rows()
    [('X', 'P', 'SYS', 0), ('X', 'S', 'PART', 1)]
    """
    key = ["program_id", "firm_id", "item_id"]
    frontier = dataset.programs.select(
        "program_id",
        pl.col("prime_id").alias("firm_id"),
        "item_id",
        pl.lit(0, dtype=pl.Int32).alias("tier"),
    ).unique(key)
    bom = dataset.bom.select("parent_item_id", "child_item_id").unique()
    supplies = (
        dataset.supplies.filter(pl.col("item_id").is_not_null())
        .select("supplier_id", "customer_id", "item_id")
        .unique()
    )
    found = [frontier]
    seen = frontier.select(key)
    while frontier.height:
        step = (
            frontier.join(bom, left_on="item_id", right_on="parent_item_id")
            .join(
                supplies, left_on=["firm_id", "child_item_id"], right_on=["customer_id", "item_id"]
            )
            .select(
                "program_id",
                pl.col("supplier_id").alias("firm_id"),
                pl.col("child_item_id").alias("item_id"),
                (pl.col("tier") + 1).alias("tier"),
            )
            .unique(key)
            .join(seen, on=key, how="anti")
        )
        found.append(step)
        seen = pl.concat([seen, step.select(key)])
        frontier = step
    # `found` starts with the primes' frame, so it is never empty, even without programs.
    return pl.concat(found).cast(CHAIN_SCHEMA).sort("program_id", "tier", "firm_id", "item_id")
