"""Dagster's SQLite event log, with one open connection per database file instead of one per statement.

Dagster's `SqliteEventLogStorage` creates a SQLAlchemy engine, opens a connection and disposes of
both for every transaction it writes: two or three times for each of the ~800 events of a
`trustloop run` (the run's own file, then the cross-run index file, twice for an asset check).
On the 3,000-ticket test folder storing the events took 8.2 s of the run process's 33 s, and 1.6 s
with the engines kept (about 3 s less wall time per run, whatever the data size).

`PooledSqliteEventLogStorage` keeps an engine, and so its pooled connection, per database file
(at most `MAX_ENGINES` files, the least recently used closed first) and changes nothing else: the
same files, tables and transactions, Dagster's WAL journal, and Dagster's own lock around every
transaction. One setting differs: `synchronous=NORMAL` on its connections (`_relaxed_sync`), SQLite's
recommended setting for a WAL journal, where a commit appends to the journal without waiting for the
disk (it is synced at each checkpoint). A process killed at any point loses nothing committed; an
operating-system crash or a power cut may lose the last transactions, never the file's consistency. For
the run history that costs at most a run shown unfinished, which the next run does not skip. Waiting
for the disk at each of the ~1,800 commits of a run took 2-3 ms each here (4.6 against 1.7 ms per
stored event), several seconds of every run. Dagster builds it from the `event_log_storage` block
that `trustloop.settings` writes into `dagster.yaml`; the run and schedule storages stay Dagster's.
It overrides Dagster's connection methods (`_connect`, `has_table`), so a Dagster upgrade must
keep them: every run of the test suite goes through this class.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MAX_ENGINES = 8


def _relaxed_sync(dbapi_connection, _record) -> None:
    """Each new connection commits to the WAL journal without waiting for the disk (module docstring)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that reuses one engine per database file for the life of the process."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._inherited: list[Engine] = []
        # its own lock: Dagster calls `has_table` inside transactions, which hold `_db_lock`
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The engine of one database file, created on first use."""
        with self._engines_lock:
            if self._engines_pid != os.getpid():
                # A forked child opens its own connections. It keeps references to its parent's, never
                # to use or close them: closing an inherited SQLite connection could touch the parent's.
                self._inherited.extend(self._engines.values())
                self._engines, self._engines_pid = OrderedDict(), os.getpid()
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
                )
                event.listen(engine, "connect", _relaxed_sync)
                self._engines[shard] = engine
                while len(self._engines) > MAX_ENGINES:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            return engine

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def delete_events(self, run_id: str) -> None:
        """Dagster empties a deleted run's database file and leaves it; the file goes too."""
        super().delete_events(run_id)
        with self._engines_lock:
            engine = self._engines.pop(run_id, None)
        if engine is not None:
            engine.dispose()
        self._initialized_dbs.discard(run_id)
        path = self.path_for_shard(run_id)
        for leftover in (path, path + "-wal", path + "-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)

    def wipe(self) -> None:
        self._dispose_engines()  # before Dagster deletes the run files
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
