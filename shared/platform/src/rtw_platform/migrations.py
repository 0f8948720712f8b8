"""Alembic for one service: its own schema, its own version table, nothing of anyone else's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from .service import ServiceDefinition

VERSION_TABLE = "alembic_version"


def alembic_config(definition: ServiceDefinition, database_url: str) -> Config:
    """An Alembic configuration for the service's `migrations/` folder and this database."""
    config = Config()
    config.set_main_option("script_location", str(definition.migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["rtw_service"] = definition
    return config


def upgrade(definition: ServiceDefinition, database_url: str, revision: str = "head") -> None:
    """Migrate the service's schema (blocking; run it as a one-shot step, never at start-up)."""
    command.upgrade(alembic_config(definition, database_url), revision)


@dataclass(frozen=True)
class MigrationStatus:
    """Where one service's schema is against the code's head revision."""

    service: str
    schema: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def state(self) -> str:
        if self.current is None:
            return "not migrated: run `rtw migrate`"
        return "up to date" if self.up_to_date else "migrations pending: run `rtw migrate`"

    def as_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "schema": self.schema,
            "current": self.current,
            "head": self.head,
            "up_to_date": self.up_to_date,
        }


def status(definition: ServiceDefinition, database_url: str) -> MigrationStatus:
    """The service's schema revision in this database and the code's head (reads only)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(definition, database_url)).get_current_head()

    def read(connection: Connection) -> str | None:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "version_table_schema": definition.schema}
        )
        return context.get_current_revision()

    async def current() -> str | None:
        engine = create_async_engine(database_url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return MigrationStatus(definition.name, definition.schema, asyncio.run(current()), head or "")


def revision(definition: ServiceDefinition, database_url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    command.revision(alembic_config(definition, database_url), message=message, autogenerate=True)


def run_migrations(definition: ServiceDefinition) -> None:
    """Body of every service's `migrations/env.py`."""
    from alembic import context

    schema = definition.schema
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        url = definition.settings().sqlalchemy_url()

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    options: dict[str, Any] = {
        "target_metadata": definition.metadata,
        "version_table": VERSION_TABLE,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": include_name,
        "compare_type": True,
    }

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        # Only when missing: a deployment's service role owns its schema (made by the database's
        # set-up) but may not create schemas, and PostgreSQL checks that right even with IF NOT EXISTS.
        exists = connection.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(online())
