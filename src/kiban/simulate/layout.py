"""Where each link's order and delivery are kept: in slots grouped by supplier bucket.

A day of the propagation model reads every link twice, once from its customer's side (take in
the delivery, place the order) and once from its supplier's side (sum the orders, deliver).
Links are stored by customer, so one of the two sides reads them scattered: on a national
network that is one cache miss per link, about half of the day's time.

Here the order and delivery of each link live in a *slot*. The suppliers are cut into
buckets of about `BUCKET_LINKS` links each (consecutive firms, whole suppliers), and the
slots of a bucket are its links in link order. The customer pass, which walks the links in
order, then writes into each bucket's slots in order: as many sequential streams as there are
buckets, each line filled before the next is touched. The supplier pass works one bucket at
a time, and a bucket's slots and firms fit in a core's cache, so its reads and writes there
are cache hits. This is propagation blocking (Beamer, Asanović and Patterson, "Reducing
PageRank communication via propagation blocking", IPDPS 2017) with the bins laid out once,
since the network does not change during a run.

A supplier's slots, in `sup_slot[sup_start[j]:sup_start[j + 1]]`, are in link order: summing
its orders over them or over its slots as a bucket lays them out gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IndexArray = npt.NDArray[np.int32]
IntArray = npt.NDArray[np.int64]

BUCKET_LINKS = 8192
"""Links per supplier bucket: a bucket's slots (two float32 and a supplier index each, about
100 KB) and its firms stay in a core's L2 cache. On the national network (1M firms, 2 cores)
a day took 34.6 ms at 8,192, 38 ms at 4,096 and at 16,384, and 54 ms at 2,048, where each
thread of the customer pass writes to too many buckets at once (measured)."""


@dataclass(frozen=True, eq=False)
class SlotLayout:
    """The slots of a network's links (see the module).

    `slot[l]`: the slot of link l; `link[s]`: the link in slot s; `supplier[s]`: its
    supplier; `sup_slot`: each supplier's slots in link order, delimited by the model's
    `sup_start`. Bucket b holds suppliers `bucket_firm[b]:bucket_firm[b + 1]` and slots
    `bucket_slot[b]:bucket_slot[b + 1]`.
    """

    slot: IndexArray
    link: IndexArray
    supplier: IndexArray
    sup_slot: IndexArray
    bucket_firm: IntArray
    bucket_slot: IntArray

    @property
    def n_buckets(self) -> int:
        return int(self.bucket_firm.size - 1)


def bucket_layout(
    supplier: npt.NDArray[np.integer[Any]],
    sup_order: npt.NDArray[np.integer[Any]],
    sup_start: npt.NDArray[np.integer[Any]],
    bucket_links: int = BUCKET_LINKS,
) -> SlotLayout:
    """The slots of links with suppliers `supplier` (firms 0 to n - 1, `sup_start` of size
    n + 1), `sup_order` the links by supplier in link order, in buckets of about
    `bucket_links` links. Cost: a stable sort of the links, O(m log m)."""
    n, m = sup_start.size - 1, supplier.size
    buckets = max(1, -(-m // bucket_links))
    # cut where the running link count passes each multiple of m / buckets; a supplier
    # with more links than that gets a bucket of its own
    cuts = np.searchsorted(sup_start, np.linspace(0, m, buckets + 1)[1:-1], side="left")
    bucket_firm = np.unique(np.r_[0, cuts, n]).astype(np.int64)
    bucket = np.searchsorted(bucket_firm, supplier, side="right") - 1
    link = np.argsort(bucket, kind="stable").astype(np.int32)
    slot = np.empty(m, dtype=np.int32)
    slot[link] = np.arange(m, dtype=np.int32)
    bucket_slot = np.searchsorted(bucket[link], np.arange(bucket_firm.size)).astype(np.int64)
    return SlotLayout(
        slot=slot,
        link=link,
        supplier=np.asarray(supplier, dtype=np.int32)[link],
        sup_slot=slot[sup_order],
        bucket_firm=bucket_firm,
        bucket_slot=bucket_slot,
    )


def single_bucket(supplier: IndexArray, sup_order: IndexArray, n_firms: int) -> SlotLayout:
    """Every link in one bucket, slot = link; `supplier` and `sup_order` are shared, not
    copied. For runs that move links between suppliers (substitution): the slots of a link
    never move, and the kernels regroup `sup_order` in place when links move."""
    m = supplier.size
    identity = np.arange(m, dtype=np.int32)
    return SlotLayout(
        slot=identity,
        link=identity,
        supplier=supplier,
        sup_slot=sup_order,
        bucket_firm=np.array([0, n_firms], dtype=np.int64),
        bucket_slot=np.array([0, m], dtype=np.int64),
    )
