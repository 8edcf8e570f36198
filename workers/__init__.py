"""Background entry points: RQ jobs, the worker process and the scheduler process."""
