"""The top-level API: every advertised name resolves, lazily."""

from __future__ import annotations

import subprocess
import sys

import kiban


def test_every_public_name_resolves() -> None:
    lazy = set(kiban._EXPORTS) | set(kiban._RENAMED)
    assert set(kiban.__all__) == lazy | {"__version__"}
    for name in kiban.__all__:
        assert getattr(kiban, name) is not None


def test_importing_kiban_does_not_import_the_heavy_modules() -> None:
    code = (
        "import sys, kiban; print(sorted(m for m in ('polars', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
