"""Terminal helpers: the delayed progress bar shows on a terminal only, and clears itself."""

from __future__ import annotations

import io

from rich.console import Console

from kiban.terminal import DelayedProgress


def test_progress_bar_appears_on_a_terminal_and_is_cleared() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with DelayedProgress("ensemble", 10, console=console, delay_s=0.0) as bar:
        bar.update(4)
    assert bar.shown
    assert "ensemble" in screen.getvalue()
    quiet = DelayedProgress("ensemble", 10, console=Console(file=io.StringIO()), delay_s=0.0)
    quiet.update(4)  # not a terminal
    quiet.close()
    assert not quiet.shown


def test_progress_bar_waits_for_its_delay() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with DelayedProgress("days", 10, console=console, delay_s=3600.0) as bar:
        bar.update(4)
    assert not bar.shown
