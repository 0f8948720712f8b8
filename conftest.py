"""Test configuration shared by every layer: the platform's fixtures and the services' test data."""

pytest_plugins = ["rtw_platform.testing.fixtures", "rtw_applications.testing"]
