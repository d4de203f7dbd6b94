"""The stored bands (tests/bands/): each float32 case's band is read from its file while the
file holds the band's current key (conftest.py's `band_key`), instead of running the exact
answer and the ensemble every session. A stale or missing file is computed afresh, and
reported here; BAND_CHECK's band runs every session and must print its file exactly.
"""

from __future__ import annotations

from difflib import unified_diff

from support import BAND_CHECK, BANDS


def test_every_band_is_stored_under_its_key(bands: dict) -> None:
    """A band whose file is missing or was made from other scripts, data or versions ran
    afresh for this session's tests, which saw the right band; its file must be made again,
    so that stored bands never go stale unnoticed."""
    stale = [
        f"{case} ({band.file.name}: {'another key' if band.file.exists() else 'no file'})"
        for case, band in bands.items()
        if band.stdout is None
    ]
    named = {band.file for band in bands.values()}
    stale += [f"{file.name}: no case's band" for file in BANDS.glob("*.json") if file not in named]
    assert not stale, (
        "stale stored bands (computed afresh this time): "
        + ", ".join(stale)
        + "; `SPECC_REGEN=1 .venv/bin/python -m pytest tests/test_bands.py` refreshes them"
    )


def test_the_stored_band_is_what_its_runs_print(bands: dict, executions: dict) -> None:
    """BAND_CHECK's band ran for real this session (`conftest.stored_runs` leaves it out):
    each run printed exactly what its file stores under the same key."""
    band = bands[BAND_CHECK]
    assert band.stdout is not None, f"{BAND_CHECK} has no current file: see the test above"
    for run, stored in band.stdout.items():
        execution = executions[(BAND_CHECK, run)]
        assert execution.returncode == 0 and execution.seconds > 0, f"{run} did not run"
        diff = unified_diff(
            stored.split("\n"), execution.stdout.split("\n"), band.file.name, run, lineterm=""
        )
        assert execution.stdout == stored, (
            f"{BAND_CHECK}'s {run} printed other than {band.file.name} holds under the same"
            " key: the key misses something the band depends on\n" + "\n".join(list(diff)[:20])
        )
