"""Virtual time: events run in (time, sequence) order, cancelled ones never."""

from __future__ import annotations

from replica.sim.scheduler import Scheduler


def test_events_run_in_time_then_scheduling_order() -> None:
    scheduler = Scheduler()
    seen: list[str] = []
    scheduler.schedule(30, lambda: seen.append("c"))
    scheduler.schedule(10, lambda: seen.append("a"))
    scheduler.schedule(10, lambda: seen.append("b"))
    scheduler.run_until()
    assert seen == ["a", "b", "c"]
    assert scheduler.now_ns == 30


def test_cancelled_events_do_not_run_and_the_past_means_now() -> None:
    scheduler = Scheduler(start_ns=100)
    seen: list[int] = []
    handle = scheduler.schedule(150, lambda: seen.append(1))
    scheduler.schedule(50, lambda: seen.append(scheduler.now_ns))
    scheduler.cancel(handle)
    scheduler.run_until()
    assert seen == [100]


def test_run_until_stops_at_a_time_or_a_condition() -> None:
    scheduler = Scheduler()
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(scheduler.now_ns)
        scheduler.schedule_after(10, tick)

    scheduler.schedule(0, tick)
    assert not scheduler.run_until(time_ns=45)
    assert ticks == [0, 10, 20, 30, 40]
    assert scheduler.now_ns == 45
    assert scheduler.run_until(until=lambda: len(ticks) == 8)
    assert ticks[-1] == 70
