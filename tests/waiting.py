"""Waiting on a condition with a deadline, instead of sleeping a fixed time and hoping."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], bool], seconds: float = 5.0, every: float = 0.01) -> bool:
    """Whether `condition` came true within `seconds`, asked every `every` seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def wait_until(
    condition: Callable[[], bool], seconds: float, what: str, every: float = 0.1
) -> None:
    """Fails the test unless `condition` (described by `what`) comes true within `seconds`."""
    assert wait_for(condition, seconds, every), f"not within {seconds} s: {what}"
