"""Fixtures of the integration tests."""

from rtw_platform.testing.broker_users import broker

__all__ = ["broker"]
