"""Singer tap for SalesBlink (current public API v1.0.0 and the legacy API)."""


def main() -> None:
    """The console script `tap-salesblink`: the tap started through outreach_kit.launch (its
    imports with the garbage collector paused, then frozen: a faster start and exit)."""
    from outreach_kit.launch import launch

    launch("tap_salesblink.tap:TapSalesBlink")
