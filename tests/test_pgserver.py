"""The PostgreSQL server the tests run against (tests/pgserver.py): started from nothing in a
fresh directory, by a user that is not root, reached only with the password, and gone, processes
and files, once stopped."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from pgserver import PASSWORD, PostgresServer, running_over


def test_a_fresh_server_runs_as_a_non_root_user_and_leaves_nothing_behind() -> None:
    server = PostgresServer()
    server.start()
    try:
        base, datadir = server.base, server.datadir
        assert base is not None and datadir.is_relative_to(base)
        [pid] = running_over(datadir)
        postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
        assert int(pid) == postmaster
        assert Path(f"/proc/{pid}").stat().st_uid != 0, "PostgreSQL runs as root"
        if os.geteuid() != 0:
            assert Path(f"/proc/{pid}").stat().st_uid == os.geteuid()

        name, url = server.create_database()
        assert url == f"postgresql://seatbatch:{PASSWORD}@127.0.0.1:{server.port}/{name}"
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT current_user, current_database(), "
                                     "inet_server_addr()::text").fetchone()
            assert row == ("seatbatch", name, "127.0.0.1/32")
            assert connection.execute("SELECT count(*) FROM pg_tables "
                                      "WHERE schemaname = 'public'").fetchone() == (0,)
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(url.replace(PASSWORD, "not-the-password")).close()
        server.drop_database(name)
    finally:
        server.stop()
    assert running_over(datadir) == []
    assert not base.exists()
    server.stop()  # a second stop (atexit's) does nothing
