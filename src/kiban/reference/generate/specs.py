"""The six generated programs: prime, tier-1 subsystems and the figures they are sized to.

Supplier-firm counts come from `program_supplier_counts.csv` where a public figure exists
(fighter, tank, destroyer, missile); the submarine and radar counts are assumptions. Primes and
tier-1 makers are real top contractors (`top_contractors.csv`, `sipri_top100_japan.csv`);
which contractor makes which subsystem is a plausible assignment of the generator, not a
published contract. Unit prices and annual quantities are public-scale assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kiban.reference.tables import load

REFERENCE_DATE = date(2025, 3, 31)
"""The "as of" date of generated data (end of Japanese fiscal year 2024): `observed_at` dates
are drawn over the three years before it, so the same seed always gives the same dates."""

MHI = "Mitsubishi Heavy Industries"
KHI = "Kawasaki Heavy Industries"
MELCO = "Mitsubishi Electric"
JMU = "Japan Marine United"


@dataclass(frozen=True)
class Subsystem:
    """A tier-1 item of a program: what it is, what it is made of and who makes it.

    `maker` is a real contractor's name, `foreign:CC` for a synthetic maker in country CC,
    or None for a synthetic Japanese maker. `weight` is the subsystem's share of the
    program's sub-tier items (and of its cost); `kind="software"` is a leaf.
    """

    name: str
    domain: str
    maker: str | None = None
    quantity: float = 1.0
    weight: float = 1.0
    kind: str = "assembly"


@dataclass(frozen=True)
class ProgramSpec:
    """One generated program.

    `firms_basis` names the row of `program_supplier_counts.csv` (program, year_or_basis)
    whose `firms_approx` sizes the program; without one, `firms_assumed` does.
    """

    program_id: str
    name: str
    short: str
    category: str
    prime: str
    annual_quantity: float
    unit_price_jpy: float
    subsystems: tuple[Subsystem, ...]
    firms_basis: tuple[str, str] | None = None
    firms_assumed: int = 0
    designated: bool = True

    def firms_target(self, counts: pl.DataFrame) -> int:
        """Supplier firms the program should have at scale 1 (prime included)."""
        if self.firms_basis is None:
            return self.firms_assumed
        program, basis = self.firms_basis
        row = counts.filter((pl.col("program") == program) & (pl.col("year_or_basis") == basis))
        return int(row["firms_approx"].item())


_S = Subsystem

FIGHTER = ProgramSpec(
    program_id="fighter",
    name="Fighter aircraft",
    short="fighter",
    category="aircraft",
    prime=MHI,
    # ~1,100 firms: Defense of Japan 2020 (program_supplier_counts.csv, fighter).
    firms_basis=("fighter", "White Paper 2020"),
    annual_quantity=12,
    # Same order as the F-35A FY2018 unit price of 13.1 billion yen (cost_premiums.csv);
    # the quantity is an assumption.
    unit_price_jpy=13.1e9,
    subsystems=(
        _S("Forward fuselage", "structure", weight=1.4),
        _S("Centre and rear fuselage", "structure", KHI, weight=1.4),
        _S("Main wing", "structure", "Subaru", weight=1.5),
        _S("Tail assembly", "structure", weight=0.6),
        _S("Turbofan engine", "propulsion", "IHI", weight=2.0),
        _S("AESA fire-control radar", "electronics", MELCO, weight=1.4),
        _S("Mission computer and avionics", "electronics", "Fujitsu", weight=1.0),
        _S("Communications and datalink", "electronics", "NEC", weight=0.8),
        _S("Electronic warfare suite", "electronics", MELCO, weight=0.8),
        _S("Flight control system", "mechanical", weight=0.8),
        _S("Landing gear", "mechanical", weight=0.7),
        _S("Hydraulic and fuel systems", "mechanical", weight=0.8),
        _S("Ejection seat", "mechanical", "foreign:GB", weight=0.3),
        _S("Infrared search and track sensor", "optics", weight=0.4),
        _S("Operational flight program", "software", kind="software", weight=0.5),
    ),
)

TANK = ProgramSpec(
    program_id="tank",
    name="Main battle tank (Type 10 class)",
    short="tank",
    category="vehicles",
    prime=MHI,
    # ~1,300 firms: Defense of Japan 2020 (program_supplier_counts.csv, tank).
    firms_basis=("tank", "White Paper 2020"),
    annual_quantity=10,
    unit_price_jpy=1.4e9,  # assumption, public order of a Type 10 tank
    subsystems=(
        _S("Hull and armour", "structure", weight=2.0),
        _S("Turret structure", "structure", weight=1.0),
        _S("120 mm main gun", "weapons", "Japan Steel Works", weight=0.8),
        _S("Diesel power pack", "propulsion", weight=1.5),
        _S("Continuously variable transmission", "mechanical", weight=0.8),
        _S("Track and suspension", "mechanical", "Komatsu", weight=1.2),
        _S("Active suspension hydraulics", "mechanical", weight=0.5),
        _S("Fire-control system", "electronics", MELCO, weight=1.0),
        _S("Thermal sights", "optics", "Fujitsu", weight=0.6),
        _S("C4I vehicle system", "electronics", "NEC", weight=0.6),
        _S("Auxiliary power unit", "power", weight=0.4),
        _S("Vehicle control software", "software", kind="software", weight=0.3),
    ),
)

DESTROYER = ProgramSpec(
    program_id="destroyer",
    name="Destroyer (DD)",
    short="destroyer",
    category="ships",
    prime=JMU,
    # ~8,300 firms: Shipbuilders' Association of Japan survey, cited in Defense of Japan 2020
    # (program_supplier_counts.csv, destroyer; other sources say 2,500 or 7,000).
    firms_basis=("destroyer", "White Paper 2020"),
    annual_quantity=1,
    unit_price_jpy=75e9,  # assumption, public order of a general-purpose destroyer
    subsystems=(
        _S("Hull blocks and superstructure", "structure", weight=4.0),
        _S("Outfitting and accommodation", "structure", weight=1.2),
        _S("Gas turbine engines", "propulsion", "IHI", quantity=4, weight=1.5),
        _S("Reduction gears and shafting", "propulsion", KHI, quantity=2, weight=1.0),
        _S("Diesel generator sets", "power", quantity=3, weight=1.0),
        _S("Power distribution and switchboards", "power", "Hitachi", weight=1.0),
        _S("Electric cabling", "power", weight=1.5),
        _S("Combat management system", "electronics", MELCO, weight=1.4),
        _S("Multi-function radar", "electronics", MELCO, weight=1.4),
        _S("Navigation radar and systems", "electronics", "Toshiba", weight=0.6),
        _S("Sonar system", "electronics", "NEC", weight=1.0),
        _S("Communications system", "electronics", "Fujitsu", weight=0.8),
        _S("127 mm gun mount", "weapons", "Japan Steel Works", weight=0.6),
        _S("Vertical launching system", "weapons", "foreign:US", weight=0.5),
        _S("Close-in weapon system", "weapons", "foreign:US", quantity=2, weight=0.3),
        _S("HVAC and auxiliary machinery", "mechanical", weight=1.5),
        _S("Piping, valves and fluid systems", "mechanical", weight=2.0),
        _S("Steering gear and stabilisers", "mechanical", weight=0.6),
        _S("Damage control and firefighting", "mechanical", weight=0.5),
        _S("Combat system software", "software", kind="software", weight=0.5),
    ),
)

SUBMARINE = ProgramSpec(
    program_id="submarine",
    name="Submarine",
    short="submarine",
    category="ships",
    prime=KHI,
    firms_assumed=1400,  # assumption: no public count in program_supplier_counts.csv
    annual_quantity=1,
    unit_price_jpy=80e9,  # assumption, public order of a Japanese submarine
    subsystems=(
        _S("Pressure hull sections", "structure", weight=2.5),
        _S("Lithium-ion battery system", "power", weight=1.5),
        _S("Diesel generator sets", "power", quantity=2, weight=0.8),
        _S("Main propulsion motor", "power", "Toshiba", weight=0.8),
        _S("Propeller and shafting", "propulsion", weight=0.5),
        _S("Sonar suite", "electronics", "NEC", weight=1.2),
        _S("Combat management system", "electronics", MELCO, weight=1.0),
        _S("Communications system", "electronics", "Fujitsu", weight=0.6),
        _S("Periscope and optronic mast", "optics", weight=0.5),
        _S("Torpedo tubes and handling", "weapons", weight=0.6),
        _S("Hydraulic and air systems", "mechanical", weight=1.2),
        _S("Snorkel and masts", "mechanical", weight=0.5),
        _S("Submarine control software", "software", kind="software", weight=0.3),
    ),
)

MISSILE = ProgramSpec(
    program_id="missile",
    name="Surface-to-air missile (Patriot class)",
    short="missile",
    category="ammunition",
    prime=MHI,
    # ~1,200 firms: Patriot missile, 2007 figure quoted in Japan Times 2013
    # (program_supplier_counts.csv, patriot).
    firms_basis=("patriot", "2007 figure quoted in Japan Times 2013"),
    annual_quantity=30,
    unit_price_jpy=0.6e9,  # assumption, public order of a licence-built interceptor
    subsystems=(
        _S("Seeker", "electronics", MELCO, weight=1.5),
        _S("Guidance and control section", "electronics", weight=1.2),
        _S("Solid rocket motor", "propulsion", "IHI Aerospace", weight=1.2),
        _S("Warhead", "weapons", "Daikin", weight=0.6),
        _S("Fuze", "weapons", weight=0.3),
        _S("Control actuation system", "mechanical", weight=0.8),
        _S("Airframe and fins", "structure", weight=0.8),
        _S("Thermal battery and power", "power", weight=0.4),
        _S("Canister", "structure", weight=0.5),
        _S("Flight software", "software", kind="software", weight=0.3),
    ),
)

RADAR = ProgramSpec(
    program_id="radar",
    name="Air-surveillance radar",
    short="radar",
    category="communications-electronics",
    prime="NEC",
    firms_assumed=600,  # assumption: no public count in program_supplier_counts.csv
    annual_quantity=1,
    unit_price_jpy=15e9,  # assumption, public order of a fixed air-surveillance radar
    subsystems=(
        _S("Antenna array", "electronics", weight=2.0),
        _S("Signal processor", "electronics", "Fujitsu", weight=1.2),
        _S("Transmitter power supply", "power", weight=1.0),
        _S("Cooling system", "mechanical", "Daikin", weight=0.6),
        _S("Radar shelter and pedestal", "structure", weight=0.8),
        _S("Display and control consoles", "electronics", weight=0.6),
        _S("IFF interrogator", "electronics", "Toshiba", weight=0.4),
        _S("Radar control software", "software", kind="software", weight=0.4),
    ),
)

PROGRAM_SPECS: tuple[ProgramSpec, ...] = (FIGHTER, TANK, DESTROYER, SUBMARINE, MISSILE, RADAR)
"""The generated programs, in the order their ids and firms are made."""


def firms_targets(specs: tuple[ProgramSpec, ...] = PROGRAM_SPECS) -> dict[str, int]:
    """Supplier firms of each program at scale 1, from `program_supplier_counts.csv`."""
    counts = load("program_supplier_counts")
    return {spec.program_id: spec.firms_target(counts) for spec in specs}
