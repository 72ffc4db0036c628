"""Words of the generator: parts and materials by domain and tier, the commodity catalog, the
prefectures and countries where firms sit, and the pieces of synthetic firm names.

Everything here is an assumption of the generator, written to look like a Japanese defense
supply chain; none of it is a public figure. Names of synthetic firms are assembled from
common words and may by chance match a real company's name: such a row is still synthetic
(`synthetic=true`) and says nothing about that company.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAINS = ("structure", "propulsion", "electronics", "mechanical", "weapons", "power", "optics")
"""What a subsystem is made of; it picks the vocabulary and the catalog of its sub-tiers."""

# Tier-1 subsystem makers that are not real contractors get a sector from their domain.
TIER1_SECTOR: dict[str, str] = {
    "structure": "aerostructures, hulls and vehicle bodies",
    "propulsion": "engines and turbines",
    "electronics": "electronic equipment",
    "mechanical": "machinery",
    "weapons": "weapons and ammunition",
    "power": "electrical machinery",
    "optics": "optical instruments",
    "software": "software",
}

Noun = tuple[str, str]
"""(name of a part, sector of the firms that make it)."""

# Own (program-specific) items below tier 1, by domain and by level: 2 sub-assemblies,
# 3 components, 4 parts, 5 special materials.
PARTS: dict[str, dict[int, tuple[Noun, ...]]] = {
    "structure": {
        2: (
            ("Section assembly", "aerostructures, hulls and vehicle bodies"),
            ("Frame assembly", "aerostructures, hulls and vehicle bodies"),
            ("Panel assembly", "sheet metal"),
            ("Door and hatch assembly", "sheet metal"),
            ("Bulkhead assembly", "aerostructures, hulls and vehicle bodies"),
        ),
        3: (
            ("Machined frame", "machining"),
            ("Skin panel", "sheet metal"),
            ("Composite panel", "composites"),
            ("Fitting assembly", "machining"),
            ("Welded sub-assembly", "welding and fabrication"),
            ("Bracket assembly", "sheet metal"),
        ),
        4: (
            ("Machined bracket", "machining"),
            ("Forged fitting", "forging and casting"),
            ("Sheet-metal part", "sheet metal"),
            ("Casting", "forging and casting"),
            ("Extruded stiffener", "non-ferrous metals"),
            ("Composite laminate part", "composites"),
        ),
        5: (
            ("Qualified aluminium alloy plate (kg)", "non-ferrous metals"),
            ("Qualified carbon-fibre prepreg (kg)", "composites"),
            ("Special-grade steel plate (kg)", "iron and steel"),
        ),
    },
    "propulsion": {
        2: (
            ("Compressor module", "engines and turbines"),
            ("Turbine module", "engines and turbines"),
            ("Combustor", "engines and turbines"),
            ("Gearbox", "gears and transmissions"),
            ("Fuel control unit", "hydraulics and pneumatics"),
            ("Shaft assembly", "machining"),
        ),
        3: (
            ("Blade set", "engines and turbines"),
            ("Rotor disk", "forging and casting"),
            ("Bearing housing", "machining"),
            ("Fuel nozzle", "machining"),
            ("Seal assembly", "rubber and plastics"),
            ("Gear set", "gears and transmissions"),
        ),
        4: (
            ("Turbine blade", "forging and casting"),
            ("Disk forging", "forging and casting"),
            ("Machined housing", "machining"),
            ("Precision gear", "gears and transmissions"),
            ("Nozzle tip", "machining"),
        ),
        5: (
            ("Nickel superalloy ingot (kg)", "non-ferrous metals"),
            ("Titanium forging stock (kg)", "non-ferrous metals"),
            ("Single-crystal casting alloy (kg)", "non-ferrous metals"),
        ),
    },
    "electronics": {
        2: (
            ("Processor unit", "electronic equipment"),
            ("Power supply unit", "electronic equipment"),
            ("Receiver/exciter", "electronic equipment"),
            ("Antenna unit", "electronic equipment"),
            ("Display unit", "electronic equipment"),
            ("Cable set", "wire and cable"),
        ),
        3: (
            ("Circuit card assembly", "electronic equipment"),
            ("Transmit/receive module", "electronic components"),
            ("RF module", "electronic components"),
            ("Chassis", "machining"),
            ("Wiring harness", "wire and cable"),
            ("Cold plate", "machining"),
        ),
        4: (
            ("Printed circuit board", "printed circuit boards"),
            ("Hybrid microcircuit", "semiconductors"),
            ("Custom ASIC", "semiconductors"),
            ("RF filter", "electronic components"),
            ("Machined chassis part", "machining"),
        ),
        5: (
            ("High-frequency laminate (kg)", "chemicals"),
            ("GaN epitaxial wafer (kg)", "semiconductors"),
            ("Ceramic package substrate (kg)", "glass and ceramics"),
        ),
    },
    "mechanical": {
        2: (
            ("Actuator assembly", "hydraulics and pneumatics"),
            ("Pump unit", "hydraulics and pneumatics"),
            ("Valve block", "hydraulics and pneumatics"),
            ("Suspension unit", "machinery"),
            ("Heat exchanger", "machinery"),
        ),
        3: (
            ("Hydraulic cylinder", "hydraulics and pneumatics"),
            ("Servo valve", "hydraulics and pneumatics"),
            ("Spring unit", "machinery"),
            ("Wheel and brake", "machinery"),
            ("Gear train", "gears and transmissions"),
            ("Piping assembly", "welding and fabrication"),
        ),
        4: (
            ("Piston", "machining"),
            ("Machined valve body", "machining"),
            ("Coil spring", "springs and wire products"),
            ("Forged axle", "forging and casting"),
            ("Pipe spool", "welding and fabrication"),
        ),
        5: (
            ("High-strength steel bar (kg)", "iron and steel"),
            ("Bronze bushing stock (kg)", "non-ferrous metals"),
            ("Special rubber compound (kg)", "rubber and plastics"),
        ),
    },
    "weapons": {
        2: (
            ("Gun mount", "weapons and ammunition"),
            ("Launcher assembly", "weapons and ammunition"),
            ("Fire control unit", "electronic equipment"),
            ("Ammunition handling system", "machinery"),
            ("Warhead section", "weapons and ammunition"),
        ),
        3: (
            ("Barrel", "weapons and ammunition"),
            ("Breech mechanism", "weapons and ammunition"),
            ("Fuze", "weapons and ammunition"),
            ("Launch tube", "welding and fabrication"),
            ("Safe-and-arm device", "weapons and ammunition"),
        ),
        4: (
            ("Machined breech block", "machining"),
            ("Fuze component", "machining"),
            ("Explosive charge", "explosives and propellants"),
            ("Firing mechanism part", "machining"),
        ),
        5: (
            ("Gun steel forging (kg)", "iron and steel"),
            ("Pressed explosive fill (kg)", "explosives and propellants"),
            ("Propellant grain (kg)", "explosives and propellants"),
        ),
    },
    "power": {
        2: (
            ("Generator set", "electrical machinery"),
            ("Switchboard", "electrical machinery"),
            ("Battery module", "batteries"),
            ("Electric motor", "electrical machinery"),
            ("Power converter", "electronic equipment"),
        ),
        3: (
            ("Stator", "electrical machinery"),
            ("Rotor", "electrical machinery"),
            ("Battery cell pack", "batteries"),
            ("Circuit breaker", "electrical machinery"),
            ("Busbar assembly", "wire and cable"),
        ),
        4: (
            ("Lamination stack", "electrical machinery"),
            ("Coil winding", "electrical machinery"),
            ("Cell casing", "sheet metal"),
            ("Machined end shield", "machining"),
        ),
        5: (
            ("Electrical steel sheet (kg)", "iron and steel"),
            ("Cathode material (kg)", "chemicals"),
            ("Insulation resin (kg)", "chemicals"),
        ),
    },
    "optics": {
        2: (
            ("Sensor head", "optical instruments"),
            ("Gimbal assembly", "machinery"),
            ("Optical bench", "optical instruments"),
            ("Sensor electronics unit", "electronic equipment"),
        ),
        3: (
            ("Lens assembly", "optical instruments"),
            ("Infrared detector", "semiconductors"),
            ("Stabilised mirror", "optical instruments"),
            ("Cryocooler", "machinery"),
        ),
        4: (
            ("Lens element", "optical instruments"),
            ("Detector chip", "semiconductors"),
            ("Machined lens housing", "machining"),
            ("Optical coating", "optical instruments"),
        ),
        5: (
            ("Germanium optical blank (kg)", "non-ferrous metals"),
            ("Infrared glass (kg)", "glass and ceramics"),
        ),
    },
}

EMBEDDED_SOFTWARE: Noun = ("Embedded software", "software")
FIRMWARE: Noun = ("Firmware", "software")


@dataclass(frozen=True)
class Commodity:
    """A family of catalog items shared by every program.

    `level` places it in the bill of materials (4 standard parts and licences, 5 materials
    and services, 6 raw materials); `domains` are the subsystems that use it; `unit_cost_jpy`
    is per `unit` (piece, metre, kg, lot); `variants` multiply it into several items (sizes,
    grades); `inputs` are the raw materials (name, kg per unit) a material is made from; a
    `custom` commodity is defense-only and has a single maker.
    """

    name: str
    kind: str
    level: int
    sector: str
    domains: tuple[str, ...]
    unit_cost_jpy: float
    variants: tuple[str, ...] = ("",)
    inputs: tuple[tuple[str, float], ...] = ()
    custom: bool = False
    popularity: float = 1.0


_ALL = DOMAINS
_METAL = ("structure", "propulsion", "mechanical", "weapons", "power")
_ELEC = ("electronics", "power", "optics", "weapons")

# fmt: off
CATALOG: tuple[Commodity, ...] = (
    # level 4: standard parts, electronic components, licences
    Commodity("Hex bolt, aerospace grade", "component", 4, "fasteners", _METAL, 300,
              ("M5", "M6", "M8", "M10", "M12", "M16"), popularity=3),
    Commodity("Self-locking nut", "component", 4, "fasteners", _METAL, 150,
              ("M5", "M6", "M8", "M10", "M12"), popularity=3),
    Commodity("Blind rivet", "component", 4, "fasteners", ("structure", "mechanical"), 40,
              ("3.2 mm", "4.0 mm", "4.8 mm"), popularity=2),
    Commodity("Ball bearing", "component", 4, "bearings", _METAL, 6000,
              ("6000 series", "6200 series", "6300 series", "angular contact"), popularity=2),
    Commodity("Roller bearing", "component", 4, "bearings", ("propulsion", "mechanical"), 15000,
              ("cylindrical", "tapered", "needle")),
    Commodity("O-ring, fluorocarbon", "component", 4, "rubber and plastics", _METAL, 120,
              ("small", "medium", "large"), popularity=2),
    Commodity("Hydraulic fitting", "component", 4, "hydraulics and pneumatics",
              ("mechanical", "propulsion", "weapons"), 4000, ("straight", "elbow", "tee")),
    Commodity("Hose assembly", "component", 4, "hydraulics and pneumatics",
              ("mechanical", "propulsion"), 25000, ("low pressure", "high pressure")),
    Commodity("Multilayer ceramic capacitor", "component", 4, "electronic components", _ELEC, 8,
              ("0402", "0603", "0805", "1206"), popularity=3),
    Commodity("Chip resistor", "component", 4, "electronic components", _ELEC, 3,
              ("0402", "0603", "0805"), popularity=3),
    Commodity("Power MOSFET", "component", 4, "semiconductors", _ELEC, 900,
              ("low voltage", "high voltage", "SiC")),
    Commodity("FPGA", "component", 4, "semiconductors", ("electronics", "weapons", "optics"),
              300000, ("mid-range", "high-end", "radiation-tolerant"), popularity=2),
    Commodity("Microcontroller", "component", 4, "semiconductors", _ELEC, 1500,
              ("16-bit", "32-bit")),
    Commodity("DRAM memory", "component", 4, "semiconductors", ("electronics", "optics"), 3000,
              ("DDR4", "DDR5")),
    Commodity("DC-DC converter module", "component", 4, "electronic components", _ELEC, 40000,
              ("low power", "high power")),
    Commodity("Crystal oscillator", "component", 4, "electronic components", _ELEC, 2500,
              ("TCXO", "OCXO")),
    Commodity("Circular connector, MIL-DTL-38999", "component", 4, "electronic components",
              (*_ELEC, "mechanical"), 18000, ("shell 11", "shell 15", "shell 19", "shell 25"),
              popularity=3),
    Commodity("RF coaxial connector", "component", 4, "electronic components",
              ("electronics", "weapons"), 3500, ("SMA", "TNC", "N-type")),
    Commodity("Relay", "component", 4, "electronic components", ("power", "electronics"), 3000,
              ("signal", "power")),
    Commodity("Optical transceiver", "component", 4, "electronic components",
              ("electronics", "optics"), 60000, ("10G", "25G")),
    Commodity("Shielded wire, PTFE (m)", "component", 4, "wire and cable", (*_ELEC, *_METAL), 250,
              ("AWG22", "AWG20", "AWG16"), popularity=2),
    Commodity("Coaxial cable (m)", "component", 4, "wire and cable", ("electronics", "weapons"),
              900, ("low loss", "semi-rigid")),
    Commodity("Real-time operating system licence", "software", 4, "software",
              ("electronics", "weapons", "optics"), 800000),
    Commodity("Cryptographic module licence", "software", 4, "software", ("electronics",),
              1500000),
    # level 5: materials
    Commodity("Aluminium alloy plate 7075 (kg)", "material", 5, "non-ferrous metals",
              ("structure", "mechanical", "weapons"), 1800, ("T6", "T7351"),
              (("Alumina", 1.9),), popularity=2),
    Commodity("Aluminium alloy extrusion 2024 (kg)", "material", 5, "non-ferrous metals",
              ("structure",), 1500, ("T3", "T4"), (("Alumina", 1.9),)),
    Commodity("Titanium alloy bar Ti-6Al-4V (kg)", "material", 5, "non-ferrous metals",
              ("structure", "propulsion", "mechanical"), 9000, ("annealed", "STA"),
              (("Titanium sponge", 1.3),), popularity=2),
    Commodity("Nickel superalloy bar, 718 (kg)", "material", 5, "non-ferrous metals",
              ("propulsion",), 12000, ("bar", "forging stock"),
              (("Nickel", 0.55), ("Chromium", 0.2), ("Niobium", 0.05))),
    Commodity("Maraging steel bar (kg)", "material", 5, "iron and steel",
              ("weapons", "mechanical"), 6000, ("C250", "C300"),
              (("Nickel", 0.18), ("Cobalt", 0.09), ("Iron ore", 1.5))),
    Commodity("High-strength low-alloy steel plate (kg)", "material", 5, "iron and steel",
              ("structure", "mechanical", "weapons", "power"), 250, ("6 mm", "12 mm", "25 mm"),
              (("Iron ore", 1.6), ("Molybdenum", 0.005)), popularity=3),
    Commodity("Stainless steel bar (kg)", "material", 5, "iron and steel", _METAL, 900,
              ("304", "316", "17-4PH"), (("Iron ore", 1.2), ("Chromium", 0.18), ("Nickel", 0.1)),
              popularity=2),
    Commodity("Carbon-fibre prepreg (kg)", "material", 5, "composites", ("structure",), 15000,
              ("intermediate modulus", "high strength"), (("PAN precursor fibre", 2.0),)),
    Commodity("Epoxy adhesive (kg)", "material", 5, "chemicals", ("structure", "electronics"),
              5000, ("film", "paste")),
    Commodity("Copper wire rod (kg)", "material", 5, "non-ferrous metals",
              ("power", "electronics"), 1400, ("", ), (("Copper cathode", 1.02),)),
    Commodity("Copper-clad laminate (kg)", "material", 5, "chemicals", ("electronics",), 6000,
              ("FR-4", "polyimide"), (("Copper cathode", 0.3),)),
    Commodity("Silicon wafer (kg)", "material", 5, "semiconductors", ("electronics", "optics"),
              80000, ("200 mm", "300 mm")),
    Commodity("Sintered NdFeB magnet (kg)", "material", 5, "non-ferrous metals",
              ("power", "mechanical", "weapons"), 12000, ("N42", "N48H"),
              (("Rare-earth oxide (Nd, Dy)", 0.35), ("Iron ore", 1.0))),
    Commodity("Lithium-ion cell", "material", 5, "batteries", ("power",), 15000,
              ("high energy", "high power"), (("Lithium carbonate", 0.1), ("Graphite", 0.2))),
    Commodity("Paint, military specification (kg)", "material", 5, "chemicals", _ALL, 3000,
              ("primer", "topcoat"), popularity=2),
    Commodity("PEEK engineering plastic (kg)", "material", 5, "rubber and plastics",
              ("electronics", "mechanical"), 20000),
    Commodity("Armour steel plate (kg)", "material", 5, "iron and steel",
              ("structure", "weapons"), 1200, ("rolled homogeneous",),
              (("Iron ore", 1.6), ("Molybdenum", 0.01)), custom=True),
    Commodity("Energetic material, HMX (kg)", "material", 5, "explosives and propellants",
              ("weapons",), 30000, inputs=(("Nitric acid", 2.0),), custom=True),
    Commodity("Radar-absorbing material (kg)", "material", 5, "chemicals",
              ("structure", "electronics"), 50000, custom=True),
    # level 5: services (a lot per unit of the parent)
    Commodity("Heat treatment", "service", 5, "heat treatment", _METAL, 30000,
              ("vacuum", "induction"), popularity=2),
    Commodity("Anodizing and plating", "service", 5, "surface treatment", _METAL, 20000,
              ("anodizing", "nickel plating", "cadmium-free plating"), popularity=2),
    Commodity("Non-destructive inspection", "service", 5, "testing and inspection", _ALL, 40000,
              ("ultrasonic", "radiographic", "eddy current"), popularity=2),
    Commodity("Environmental testing", "service", 5, "testing and inspection",
              ("electronics", "optics", "weapons"), 150000),
    Commodity("Calibration service", "service", 5, "testing and inspection", _ELEC, 50000),
    # level 6: raw materials
    Commodity("Alumina", "material", 6, "mining and refining", (), 80),
    Commodity("Titanium sponge", "material", 6, "mining and refining", (), 1500),
    Commodity("Nickel", "material", 6, "mining and refining", (), 2800),
    Commodity("Chromium", "material", 6, "mining and refining", (), 1500),
    Commodity("Cobalt", "material", 6, "mining and refining", (), 5000),
    Commodity("Niobium", "material", 6, "mining and refining", (), 6000),
    Commodity("Molybdenum", "material", 6, "mining and refining", (), 6500),
    Commodity("Iron ore", "material", 6, "mining and refining", (), 20),
    Commodity("Copper cathode", "material", 6, "mining and refining", (), 1300),
    Commodity("Rare-earth oxide (Nd, Dy)", "material", 6, "mining and refining", (), 15000),
    Commodity("Gallium", "material", 6, "mining and refining", (), 60000),
    Commodity("Germanium", "material", 6, "mining and refining", (), 250000),
    Commodity("Lithium carbonate", "material", 6, "mining and refining", (), 2500),
    Commodity("Graphite", "material", 6, "mining and refining", (), 200),
    Commodity("PAN precursor fibre", "material", 6, "chemicals", (), 1500),
    Commodity("Nitric acid", "material", 6, "chemicals", (), 60),
)
# fmt: on

# Raw materials a program's own special materials (level 5) are made from, by domain.
RAW_INPUTS: dict[str, tuple[str, ...]] = {
    "structure": ("Alumina", "Titanium sponge", "Iron ore", "PAN precursor fibre"),
    "propulsion": ("Nickel", "Cobalt", "Chromium", "Titanium sponge", "Niobium"),
    "electronics": ("Gallium", "Copper cathode", "Alumina"),
    "mechanical": ("Iron ore", "Chromium", "Copper cathode"),
    "weapons": ("Iron ore", "Molybdenum", "Nitric acid"),
    "power": ("Iron ore", "Lithium carbonate", "Graphite", "Copper cathode"),
    "optics": ("Germanium", "Gallium"),
}

# Where Japanese firms sit: relative weights shaped after the ranking of prefectures by
# manufacturing shipments (METI Census of Manufacture; an assumption, not a reference figure).
# fmt: off
PREFECTURES: dict[str, float] = {
    "Aichi": 16.0, "Osaka": 7.5, "Kanagawa": 6.5, "Shizuoka": 6.0, "Hyogo": 5.5,
    "Saitama": 4.5, "Tokyo": 5.0, "Ibaraki": 4.0, "Chiba": 4.0, "Hiroshima": 3.5,
    "Mie": 3.5, "Gunma": 3.0, "Tochigi": 3.0, "Fukuoka": 3.0, "Gifu": 2.0,
    "Shiga": 2.5, "Okayama": 2.5, "Yamaguchi": 2.2, "Kyoto": 2.0, "Nagano": 2.0,
    "Niigata": 1.8, "Fukushima": 1.7, "Toyama": 1.4, "Miyagi": 1.5, "Hokkaido": 2.0,
    "Ishikawa": 1.1, "Yamanashi": 0.9, "Nagasaki": 0.6, "Ehime": 1.3, "Kumamoto": 1.0,
    "Oita": 1.4, "Kagawa": 0.9, "Tokushima": 0.6, "Fukui": 0.7, "Wakayama": 0.9,
}

# Defense work concentrates where the primes build: aircraft in Chubu, ships in shipyard towns.
REGION_BIAS: dict[str, dict[str, float]] = {
    "aircraft": {"Aichi": 2.0, "Gifu": 3.0, "Hyogo": 1.5, "Tochigi": 2.0, "Gunma": 1.5},
    "vehicles": {"Kanagawa": 2.0, "Aichi": 1.3, "Saitama": 1.5, "Ishikawa": 2.0},
    "ships": {"Nagasaki": 6.0, "Hiroshima": 2.5, "Hyogo": 1.8, "Kanagawa": 1.5,
              "Okayama": 2.0, "Ehime": 3.0, "Yamaguchi": 1.5},
    "ammunition": {"Aichi": 1.5, "Gunma": 2.0, "Shiga": 1.5, "Kanagawa": 1.3},
    "communications-electronics": {"Tokyo": 2.0, "Kanagawa": 2.0, "Nagano": 1.8,
                                   "Yamanashi": 1.8, "Fukushima": 1.3},
}

# Countries of foreign makers, by the kind of thing they make (assumed weights).
FOREIGN_COUNTRIES: dict[str, dict[str, float]] = {
    "machinery": {"US": 34, "DE": 18, "FR": 10, "GB": 10, "IT": 7, "SE": 5, "KR": 5,
                  "TW": 4, "CN": 4, "CH": 3},
    "electronics": {"US": 34, "TW": 15, "KR": 11, "CN": 11, "DE": 8, "IL": 6, "GB": 5,
                    "FR": 4, "NL": 3, "SE": 3},
    "materials": {"CN": 28, "US": 18, "AU": 9, "DE": 7, "KR": 7, "CL": 5, "ZA": 5,
                  "BR": 5, "FR": 4, "TW": 4, "CA": 4, "NO": 4},
}


ELECTRONIC_SECTORS = frozenset(
    {"electronic equipment", "electronic components", "semiconductors",
     "printed circuit boards", "optical instruments", "software", "wire and cable"}
)
MATERIAL_SECTORS = frozenset(
    {"mining and refining", "non-ferrous metals", "iron and steel", "chemicals", "composites",
     "glass and ceramics", "explosives and propellants", "batteries", "rubber and plastics"}
)

# Pieces of synthetic Japanese firm names ("Tanaka Seimitsu Kogyo Co., Ltd.").
JP_FIRST = (
    "Tanaka", "Suzuki", "Sato", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura",
    "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue",
    "Kimura", "Hayashi", "Shimizu", "Yamazaki", "Mori", "Abe", "Ikeda", "Hashimoto", "Ishikawa",
    "Ogawa", "Okada", "Maeda", "Fujita", "Goto", "Murakami", "Kondo", "Ishii", "Sakamoto",
    "Endo", "Aoki", "Fujii", "Nishimura", "Fukuda", "Ota", "Miura", "Okamoto", "Matsuda",
    "Nakagawa", "Harada", "Ono", "Takeuchi", "Kaneko", "Wada", "Nakano", "Hara", "Tamura",
    "Ueda", "Morita", "Kudo", "Sugiyama", "Imai", "Takada", "Maruyama", "Masuda",
    "Tokai", "Kansai", "Chubu", "Hokuriku", "Sanyo", "Nishi-Nippon", "Higashi-Nippon",
    "Kita", "Minami", "Asahi", "Daiichi", "Fuji", "Sakura", "Yamato", "Shinwa", "Taiyo",
    "Nippon", "Chuo", "Toyo", "Kyowa", "Daido", "Sanko", "Meiwa", "Showa", "Heisei",
    "Musashi", "Sagami", "Owari", "Mikawa", "Izumi", "Harima", "Bingo", "Suruga", "Kozuke",
    "Hitachino", "Shinano", "Echigo", "Kaga", "Tosa", "Satsuma",
)
# Middle words by trade family, disjoint so that names of different families never clash.
JP_CORE: dict[str, tuple[str, ...]] = {
    "machinery": (
        "Seimitsu", "Seiki", "Tekko", "Koki", "Kikai", "Tanzo", "Chuzo", "Hatsujo", "Yuatsu",
        "Precision", "Engineering", "Forge", "Machinery", "Gear", "Valve", "Spring", "Welding",
        "Heat Treat", "Coating", "Plating", "Aero", "Marine", "Giken", "Kosaku",
    ),
    "electronics": (
        "Denki", "Denshi", "Densen", "Kogaku", "Electronics", "Devices", "Systems", "Optics",
        "Circuit", "Cable", "Instruments", "Tech", "Technica", "Micro",
    ),
    "materials": (
        "Kasei", "Kinzoku", "Kako", "Materials", "Chemical", "Ceramics", "Rubber", "Metal",
        "Alloy", "Resin", "Kagaku", "Seiren",
    ),
}
JP_TAIL = (
    "Co., Ltd.", "Kogyo Co., Ltd.", "Seisakusho Co., Ltd.", "Corporation",
    "Industries Co., Ltd.", "Works Co., Ltd.",
)

# Pieces of synthetic foreign firm names ("Meridian Precision GmbH").
FOREIGN_FIRST = (
    "Apex", "Northfield", "Meridian", "Keystone", "Summit", "Harbor", "Granite", "Riverside",
    "Sterling", "Atlas", "Beacon", "Crescent", "Falcon", "Horizon", "Lakeside", "Pioneer",
    "Redwood", "Silverline", "Vector", "Westbrook", "Orion", "Polaris", "Cobalt", "Evergreen",
    "Ironwood", "Kestrel", "Lumen", "Nordic", "Oakridge", "Quantum",
)
FOREIGN_CORE: dict[str, tuple[str, ...]] = {
    "machinery": ("Precision", "Aerospace", "Dynamics", "Engineering", "Industries", "Machining"),
    "electronics": ("Electronics", "Systems", "Technologies", "Devices", "Photonics", "Circuits"),
    "materials": ("Materials", "Metals", "Chemicals", "Alloys", "Minerals", "Composites"),
}
LEGAL_FORM: dict[str, str] = {
    "US": "Inc.", "GB": "Ltd", "DE": "GmbH", "FR": "SAS", "IT": "S.p.A.", "SE": "AB",
    "KR": "Co., Ltd.", "TW": "Corp.", "CN": "Co., Ltd.", "IL": "Ltd.", "NL": "B.V.",
    "AU": "Pty Ltd", "CL": "S.A.", "ZA": "(Pty) Ltd", "BR": "S.A.", "CA": "Inc.",
    "CH": "AG", "NO": "AS",
}
# fmt: on
