"""Case work on a real database: opening, steps, approvals, referrals, transfers, deadlines and their alerts."""
