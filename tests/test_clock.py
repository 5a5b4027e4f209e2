"""The one clock: exact sample-counted time and ordered, cancellable timers."""

from ivr.clock import RATE, SampleClock


def test_timers_fire_in_deadline_order_at_exact_times() -> None:
    clock = SampleClock()
    fired: list[tuple[str, float]] = []
    clock.call_later(5.0, lambda: fired.append(("b", clock.now())))
    clock.call_later(0.02, lambda: fired.append(("a", clock.now())))
    for _ in range(250):
        clock.advance(RATE // 50)
        clock.run_due()
    assert fired == [("a", 0.02), ("b", 5.0)]
    assert clock.now() == 5.0


def test_cancelled_timer_never_fires() -> None:
    clock = SampleClock()
    fired: list[int] = []
    handle = clock.call_later(1.0, lambda: fired.append(1))
    handle.cancel()
    assert clock.next_deadline() is None
    clock.advance(2 * RATE)
    clock.run_due()
    assert fired == []


def test_time_does_not_drift_over_an_hour_of_frames() -> None:
    clock = SampleClock()
    for _ in range(3600 * 50):
        clock.advance(RATE // 50)
    assert clock.now() == 3600.0
