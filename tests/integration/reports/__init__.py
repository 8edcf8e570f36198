"""Reports on a real database: intake, supervisor alerts, triage decisions."""
