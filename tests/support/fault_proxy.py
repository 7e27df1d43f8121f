"""The fault-injecting TCP proxy of the tests: one copy, in :mod:`kassa.demo.fault_proxy`
(the fault matrix of ``tests/reliability`` drives it from the demo's harness too)."""

from kassa.demo.fault_proxy import FaultProxy, Mode

__all__ = ["FaultProxy", "Mode"]
