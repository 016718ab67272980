"""Singer tap for Sales.Rocks."""


def main() -> None:
    """The console script `tap-salesrocks`: the tap started through outreach_kit.launch (its
    imports with the garbage collector paused, then frozen: a faster start and exit)."""
    from outreach_kit.launch import launch

    launch("tap_salesrocks.tap:TapSalesRocks")
