"""Singer tap for Sales.Rocks."""
