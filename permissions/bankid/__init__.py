"""BankID login for recipients (holders), and the local BankID simulator.

``client`` wraps pybankid's Relying Party API v6 client for the configured
environment (simulator, BankID test, production); ``messages`` holds BankID's
recommended user messages per hint code; ``login`` is the login flow kept in
the session; ``views`` are the pages; ``simulator`` is a stdlib-only stand-in
for BankID's service and app used in development, tests and the demo.
"""
