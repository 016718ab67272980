"""Singer tap for SalesBlink (current public API v1.0.0 and the legacy API)."""
