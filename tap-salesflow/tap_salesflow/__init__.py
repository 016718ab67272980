"""Singer tap for Salesflow."""
