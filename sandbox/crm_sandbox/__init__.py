"""A local, stateful HTTPS stand-in for the Salesforce and HubSpot APIs.

The sandbox is a service, not a mock: separate processes (taps, targets, tests,
benchmarks) talk to it over HTTPS on 127.0.0.1 and see the same org and portal,
whose data lives in SQLite files under a data directory.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
