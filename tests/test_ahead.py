"""Work on a raw file started before the command's imports (giftreview.data.ahead)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from concurrent.futures import Future

from giftreview.data import ahead
from giftreview.data.fastcsv import FAST_MIN_CHARS
from giftreview.data.rawcsv import plain_utf8_layout


def _plain_csv(path, rows: int) -> None:
    lines = ["respondent_id,answer"] + [f"R{i:07d},some answer number {i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_started_work_is_the_work_done_again(tmp_path):
    raw = tmp_path / "wave.csv"
    _plain_csv(raw, FAST_MIN_CHARS // 20)
    assert raw.stat().st_size > FAST_MIN_CHARS  # large enough to be streamed
    ahead.start(raw)
    digest = ahead.taken("sha256", raw)
    accounting = ahead.taken("accounting", raw)
    assert digest.result() == hashlib.sha256(raw.read_bytes()).hexdigest()
    layout = accounting.result()
    assert layout == plain_utf8_layout(raw)
    assert layout.expected.n == FAST_MIN_CHARS // 20 + 1  # the header and every row
    # taken once: a second command in the same process starts again
    assert ahead.taken("sha256", raw) is None


def test_a_file_changed_since_is_not_taken(tmp_path):
    raw = tmp_path / "wave.csv"
    _plain_csv(raw, 10)
    ahead.start(raw)
    _plain_csv(raw, 11)  # another size
    os.utime(raw, ns=(1, 1))
    assert ahead.taken("sha256", raw) is None


def test_a_small_file_has_its_hash_started_only(tmp_path):
    raw = tmp_path / "small.csv"
    _plain_csv(raw, 10)  # under FAST_MIN_CHARS: read whole, no accounting pass of its own
    ahead.start(raw)
    assert ahead.taken("accounting", raw) is None
    assert ahead.taken("sha256", raw).result() == hashlib.sha256(raw.read_bytes()).hexdigest()


def test_nothing_is_started_for_what_is_not_a_file(tmp_path):
    ahead.start(tmp_path / "absent.csv")
    ahead.start(tmp_path)
    assert ahead.taken("sha256", tmp_path / "absent.csv") is None
    assert ahead.taken("sha256", tmp_path) is None


def test_the_hash_waits_for_the_accounting_pass(tmp_path, monkeypatch):
    """The accounting pass is held until the test lets it go: meanwhile the hash has not run
    (started side by side, as before, it would have run at once), and afterwards it has."""
    raw = tmp_path / "wave.csv"
    _plain_csv(raw, FAST_MIN_CHARS // 20)
    order = []
    go = threading.Event()

    def layout(path):
        go.wait(timeout=10)
        order.append("accounting")
        return plain_utf8_layout(path)

    def digest(path):
        order.append("sha256")
        return hashlib.sha256(path.read_bytes()).hexdigest()

    monkeypatch.setattr(ahead, "plain_utf8_layout", layout)
    monkeypatch.setattr(ahead, "file_sha256", digest)
    ahead.start(raw)
    time.sleep(0.3)  # ample for a hash that did not wait to start
    assert order == []
    go.set()
    assert ahead.taken("sha256", raw).result() == hashlib.sha256(raw.read_bytes()).hexdigest()
    assert ahead.taken("accounting", raw).done()
    assert order == ["accounting", "sha256"]


def test_the_hash_is_made_when_the_accounting_pass_fails_or_is_cancelled():
    failed = Future()
    failed.set_exception(OSError("unreadable"))
    cancelled = Future()
    cancelled.cancel()
    for first in (failed, cancelled, None):
        assert ahead._after(first, len, "abc") == 3
