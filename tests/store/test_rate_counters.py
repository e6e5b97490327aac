"""The database storage of the request limits: shared, atomic counters on both backends."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from limits import parse
from limits.strategies import FixedWindowRateLimiter

from u22a8.store import DatabaseCounterStorage, Store


def test_concurrent_hits_are_all_counted(store: Store) -> None:
    counters = DatabaseCounterStorage(store.db)
    with ThreadPoolExecutor(8) as pool:
        seen = sorted(pool.map(lambda _: counters.incr("k", 60), range(40)))
    assert seen == list(range(1, 41)) and counters.get("k") == 40
    assert counters.get_expiry("k") > time.time()
    counters.clear("k")
    assert counters.get("k") == 0


def test_a_lapsed_window_starts_over(store: Store) -> None:
    limiter = FixedWindowRateLimiter(DatabaseCounterStorage(store.db))
    two = parse("2/second")
    assert [limiter.hit(two, "key_a") for _ in range(3)] == [True, True, False]
    assert limiter.hit(two, "key_b")  # another key counts apart
    time.sleep(1.1)
    assert limiter.hit(two, "key_a")
