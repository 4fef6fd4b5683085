"""A landing file's content hash is read once and kept by path, size and mtime (landing.file_hashes)."""

from __future__ import annotations

import os
from pathlib import Path

from trustloop.ingest import loader
from trustloop.ingest.loader import file_sha256, ingest_source

HEADER = (
    "ticket_id,updated_at,created_at,channel,case_type,priority,customer_id,status,solved_at,"
    "subject,description,amount_at_stake,csat_score,reopened_count,disputed_at,dispute_outcome"
)


def ticket(ticket_id: str) -> str:
    return f"{ticket_id},2026-03-02T10:00:00Z,2026-03-02T09:00:00Z,chat,billing_refund,normal,C1,open,,s,d,10.5,4,0,,"


def settle(path: Path, seconds: int = 60) -> None:
    """Date the file's modification back, as for a file delivered a while ago."""
    mtime = path.stat().st_mtime_ns - seconds * 1_000_000_000
    os.utime(path, ns=(mtime, mtime))


def deliver(landing: Path, name: str, ticket_id: str) -> Path:
    """A tickets file of one ticket in ``landing``, delivered a while ago (settled)."""
    path = landing / "tickets" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{HEADER}\n{ticket(ticket_id)}\n")
    settle(path)
    return path


def hashes(con) -> list[tuple]:
    return con.execute("select path, size_bytes, mtime_ns, sha256 from landing.file_hashes order by path").fetchall()


def test_files_are_hashed_once_and_new_content_is_read(con, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    first = deliver(landing, "a.csv", "T1")
    [loaded] = ingest_source(con, landing, "tickets", "run-1")
    stat = first.stat()
    assert loaded.rows_new == 1
    assert hashes(con) == [(str(first.resolve()), stat.st_size, stat.st_mtime_ns, file_sha256(first))]

    # the next run reads no file it has hashed: only the new one is hashed
    read: list[Path] = []
    monkeypatch.setattr(loader, "file_sha256", lambda path: read.append(path) or file_sha256(path))
    second = landing / "tickets" / "b.csv"
    second.write_text(f"{HEADER}\n{ticket('T2')}\n")
    results = ingest_source(con, landing, "tickets", "run-2")
    assert read == [second]
    assert [(r.file, r.status, r.rows_new) for r in results] == [
        ("tickets/a.csv", "skipped_duplicate_file", 0), ("tickets/b.csv", "loaded", 1)]
    assert con.execute("select count(*) from raw.tickets").fetchone()[0] == 2
    # just written, so not kept yet (a write in the same timestamp tick would go unseen): read again next run
    assert [h[0] for h in hashes(con)] == [str(first.resolve())]
    read.clear()
    ingest_source(con, landing, "tickets", "run-2b")
    assert read == [second]
    settle(second)
    ingest_source(con, landing, "tickets", "run-2c")
    read.clear()
    ingest_source(con, landing, "tickets", "run-2d")
    assert read == []

    # an edited file has a new mtime: hashed again, loaded as new content, its kept hash replaced
    read.clear()
    first.write_text(f"{HEADER}\n{ticket('T3')}\n")
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    results = ingest_source(con, landing, "tickets", "run-3")
    assert read == [first]
    assert [(r.file, r.status, r.rows_new) for r in results if r.status == "loaded"] == [("tickets/a.csv", "loaded", 1)]
    assert [h[3] for h in hashes(con) if h[0] == str(first.resolve())] == [file_sha256(first)]
    assert len(hashes(con)) == 2

    # the documented limit: an edit that restores size and mtime to the nanosecond is not seen
    edited = first.stat()
    first.write_text(f"{HEADER}\n{ticket('T4')}\n")
    os.utime(first, ns=(edited.st_atime_ns, edited.st_mtime_ns))
    results = ingest_source(con, landing, "tickets", "run-4")
    assert all(r.status == "skipped_duplicate_file" for r in results)
    assert con.execute("select count(*) from raw.tickets where ticket_id = 'T4'").fetchone()[0] == 0


def test_a_file_that_changes_while_it_is_read_is_not_kept(con, tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    growing = deliver(landing, "a.csv", "T1")

    def hash_while_appended(path: Path) -> str:
        sha = file_sha256(path)
        with open(path, "a") as handle:  # the writer appends after the hash was taken
            handle.write(f"{ticket('T2')}\n")
        return sha

    monkeypatch.setattr(loader, "file_sha256", hash_while_appended)
    ingest_source(con, landing, "tickets", "run-1")
    assert hashes(con) == []
    monkeypatch.undo()
    # the next run hashes it again (now complete) and loads the appended row
    settle(growing)
    ingest_source(con, landing, "tickets", "run-2")
    assert con.execute("select count(*) from raw.tickets where ticket_id = 'T2'").fetchone()[0] == 1
    assert [h[3] for h in hashes(con)] == [file_sha256(growing)]
