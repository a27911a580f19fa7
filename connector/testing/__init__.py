"""The kit for plugin authors and this project's tests.

`connector.testing` itself exports the fakes (`FakeClock`, `FakeSource`, `FakeSink`); the
conformance suites are in `connector.testing.contract`, kill points in `connector.testing.killpoints`,
the sandbox server base in `connector.testing.sandbox` and the end-to-end world in
`connector.testing.e2e`.
"""

from connector.testing.fakes import FakeClock, FakeSink, FakeSource

__all__ = ["FakeClock", "FakeSink", "FakeSource"]
