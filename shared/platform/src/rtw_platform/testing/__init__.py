"""Test support for services built on the platform: real PostgreSQL and RabbitMQ, isolated."""
