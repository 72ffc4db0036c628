"""Building blocks of the synthetic program generator (`kiban.reference.programs`).

- `specs`: the six programs, their primes, subsystems and calibration figures.
- `vocabulary`: names of parts, materials and firms; the commodity catalog; where firms sit.
- `items`: the items and bill of materials of every program and of the shared catalog.
- `makers`: which firms make which items (real contractors, catalog makers, sub-tier shops).
- `firms`: real contractors from the reference files and the attributes of synthetic firms.
- `supplies`: who sources each child item from whom, with shares, volumes and values.
"""
