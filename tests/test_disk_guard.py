"""The disk guard of class grading: growth of a notebook's folders past a limit is noticed while it runs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from checker.classroom import disk_guard, folder_walk
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


def nest_past_path_max(folder: Path, levels: int = 20) -> int:
    """A chain of 255-character folder names, made through relative paths: past PATH_MAX (4096)
    after 17 levels, so no path names what lies below. The descriptor of the deepest folder."""
    current = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir("n" * 255, dir_fd=current)
        deeper = os.open("n" * 255, os.O_RDONLY | os.O_DIRECTORY, dir_fd=current)
        os.close(current)
        current = deeper
    return current


def test_folders_nested_past_what_a_path_can_name_are_a_limit_and_are_deleted(tmp_path):
    """Before, a walk by path skipped what it could not open: 50 MB below the chain went unseen."""
    (tmp_path / "submission.ipynb").write_text("kept")
    guard = _guard(tmp_path, limit=10_000_000)
    deepest = nest_past_path_max(tmp_path)
    hidden = os.open("hidden", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=deepest)
    os.write(hidden, bytes(50_000_000))
    os.close(hidden)
    os.close(deepest)
    assert guard.check() == f"folders nested more than {folder_walk.MAX_DEPTH} deep (or paths that long)"
    guard.remove_new_files()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["submission.ipynb"]


def test_folders_a_notebook_really_makes_are_not_too_deep(tmp_path):
    logs = tmp_path / "logs" / "fit" / "20260101-120000" / "train" / "plugins" / "profile" / "run_1"
    logs.mkdir(parents=True)
    (logs / "events.out.tfevents").write_bytes(bytes(1000))
    assert _guard(tmp_path).check() is None
