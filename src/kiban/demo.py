"""`kiban demo`: the main job, from nothing to a readable picture of the demo programs.

The demo builds the embedded store from generated programs, then prints a series of
sections. Each section is a function of a `DemoContext`; later capabilities (risk,
simulation, economics, plans, reports) add theirs to `SECTIONS` rather than editing the others.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from kiban.dataset import Dataset
from kiban.errors import ConflictError
from kiban.network import SupplyNetwork
from kiban.store import ImportResult, Store, open_store
from kiban.terminal import program_summary_view, rich_table


@dataclass(frozen=True)
class DemoContext:
    """What every demo section may use: where to print, the store and what it holds."""

    console: Console
    store: Store
    dataset: Dataset
    imported: ImportResult
    seed: int


Section = Callable[[DemoContext], None]


def _db_option(ctx: DemoContext) -> str:
    """` --db URL` for a suggested command, or nothing for the default store."""
    url = ctx.store.url
    return "" if url.endswith("///kiban.db") else f" --db {url}"


def _print_question(console: Console, question: str, rest: str, lines: list[str]) -> None:
    """A section that answers a question: `question` in bold (then `rest`), wrapped to the
    console's width, and each of `lines` as an indented paragraph. Words are never broken, so
    a command with a long store URL can still be copied."""
    width = max(40, console.width)
    console.print()
    title = Text(textwrap.fill(question + rest, width, break_long_words=False))
    title.stylize("bold", 0, len(question))
    console.print(title)
    for line in lines:
        wrapped = textwrap.fill(
            line, width, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False,
            break_long_words=False,
        )  # fmt: skip
        console.print(Text(wrapped))


def section_store(ctx: DemoContext) -> None:
    info = ctx.store.info()
    verb = "built" if ctx.imported.changed else "already up to date"
    ctx.console.print(f"\n[bold]Demo store[/] {escape(info.url)}: {verb}.", markup=True)
    counts = ", ".join(f"{n:,} {t}" for t, n in info.row_counts.items())
    ctx.console.print(f"It holds {counts}.")


def program_overview(dataset: Dataset) -> pl.DataFrame:
    """One row per program: prime, firms and tiers of its supply chain, foreign share."""
    from kiban.network import program_supply_chain

    chain = program_supply_chain(dataset)
    firms = dataset.firms.select("firm_id", "country", "status")
    per_firm = chain.group_by("program_id", "firm_id").agg(pl.col("tier").min())
    stats = (
        per_firm.join(firms, on="firm_id", how="left")
        .group_by("program_id")
        .agg(
            pl.len().alias("firms"),
            pl.col("tier").max().alias("tiers"),
            (pl.col("country") != "JP").mean().mul(100).round(1).alias("foreign_firms_pct"),
            (pl.col("status") != "active").sum().alias("leaving_firms"),
        )
    )
    items = chain.group_by("program_id").agg(pl.col("item_id").n_unique().alias("items"))
    primes = dataset.firms.select(
        pl.col("firm_id").alias("prime_id"), pl.col("name").alias("prime")
    )
    return (
        dataset.programs.select("program_id", "name", "prime_id")
        .join(primes, on="prime_id", how="left")
        .join(stats, on="program_id", how="left")
        .join(items, on="program_id", how="left")
        .select(
            "program_id",
            "name",
            "prime",
            "firms",
            "tiers",
            "items",
            "foreign_firms_pct",
            "leaving_firms",
        )
        .sort("program_id")
    )


def section_programs(ctx: DemoContext) -> None:
    overview = program_overview(ctx.dataset).select(
        pl.col("name").alias("program"),
        "prime",
        "firms",
        "tiers",
        "items",
        pl.col("foreign_firms_pct").alias("foreign %"),
        pl.col("leaving_firms").alias("leaving"),
    )
    ctx.console.print(rich_table(overview, "Programs and their supply chains", thousands=True))
    ctx.console.print(
        "firms: distinct firms in the chain, prime included; tiers: deepest tier (1 = the "
        "prime's direct suppliers); foreign %: firms producing outside Japan; leaving: firms "
        "withdrawing from or out of defense work.\n"
        "Primes are real contractors with public figures; sub-tier firms are synthetic "
        "(flagged synthetic=true), drawn to match published statistics."
    )


def section_risk(ctx: DemoContext) -> None:
    """Headline risks of each program, as `kiban risk summary` shows them."""
    from kiban.reference.programs import REFERENCE_DATE
    from kiban.risk.config import load_demo_config
    from kiban.risk.scores import firm_risk
    from kiban.risk.staleness import data_age
    from kiban.risk.summary import program_summary

    network = SupplyNetwork.build(ctx.dataset)
    config = load_demo_config()
    # The generated data were "surveyed" up to the generator's reference date; measuring
    # their age from today would call every link stale.
    as_of = REFERENCE_DATE
    summary = program_summary(network, config, as_of=as_of)
    ctx.console.print(rich_table(program_summary_view(summary), "Headline risks", thousands=True))
    age = data_age(network, as_of=as_of, max_age_days=config.stale_after_days)
    ctx.console.print(
        "SPOF: firms whose exit alone stops the program; sole src: items with one source that "
        "no other firm makes; foreign %: share of the chain's annual value made abroad; "
        f"fragile: suppliers with fragility >= {config.archetypes.fragile_supplier_at:g} of 5; "
        f"stale: links older than 13 months. {age.describe()}."
    )
    riskiest = (
        firm_risk(network, config, as_of=as_of)
        .sort(["risk", "criticality"], descending=True, nulls_last=True)
        .head(5)
        .select("firm_id", "name", "fragility", "criticality", "risk_level", "spof_programs")
    )
    ctx.console.print(rich_table(riskiest, "Riskiest suppliers (fragility x criticality)"))
    worst = riskiest.get_column("firm_id")[0]
    ctx.console.print(
        f"Why: kiban risk explain {worst} --as-of {as_of}    "
        f"Who stops a program: kiban risk spof -p destroyer --as-of {as_of}"
    )


SIMULATED_PROGRAM = "destroyer"
SIMULATED_DAYS = 120


def section_simulation(ctx: DemoContext) -> None:
    """What the exit of one small deep supplier does, as `kiban simulate --exit` shows it.

    The firm is the destroyer's deepest single point of failure (the first by id at the
    deepest tier): the static view says which programs stop, the dynamic model how much
    output the network loses over 120 days, and how much of it is indirect.
    """
    from kiban.reference.formatting import format_jpy
    from kiban.risk.spof import single_points_of_failure
    from kiban.simulate.propagation import Model
    from kiban.simulate.scenario import shortcut_scenario
    from kiban.simulate.static import static_impact

    network = SupplyNetwork.build(ctx.dataset)
    if SIMULATED_PROGRAM not in network.program_ids.to_list():
        return
    spof = single_points_of_failure(network, SIMULATED_PROGRAM).filter(pl.col("tier") > 0)
    if not spof.height:
        return
    firm = spof.sort(["tier", "firm_id"], descending=[True, False]).row(0, named=True)
    scenario = shortcut_scenario(exit=[firm["firm_id"]], days=SIMULATED_DAYS)
    impact = static_impact(network, scenario)
    with ctx.console.status(f"simulating {SIMULATED_DAYS} days..."):
        result = Model.build(network).run(scenario, keep_firm_output=False)
    summary = result.summary()
    chain = result.programs.filter(program_id=SIMULATED_PROGRAM).row(0, named=True)
    direct, indirect = result.direct_loss_jpy, result.indirect_loss_jpy
    times = f", {indirect / direct:.0f} times as much" if direct > 0 and indirect > 0 else ""
    if result.days_to_recover is None:
        recovered = f"total output is still below 99% after {SIMULATED_DAYS} days"
    elif result.days_to_recover == 0:
        recovered = "total output never falls below 99%"
    else:
        recovered = f"total output is back to 99% {result.days_to_recover} days after the exit"
    db = _db_option(ctx)
    question = "What if one supplier stops?"
    who = (
        f" {firm['name'] or ''} ({firm['firm_id']}), tier {firm['tier']}, the "
        f"{SIMULATED_PROGRAM}'s deepest single point of failure, leaves on day 0."
    )
    lines = [
        f"Programs that can no longer be made: {', '.join(impact.stopped_programs) or 'none'}.",
        f"In {SIMULATED_DAYS} days the network loses {format_jpy(result.output_loss_jpy)} JPY "
        f"of output ({summary['loss_share']:.1%}): {format_jpy(direct)} of it the firm's own "
        f"capacity (direct), {format_jpy(indirect)} at its customers and theirs "
        f"(indirect{times}).",
        f"The {SIMULATED_PROGRAM}'s supply chain falls to {chain['lowest_share']:.1%} of its "
        f"output at the lowest; {recovered}.",
        f"Try: kiban simulate --exit {firm['firm_id']} --days {SIMULATED_DAYS}{db}",
    ]
    _print_question(ctx.console, question, who, lines)


EXPORTED_PROGRAM, EXPORTED_UNITS = "fighter", 6


def section_economics(ctx: DemoContext) -> None:
    """What an export order of six fighters does to the unit cost the ministry pays, the
    maker's margin and its suppliers, as `kiban econ exports` shows it (the cost structure
    comes from kiban's stated assumptions: docs/economics.md)."""
    from kiban.econ.trade import export_study
    from kiban.terminal import export_study_lines

    if EXPORTED_PROGRAM not in ctx.dataset.programs["program_id"].to_list():
        return
    report = export_study(ctx.dataset, EXPORTED_PROGRAM, EXPORTED_UNITS)
    db = _db_option(ctx)
    question = "What would an export order do?"
    lines = [
        *export_study_lines(report["summary"]),
        f"Try: kiban econ exports --program {EXPORTED_PROGRAM} --quantity {EXPORTED_UNITS}{db}",
    ]
    _print_question(ctx.console, question, "", lines)


PLAN_GAP, PLAN_TIME_LIMIT_S = 0.01, 20.0


def section_plan(ctx: DemoContext) -> None:
    """What the FY2022 earmark and the most recent enacted support budget buy against the
    demo programs' single points of failure, as `kiban plan --budget` shows it (solved to a 1%
    gap, at most 20 s each, so the demo stays quick; the command solves to 0.01%)."""
    from kiban.econ.budget import earmarks
    from kiban.plan.actions import candidate_actions
    from kiban.plan.optimize import solve_plan
    from kiban.reference.formatting import format_jpy

    network = SupplyNetwork.build(ctx.dataset)
    found = candidate_actions(network)
    if not found.risks:
        return
    marks = earmarks()
    fy2022 = next(e for e in marks if e.fiscal_year == 2022 and e.status == "unverified")
    latest = max((e for e in marks if e.status == "budget"), key=lambda e: e.fiscal_year)
    db = _db_option(ctx)
    lines = []
    for mark, name in (
        (fy2022, "the FY2022 earmark"),
        (latest, f"the FY{latest.fiscal_year} budget"),
    ):
        with ctx.console.status(f"planning at {format_jpy(mark.amount_jpy)} JPY..."):
            plan = solve_plan(
                found.problem(mark.amount_jpy), mip_gap=PLAN_GAP, time_limit_s=PLAN_TIME_LIMIT_S
            )
        share = plan.risk_reduction_jpy / plan.risk_before_jpy if plan.risk_before_jpy else 0.0
        quality = "optimal" if plan.status == "optimal" else f"within {plan.mip_gap:.1%}"
        lines.append(
            f"At {name} ({format_jpy(mark.amount_jpy)} JPY): {len(plan.chosen):,} actions "
            f"remove {share:.0%} of the {format_jpy(plan.risk_before_jpy)} JPY a year of program "
            f"output at risk, and {len(plan.removed):,} of {len(found.risks):,} single points "
            f"of failure ({quality})."
        )
    lines.append(f"Try: kiban plan curve --program fighter{db}   (enough or not, budget by budget)")
    _print_question(ctx.console, "What would the support budget buy?", "", lines)


def section_reference(ctx: DemoContext) -> None:
    from kiban.reference import load

    budget = load("defense_budget").sort("fiscal_year")
    latest = budget.filter(pl.col("status") == "enacted").row(-1, named=True)
    fy2022 = budget.filter(pl.col("fiscal_year") == 2022).row(0, named=True)
    total = "incl_total_jpy"
    ctx.console.print(
        "\n[bold]Japan's defense budget[/] (initial budget, total including SACO and US-forces "
        f"realignment): FY2022 {fy2022[total] / 1e12:.2f} trillion yen, "
        f"FY{latest['fiscal_year']} {latest[total] / 1e12:.2f} trillion yen. "
        "Both bases, with sources: kiban facts budget",
        markup=True,
    )


def section_next(ctx: DemoContext) -> None:
    db = _db_option(ctx)
    ctx.console.print("\n[bold]Try next[/]", markup=True)
    for command, what in [
        (f"kiban info{db}", "what the store holds and who imported it"),
        ("kiban facts", "Japan's public figures with sources (budget, fms, sipri, ...)"),
        ("kiban econ budget support", "money for the industrial base against the FY2022 earmark"),
        (f"kiban export demo-export --format xlsx{db}", "the demo dataset as a workbook"),
        ("kiban template survey.xlsx", "a survey workbook for a supplier to fill in"),
        ("kiban generate programs my-data --seed 2", "another generated dataset"),
        (
            "kiban validate my-data && kiban import my-data --db sqlite:///mine.db",
            "check and store a dataset",
        ),
    ]:
        ctx.console.print(f"  {command:<62} {what}")


SECTIONS: list[Section] = [
    section_store,
    section_programs,
    section_risk,
    section_simulation,
    section_economics,
    section_plan,
    section_reference,
    section_next,
]


def run_demo(console: Console, db: str | None, *, seed: int = 1) -> None:
    """Generate the demo programs, import them into the store at `db` and print each section."""
    from kiban.reference.programs import generate_programs

    with console.status("generating the demo programs..."):
        generated = generate_programs(seed)
    with open_store(db, create=True) as store:
        with console.status("validating and importing..."):
            try:
                imported = store.import_dataset(
                    generated, actor="kiban demo", source=f"kiban demo --seed {seed}"
                )
            except ConflictError as error:
                raise ConflictError(
                    f"{error}\nThe store already holds other data; run the demo on its own "
                    "store, e.g. `kiban demo --db sqlite:///demo.db`."
                ) from None
            dataset = store.dataset()
        ctx = DemoContext(
            console=console, store=store, dataset=dataset, imported=imported, seed=seed
        )
        for section in SECTIONS:
            section(ctx)
