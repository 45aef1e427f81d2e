"""Stores built once per test session and copied for each test that asks for one.

Migrating a store costs a few hundred milliseconds and scanning a generated business
seconds; copying the result costs milliseconds. A SQLite template is a file copied with
:func:`shutil.copyfile`; a PostgreSQL template is a database that ``CREATE DATABASE …
TEMPLATE`` copies. Every test gets its own copy, so what one test writes no other sees.
A copy is dropped on another thread: ``DROP DATABASE`` waits for a checkpoint, which on a
busy server takes up to seconds, and no test needs to wait for it.

A PostgreSQL role that may not create databases gets what the suite gave before: a
throw-away schema, migrated (and filled) again for every test.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.store.db import create_engine, migrate

#: What a template holds besides the schema: called once, on the template's engine.
Fill = Callable[[Engine], None]
#: SQLSTATE insufficient_privilege: the role may not create databases.
INSUFFICIENT_PRIVILEGE = "42501"


class StoreTemplates:
    """Migrated stores, empty or filled, built on first use and copied per test.

    Args:
        folder: where the SQLite templates are kept for the session.
        postgres_url: the server the PostgreSQL copies live on, if one is configured.
    """

    def __init__(self, folder: Path, postgres_url: str | None) -> None:
        self.folder = folder
        self.postgres_url = postgres_url
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._admin: Engine | None = None
        self._databases_allowed = True
        self._dropper = Dropper(self._drop_database)

    @contextmanager
    def copy(
        self, backend: str, folder: Path, *, key: str = "empty", fill: Fill | None = None
    ) -> Iterator[Engine]:
        """A fresh copy of the template ``key`` (built with ``fill`` the first time).

        The SQLite copy is ``folder / "store.db"``; the PostgreSQL copy is a database of
        its own, dropped after exit.
        """
        if backend == "sqlite":
            path = folder / "store.db"
            assert not path.exists(), f"{path} is another store's already"
            shutil.copyfile(self._sqlite_template(key, fill), path)
            engine = create_engine(f"sqlite:///{path}")
            try:
                yield engine
            finally:
                engine.dispose()
            return
        template = self._postgres_template(key, fill)
        if template is None:
            with self._schema_store(fill) as engine:
                yield engine
            return
        name = self._create_database(template)
        engine = sa.create_engine(self._url(name), hide_parameters=True)
        try:
            yield engine
        finally:
            engine.dispose()
            self._dropper.drop(name)

    def close(self) -> None:
        """Drop the PostgreSQL copies not dropped yet, then the templates."""
        try:
            self._dropper.close()
        finally:
            for name in self._postgres.values():
                self._drop_database(name)
            self._postgres.clear()
            if self._admin is not None:
                self._admin.dispose()

    def _sqlite_template(self, key: str, fill: Fill | None) -> Path:
        if key not in self._sqlite:
            path = self.folder / f"{key}.db"
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)  # of a build that failed earlier
            engine = create_engine(f"sqlite:///{path}")
            try:
                migrate(engine)
                if fill is not None:
                    fill(engine)
            finally:
                engine.dispose()  # the last connection out folds the WAL back into the file
            assert not Path(f"{path}-wal").exists(), "the template's WAL was not checkpointed"
            self._sqlite[key] = path
        return self._sqlite[key]

    def _postgres_template(self, key: str, fill: Fill | None) -> str | None:
        if key in self._postgres or not self._databases_allowed:
            return self._postgres.get(key)
        try:
            name = self._create_database(None)
        except sa.exc.ProgrammingError as exc:
            if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                raise
            self._databases_allowed = False
            return None
        engine = sa.create_engine(self._url(name), hide_parameters=True)
        try:
            migrate(engine)
            if fill is not None:
                fill(engine)
        except BaseException:
            engine.dispose()
            self._drop_database(name)
            raise
        engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template free of connections
        self._postgres[key] = name
        return name

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            assert self.postgres_url
            self._admin = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        return self._admin

    def _url(self, database: str) -> str:
        assert self.postgres_url
        url = sa.engine.make_url(self.postgres_url).set(database=database)
        return url.render_as_string(hide_password=False)

    def _create_database(self, template: str | None) -> str:
        name = f"busywork_test_{uuid.uuid4().hex[:12]}"
        statement = f'CREATE DATABASE "{name}"'
        if template is not None:
            statement += f' TEMPLATE "{template}"'
        with self._admin_engine().connect() as connection:
            connection.execute(sa.text(statement))
        return name

    def _drop_database(self, name: str) -> None:
        with self._admin_engine().connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def _schema_store(self, fill: Fill | None) -> Iterator[Engine]:
        """A throw-away schema, migrated and filled, dropped on exit."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = self._admin_engine()
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        assert self.postgres_url
        engine = sa.create_engine(
            self.postgres_url,
            hide_parameters=True,
            connect_args={"options": f"-csearch_path={schema}"},
        )
        try:
            migrate(engine)
            if fill is not None:
                fill(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


class Dropper:
    """Drops databases on other threads, a batch at a time.

    Each ``DROP DATABASE`` waits for a checkpoint, and every checkpoint makes the next write
    to each page log the whole page: drops sent together share one checkpoint.

    Args:
        drop: drops the database it is given.
    """

    #: Databases dropped together.
    BATCH = 8

    def __init__(self, drop: Callable[[str], None]) -> None:
        self._drop = drop
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: list[str] = []
        self._drops: list[Future[None]] = []

    def drop(self, name: str) -> None:
        """Drop the database ``name`` soon; its connections must be closed already."""
        self._waiting.append(name)
        if len(self._waiting) >= self.BATCH:
            self._send()

    def close(self) -> None:
        """Drop the databases still waiting, wait for every drop; raise the first that failed."""
        self._send()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        drops, self._drops = self._drops, []
        for done in drops:
            done.result()

    def _send(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.BATCH, thread_name_prefix="drop-database")
        self._drops += [self._pool.submit(self._drop, name) for name in self._waiting]
        self._waiting = []
