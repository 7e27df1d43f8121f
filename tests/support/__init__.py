"""Helpers shared by the test suite: real servers and databases, no mocks of Kassa code."""
