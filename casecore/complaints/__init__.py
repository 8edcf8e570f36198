"""Complaints: intake, who may read them (sensitive ones kept from the staff concerned), the focal point's
handling, alerts and deadlines, the list and the figures.

May import: the kernel, people, messaging, deadlines (never cases: a complaint may be about case work).
"""
