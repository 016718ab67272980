"""Singer tap for Salesflow."""


def main() -> None:
    """The console script `tap-salesflow`: the tap started through outreach_kit.launch (its
    imports with the garbage collector paused, then frozen: a faster start and exit)."""
    from outreach_kit.launch import launch

    launch("tap_salesflow.tap:TapSalesflow")
