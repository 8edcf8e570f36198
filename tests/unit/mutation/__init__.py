"""The mutation testing tool of `make mutate` (scripts/mutation/)."""
