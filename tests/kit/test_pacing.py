"""The pacer never lets a window see more than the limit, and never sleeps for real here."""

from outreach_kit.pacing import RequestPacer


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_limit_per_window_is_never_exceeded():
    clock = FakeClock()
    pacer = RequestPacer(30, 60.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(95):
        pacer.wait()
        sent.append(clock.now)
    for i, t in enumerate(sent):
        assert sum(1 for s in sent[i:] if s < t + 60.0) <= 30
    # 95 requests at 30 per minute need just over three windows, not more.
    assert 3 * 60 <= sent[-1] - sent[0] <= 3 * 60 * 1.03


def test_no_limit_means_no_wait():
    clock = FakeClock()
    pacer = RequestPacer(None, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        pacer.wait()
    assert clock.slept == []


def test_pause_holds_the_next_request():
    clock = FakeClock()
    pacer = RequestPacer(None, clock=clock, sleep=clock.sleep)
    pacer.pause(7.5)
    pacer.wait()
    assert clock.slept == [7.5]
