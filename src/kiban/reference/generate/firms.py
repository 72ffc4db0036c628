"""The firms of the generated programs: real contractors and synthetic sub-tier firms.

Real contractors carry public figures: revenue and defense revenue from the SIPRI Top 100
(`sipri_top100_japan.csv`, the latest year with a defense share, converted to yen at the rate
implied by SIPRI's own Japanese military expenditure in yen and dollars of that year,
`sipri_milex_japan.csv`), or else their latest MOD contract total (`top_contractors.csv`) as
defense revenue. Where they build is an assumption of the generator.

Synthetic firms get attributes drawn to match what is published:

- defense share of sales mostly a few percent, about 4-5% on average (4.4% in the 2014 White
  Paper chart, "about 5%" in 2016, "3% or less" in an ATLA survey: `defense_dependence.csv`),
  with a tail of small firms above 50% (JADI survey: 25 of 134 members; Defense of Japan 2020:
  "some small firms with important technologies");
- thin operating margins, around 2-5% and sometimes negative (industry view of a 2% realised
  margin against an 8% allowance before FY2023: `profit_rates.csv`);
- employees heavy-tailed (log-normal; most firms are small shops), revenue in proportion;
- owner succession, cybersecurity level, foreign ownership, final demand and the date of the
  last survey answer: assumptions, stated where they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from kiban.reference.generate.makers import FirmTable
from kiban.reference.generate.specs import REFERENCE_DATE
from kiban.reference.generate.vocabulary import (
    ELECTRONIC_SECTORS,
    FOREIGN_CORE,
    FOREIGN_COUNTRIES,
    FOREIGN_FIRST,
    JP_CORE,
    JP_FIRST,
    JP_TAIL,
    LEGAL_FORM,
    MATERIAL_SECTORS,
    PREFECTURES,
    REGION_BIAS,
)
from kiban.reference.tables import load

# Names of the SIPRI Top 100 and of the MOD contractor lists, as the generator names firms.
_SIPRI_NAMES = {
    "Mitsubishi Heavy Industries": "Mitsubishi Heavy Industries",
    "Kawasaki Heavy Industries": "Kawasaki Heavy Industries",
    "Mitsubishi Electric Corp.": "Mitsubishi Electric",
    "NEC Corp.": "NEC",
    "Fujitsu": "Fujitsu",
    "IHI Corp.": "IHI",
    "Toshiba Corp.": "Toshiba",
}
_CONTRACTOR_NAMES = {
    "Japan Steel Works (JSW)": "Japan Steel Works",
    "Subaru (Fuji Heavy Industries)": "Subaru",
}
_MILEX_EDITION = "2024 (data 1949-2024)"

# Main defense production site and trade of each real contractor (assumptions).
REAL_SITES: dict[str, tuple[str, str]] = {
    "Mitsubishi Heavy Industries": ("Aichi", "heavy machinery, aerospace and shipbuilding"),
    "Kawasaki Heavy Industries": ("Hyogo", "heavy machinery, aerospace and shipbuilding"),
    "Japan Marine United": ("Kanagawa", "shipbuilding"),
    "Mitsubishi Electric": ("Kanagawa", "electrical and electronic equipment"),
    "NEC": ("Tokyo", "communications and information systems"),
    "Fujitsu": ("Kanagawa", "communications and information systems"),
    "IHI": ("Tokyo", "heavy machinery and aero engines"),
    "IHI Aerospace": ("Gunma", "rocket propulsion"),
    "Subaru": ("Tochigi", "aircraft and motor vehicles"),
    "Japan Steel Works": ("Hiroshima", "steel forgings and machinery"),
    "Komatsu": ("Ishikawa", "construction machinery and ammunition"),
    "Hitachi": ("Ibaraki", "electrical and electronic equipment"),
    "Toshiba": ("Kanagawa", "electrical and electronic equipment"),
    "Daikin": ("Osaka", "air conditioning, chemicals and ammunition"),
}


@dataclass(frozen=True)
class RealFirm:
    """Public figures of a real contractor (None where unknown)."""

    name: str
    region: str
    sector: str
    revenue_jpy: float | None
    defense_revenue_jpy: float | None
    observed_at: date
    source: str


def real_firm(name: str) -> RealFirm:
    """The public figures of contractor `name` from the reference tables."""
    region, sector = REAL_SITES[name]
    milex = load("sipri_milex_japan").filter(pl.col("edition") == _MILEX_EDITION)
    yen_per_usd = {
        int(y): jpy / (usd * 1e6)
        for y, jpy, usd in milex.select("year", "local_currency_fy_jpy", "current_usd_m").rows()
    }
    sipri = (
        load("sipri_top100_japan")
        .with_columns(pl.col("company").replace_strict(_SIPRI_NAMES, default=None))
        .filter(
            (pl.col("company") == name)
            & pl.col("arms_share_pct").is_not_null()
            & pl.col("total_revenue_usd_m").is_not_null()
            & pl.col("year").is_in(list(yen_per_usd))
        )
        .sort("year")
    )
    if sipri.height:
        row = sipri.row(-1, named=True)
        year, rate = row["year"], yen_per_usd[row["year"]]
        return RealFirm(
            name,
            region,
            sector,
            revenue_jpy=round(row["total_revenue_usd_m"] * 1e6 * rate, -6),
            defense_revenue_jpy=round(row["arms_revenue_usd_m"] * 1e6 * rate, -6),
            # SIPRI publishes a year's Top 100 in December of the next year.
            observed_at=date(year + 1, 12, 1),
            source=(
                f"sipri_top100_japan.csv ({year}: arms share {row['arms_share_pct']}%), yen at "
                f"{rate:.1f}/USD implied by sipri_milex_japan.csv"
            ),
        )
    contracts = (
        load("top_contractors")
        .with_columns(pl.col("contractor").replace(_CONTRACTOR_NAMES))
        .filter(pl.col("contractor") == name)
        .sort("fiscal_year", pl.col("amount_jpy").is_not_null())
    )
    with_amount = contracts.filter(pl.col("amount_jpy").is_not_null())
    if with_amount.height:
        row = with_amount.row(-1, named=True)
        fy = row["fiscal_year"]
        return RealFirm(
            name,
            region,
            sector,
            revenue_jpy=None,
            defense_revenue_jpy=float(row["amount_jpy"]),
            observed_at=date(fy + 1, 3, 31),
            source=f"top_contractors.csv (FY{fy} MOD contracts, as defense revenue)",
        )
    fy = contracts["fiscal_year"].to_list()[-1] if contracts.height else REFERENCE_DATE.year - 1
    return RealFirm(
        name,
        region,
        sector,
        revenue_jpy=None,
        defense_revenue_jpy=None,
        observed_at=date(fy + 1, 3, 31),
        source=f"top_contractors.csv (FY{fy} rank; no amount published)",
    )


def _family(sector: str) -> str:
    if sector in ELECTRONIC_SECTORS:
        return "electronics"
    return "materials" if sector in MATERIAL_SECTORS else "machinery"


# Probability that a synthetic maker sits abroad, by the level of what it makes: tier-1
# subsystem makers are Japanese unless the spec says otherwise; deeper tiers and commodities
# import more (raw materials mostly). Assumptions, in line with an import share of equipment
# procurement of about 10-28% (procurement_mix.csv) rising down the chain.
FOREIGN_BY_LEVEL = {1: 0.0, 2: 0.04, 3: 0.08, 4: 0.13, 5: 0.2, 6: 0.6}
FOREIGN_CATALOG = {"electronics": 0.3, "machinery": 0.15, "materials": 0.22}


def draw_countries(rng: np.random.Generator, firms: FirmTable) -> None:
    """Countries of synthetic firms whose country is not set yet."""
    for i in range(len(firms)):
        if firms.country[i] is not None:
            continue
        family = _family(firms.sector[i])
        level = min(firms.level[i], 6)
        if firms.origin[i] == "catalog" and level < 6:
            p = (
                0.02
                if "service" in firms.sector[i] or "treatment" in firms.sector[i]
                else FOREIGN_CATALOG[family]
            )
        else:
            p = FOREIGN_BY_LEVEL[level]
        if rng.random() < p:
            weights = FOREIGN_COUNTRIES[family]
            codes = sorted(weights)
            w = np.array([weights[c] for c in codes], dtype=float)
            firms.country[i] = codes[int(rng.choice(len(codes), p=w / w.sum()))]
        else:
            firms.country[i] = "JP"


def _regions(rng: np.random.Generator, categories: list[str | None]) -> list[str]:
    """Prefectures of firms, weighted by manufacturing and by their program's category."""
    names = sorted(PREFECTURES)
    base = np.array([PREFECTURES[n] for n in names])
    out = np.empty(len(categories), dtype=object)
    keys = np.array([c or "" for c in categories], dtype=object)
    for category in sorted(set(keys.tolist())):
        at = np.flatnonzero(keys == category)
        bias = REGION_BIAS.get(category, {})
        w = base * np.array([bias.get(n, 1.0) for n in names])
        out[at] = np.array(names, dtype=object)[rng.choice(len(names), size=len(at), p=w / w.sum())]
    return out.tolist()


def _unique_names(
    rng: np.random.Generator, parts: tuple[tuple[str, ...], ...], n: int
) -> list[str]:
    """`n` distinct names joined from one word of each of `parts`; numbered once exhausted."""
    sizes = [len(p) for p in parts]
    total = int(np.prod(sizes))
    picks = rng.choice(total, size=min(n, total), replace=False)
    names = []
    for pick in picks.tolist():
        words = []
        for part, size in zip(reversed(parts), reversed(sizes), strict=True):
            pick, index = divmod(pick, size)
            words.append(part[index])
        names.append(" ".join(w for w in reversed(words) if w))
    names.extend(
        f"{names[i % len(names)]} No. {2 + i // len(names)}" for i in range(n - len(names))
    )
    return names


def draw_names(rng: np.random.Generator, firms: FirmTable) -> None:
    """Names of synthetic firms that fit their trade: Japanese-style in Japan ("Tanaka
    Seimitsu Kogyo Co., Ltd."), with the country's legal form abroad ("Meridian Metals GmbH")."""
    # Names are drawn without repeats within a group; groups cannot share a name because
    # their words differ (Japanese or foreign first word, trade word, legal form).
    groups: dict[tuple[str, str], list[int]] = {}
    for i in range(len(firms)):
        if firms.name[i] is None:
            country = str(firms.country[i])
            form = "JP" if country == "JP" else LEGAL_FORM.get(country, "Ltd.")
            groups.setdefault((form, _family(firms.sector[i])), []).append(i)
    for form, family in sorted(groups):
        members = groups[(form, family)]
        parts: tuple[tuple[str, ...], ...]
        if form == "JP":
            parts = (JP_FIRST, JP_CORE[family], JP_TAIL)
        else:
            parts = (FOREIGN_FIRST, FOREIGN_CORE[family], ("", "International", "Group"), (form,))
        for i, name in zip(members, _unique_names(rng, parts, len(members)), strict=True):
            firms.name[i] = name


def survey_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Dates of the last survey answer of `n` firms, over the three years before
    `REFERENCE_DATE`, half within the last year (an assumption): some answers are stale."""
    band = rng.choice(3, size=n, p=[0.55, 0.3, 0.15])
    age_days = band * 365 + rng.integers(0, 365, size=n)
    reference = np.datetime64(REFERENCE_DATE.isoformat(), "D")
    return reference - age_days.astype("timedelta64[D]")


# Median employees of a synthetic firm by origin and level (log-normal, sigma 1.1).
_MEDIAN_EMPLOYEES = {
    ("own", 1): 1500, ("own", 2): 300, ("own", 3): 90, ("own", 4): 30, ("own", 5): 60,
    ("catalog", 4): 500, ("catalog", 5): 900, ("catalog", 6): 3000,
}  # fmt: skip


def synthetic_attributes(
    rng: np.random.Generator,
    firms: FirmTable,
    synthetic: np.ndarray,
    defense_sales_jpy: np.ndarray,
) -> pl.DataFrame:
    """Drawn attributes of the synthetic firms `synthetic` (indices into `firms`).

    `defense_sales_jpy` is what each sells to the generated programs in a year: its defense
    revenue is at least that (defense revenue covers other defense work too), and a firm
    whose program sales would exceed its drawn revenue is made big enough to carry them.
    """
    n = len(synthetic)
    origin = [firms.origin[i] for i in synthetic]
    level = np.array([min(firms.level[i], 6) for i in synthetic])
    sector = [firms.sector[i] for i in synthetic]
    material = np.array([_family(s) == "materials" for s in sector])
    median = np.array(
        [_MEDIAN_EMPLOYEES.get((o, int(lv)), 60) for o, lv in zip(origin, level, strict=True)],
        dtype=float,
    )
    median[np.array(["service" in s or "treatment" in s or "testing" in s for s in sector])] = 40
    employees = np.maximum(1, np.round(rng.lognormal(np.log(median), 1.1))).astype(np.int64)
    # Sales per employee: about 25 million yen in machinery, twice that in materials.
    per_employee = rng.lognormal(np.log(np.where(material, 50e6, 25e6)), 0.35)
    revenue = employees * per_employee
    # Defense share: Beta(1.2, 40) (mean 2.9%), plus a tail of small firms above 50%.
    share = rng.beta(1.2, 40.0, size=n)
    tail = rng.random(n) < np.where(employees < 100, 0.02, 0.003)
    share[tail] = rng.uniform(0.5, 0.95, size=int(tail.sum()))
    defense = np.maximum(share * revenue, defense_sales_jpy)
    too_small = defense > 0.95 * revenue
    revenue[too_small] = defense[too_small] / rng.uniform(0.55, 0.95, size=int(too_small.sum()))
    employees = np.maximum(employees, np.round(revenue / per_employee)).astype(np.int64)
    revenue = np.round(revenue, -5)
    defense = np.minimum(np.round(defense, -3), revenue)
    margin = np.clip(rng.normal(0.035, 0.03, size=n), -0.25, 0.25).round(4)
    # Cybersecurity level 0-3 grows with size (assumption: few small shops meet the standard).
    size_class = np.searchsorted([50, 300, 1000], employees, side="right")
    cyber_p = np.array(
        [
            [0.35, 0.4, 0.2, 0.05],
            [0.15, 0.35, 0.35, 0.15],
            [0.05, 0.2, 0.45, 0.3],
            [0.0, 0.1, 0.4, 0.5],
        ]
    )
    cyber = (rng.random(n)[:, None] > np.cumsum(cyber_p, axis=1)[size_class, :3]).sum(axis=1)
    # No successor in many owner-run small firms (assumption); big firms are not owner-run.
    no_successor_p = np.select(
        [employees < 20, employees < 50, employees < 300], [0.45, 0.35, 0.15], 0.0
    )
    has_successor = [
        None if e >= 300 else bool(u >= p)
        for e, u, p in zip(employees, rng.random(n), no_successor_p, strict=True)
    ]
    japan = np.array([firms.country[i] == "JP" for i in synthetic])
    # Equity held outside the firm's own country (assumption).
    foreign_ownership = np.where(
        employees >= 300,
        rng.beta(1.2, 6.0, size=n),
        np.where(rng.random(n) < 0.05, rng.uniform(0.05, 0.35, size=n), 0.0),
    )
    foreign_ownership = np.where(japan, foreign_ownership, rng.beta(1.2, 8.0, size=n)).round(3)
    final_share = np.where(material, rng.beta(1.2, 10.0, size=n), rng.beta(1.5, 6.0, size=n))
    regions = _regions(rng, [firms.category[i] for i in synthetic])
    return pl.DataFrame(
        {
            "index": synthetic,
            "region": [r if j else None for r, j in zip(regions, japan, strict=True)],
            "employees": employees,
            "revenue_jpy": revenue,
            "defense_revenue_jpy": defense,
            "operating_margin": margin,
            "cyber_level": cyber,
            "has_successor": pl.Series(has_successor, dtype=pl.Boolean),
            "foreign_ownership": foreign_ownership,
            "final_demand_jpy": np.round(revenue * final_share, -5),
        }
    )


# Firms leaving defense work: over 100 firms in about 20 years (MOD figure, withdrawals.csv)
# and a net fall of 173 direct MOD suppliers from 4,568 in 2013 to 4,395 in 2022 (TDB,
# defense_dependence.csv), about 0.4% a year. We mark 0.8% of synthetic firms as withdrawing
# (an exit spans years, so more are on their way out than leave in one year) and 0.1% as
# exited (still listed as makers by stale answers; never anyone's only source).
WITHDRAWING_SHARE = 0.008
EXITED_SHARE = 0.001


def draw_exited(rng: np.random.Generator, candidates: np.ndarray, n_synthetic: int) -> np.ndarray:
    """Exited firms among `candidates` (firms whose every item has another maker)."""
    n = min(len(candidates), max(1, round(EXITED_SHARE * n_synthetic)))
    return np.sort(rng.choice(candidates, size=n, replace=False)) if n else candidates[:0]


def draw_withdrawing(rng: np.random.Generator, firms: pl.DataFrame) -> np.ndarray:
    """Withdrawing firms among synthetic active firms (`index`, `employees`,
    `operating_margin`): small firms with thin margins leave more often."""
    n = max(1, round(WITHDRAWING_SHARE * firms.height))
    small = firms["employees"].to_numpy() < 100
    thin = firms["operating_margin"].to_numpy() < 0.01
    weights = (1.0 + small) * (1.0 + thin)
    chosen = rng.choice(
        firms.height, size=min(n, firms.height), replace=False, p=weights / weights.sum()
    )
    return np.sort(firms["index"].to_numpy()[chosen])
