"""The supply network of a dataset, compiled into arrays, as analyses see it.

`SupplyNetwork.build(dataset)` turns ids into int32 indices once and lays the supplies out in
compressed sparse row (CSR) form, by customer and by supplier, with a firm-level graph of the
distinct supplier -> customer links and the bill of materials by parent item. Every analysis
takes a `SupplyNetwork` and reuses these arrays instead of joining tables again.

`program_supply_chain` is the plain polars traversal of a dataset that summaries use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from kiban.dataset import Dataset

IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

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
        """Group row numbers 0..len(keys)-1 by `keys` (then by `then`, if given), stably."""
        by = [pl.Series("key", keys)]
        if then is not None:
            by.append(pl.Series("then", then))
        order = _int32(
            pl.DataFrame(by)
            .with_row_index("row")
            .sort(by=[s.name for s in by], maintain_order=True, multithreaded=True)
            .get_column("row")
        )
        counts = np.bincount(keys, minlength=n_keys)
        indptr = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr=indptr, order=order)

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
    of one item to one customer are adjacent), `by_supplier` by supplier; `bom` groups bom
    rows by parent item, with `bom_child[r]` and `bom_quantity[r]`.

    Firm-level view: `links` holds each distinct (supplier, customer) pair once, as arrays
    `link_supplier`/`link_customer`, grouped by customer in `links_in` and by supplier in
    `links_out`; the item-level rows map to it through `supply_link[k]`.

    `can_produce[i]` is false for firms whose status is `exited`. A `withdrawing` firm still
    produces; analyses flag it separately (DATASET.md's "active" read as "not exited").

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
    by_supplier: Csr
    bom_parent: IntArray
    bom_child: IntArray
    bom_quantity: FloatArray
    bom: Csr
    link_supplier: IntArray
    link_customer: IntArray
    supply_link: IntArray
    links_in: Csr
    links_out: Csr
    can_produce: BoolArray
    program_prime: IntArray
    program_item: IntArray

    @classmethod
    def build(cls, dataset: Dataset) -> SupplyNetwork:
        """Compile `dataset`, which must be valid (`kiban.validate`): every reference resolves.

        Cost: a hash lookup per id and a sort of the supplies, O(m log m) for m supplies;
        about a second for 1M firms and 5M supplies (benchmarks/bench_network.py).
        """
        firm_ids = dataset.firms.get_column("firm_id")
        item_ids = dataset.items.get_column("item_id")
        n_firms, n_items = firm_ids.len(), item_ids.len()

        codes = dataset.supplies.select(
            _coded("supplier_id", firm_ids),
            _coded("customer_id", firm_ids),
            _coded("item_id", item_ids),
        )
        supplier, customer, item = (_int32(codes.to_series(i)) for i in range(3))
        bom_codes = dataset.bom.select(
            _coded("parent_item_id", item_ids), _coded("child_item_id", item_ids)
        )
        bom_parent, bom_child = (_int32(bom_codes.to_series(i)) for i in range(2))
        program_codes = dataset.programs.select(
            _coded("prime_id", firm_ids), _coded("item_id", item_ids)
        )

        # Distinct firm-level links, numbered in (customer, supplier) order, so that the
        # links of one customer are contiguous.
        pair = pl.Series(customer.astype(np.int64) * max(n_firms, 1) + supplier)
        supply_link = _int32(pair.rank("dense") - 1) if pair.len() else supplier.copy()
        link_pairs = pair.unique().sort().to_numpy()
        link_customer = (link_pairs // max(n_firms, 1)).astype(np.int32)
        link_supplier = (link_pairs % max(n_firms, 1)).astype(np.int32)

        return cls(
            dataset=dataset,
            firm_ids=firm_ids,
            item_ids=item_ids,
            supplier=supplier,
            customer=customer,
            item=item,
            by_customer=Csr.group(customer, n_firms, then=item),
            by_supplier=Csr.group(supplier, n_firms),
            bom_parent=bom_parent,
            bom_child=bom_child,
            bom_quantity=dataset.bom.get_column("quantity").to_numpy().astype(np.float64),
            bom=Csr.group(bom_parent, n_items),
            link_supplier=link_supplier,
            link_customer=link_customer,
            supply_link=supply_link,
            links_in=Csr.group(link_customer, n_firms),
            links_out=Csr.group(link_supplier, n_firms),
            can_produce=(dataset.firms.get_column("status") != "exited").to_numpy(),
            program_prime=_int32(program_codes.to_series(0)),
            program_item=_int32(program_codes.to_series(1)),
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


def _coded(column: str, ids: pl.Series) -> pl.Expr:
    """Expression: the index in `ids` of each value of `column`; NO_ITEM (-1) for nulls."""
    index = pl.int_range(ids.len(), dtype=pl.Int32, eager=True)
    return (
        pl.col(column)
        .replace_strict(ids, index, default=None, return_dtype=pl.Int32)
        .fill_null(NO_ITEM)
    )


def _int32(values: pl.Series) -> IntArray:
    return values.cast(pl.Int32).to_numpy().astype(np.int32, copy=False)


def _lookup(ids: list[str] | pl.Series, known: pl.Series, what: str) -> IntArray:
    wanted = pl.Series(ids, dtype=pl.String)
    codes = wanted.cast(pl.Enum(known), strict=False).to_physical()
    if codes.null_count() > wanted.null_count():
        unknown = wanted.filter(codes.is_null() & wanted.is_not_null()).item(0)
        raise KeyError(f"no {what} {unknown!r} in the network")
    return codes.cast(pl.Int32).to_numpy().astype(np.int32, copy=False)


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
