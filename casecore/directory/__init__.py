"""The service directory: which organisation provides which service, where, and its CSV import and export.

May import: the kernel, people.
"""
