"""The disk guard of class grading: growth of a notebook's folders past a limit is noticed while it runs."""

from __future__ import annotations

import threading
from pathlib import Path

from checker.classroom import disk_guard
from checker.classroom.disk_guard import DiskGuard


def _guard(folder: Path, limit: int = 1_000_000, calls: list | None = None) -> DiskGuard:
    return DiskGuard([folder], limit, (calls if calls is not None else []).append)


def test_growth_past_the_limit_is_reported_once_while_it_happens(tmp_path):
    (tmp_path / "submission.ipynb").write_bytes(bytes(4_000_000))  # what was there counts as nothing
    calls, noticed = [], threading.Event()
    guard = DiskGuard([tmp_path], 1_000_000, lambda why: (calls.append(why), noticed.set()))
    guard.start()
    try:
        (tmp_path / "small").write_bytes(bytes(500_000))
        assert not noticed.wait(4 * disk_guard.POLL_SECONDS)
        (tmp_path / "nested").mkdir()
        (tmp_path / "nested" / "big").write_bytes(bytes(1_000_000))
        assert noticed.wait(10)
    finally:
        guard.stop()
    assert calls == ["more than 1 MB"] and guard.exceeded == "more than 1 MB"


def test_too_many_small_files_are_a_limit_too(tmp_path, monkeypatch):
    monkeypatch.setattr(disk_guard, "MAX_ENTRIES", 50)
    guard = _guard(tmp_path)
    for i in range(51):
        (tmp_path / f"f{i}").touch()
    assert guard.check() == "more than 50 files and folders"


def test_only_what_the_run_added_is_deleted_and_links_are_not_followed(tmp_path):
    folder, outside = tmp_path / "notebook", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "data.csv").write_text("kept")
    (outside / "precious").write_bytes(bytes(2_000_000))
    guard = _guard(folder, limit=1_000_000)
    (folder / "link").symlink_to(outside)  # 2 MB behind it, but not in this folder
    assert guard.check() is None
    (folder / "made").mkdir()
    (folder / "made" / "junk").write_bytes(bytes(2_000_000))
    assert guard.check() == "more than 1 MB"
    guard.remove_new_files()
    assert sorted(p.name for p in folder.iterdir()) == ["data.csv"]
    assert (folder / "data.csv").read_text() == "kept" and (outside / "precious").exists()


def test_a_folder_added_later_is_watched_from_then_on(tmp_path):
    first, later = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    later.mkdir()
    guard = _guard(first)
    guard.watch(later)
    (later / "junk").write_bytes(bytes(2_000_000))
    assert guard.check() == "more than 1 MB"
