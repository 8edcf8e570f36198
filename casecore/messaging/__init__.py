"""Community numbers and messages: the inbox and outbox, delivery outcomes, the WhatsApp window, received
files, USSD session ends, and how staff's words reach a number (routes).

May import: the kernel, people.
"""
