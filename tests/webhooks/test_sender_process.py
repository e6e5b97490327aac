"""The embedded sender child: it sends what is due, stops with its server, and does not outlive a
server killed with SIGKILL (its pipe closes; the messages it held come back with their leases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from standardwebhooks import Webhook

from u22a8.runs.webhook_process import SenderProcess
from u22a8.settings import Settings
from u22a8.store import Store
from u22a8.webhooks import new_secret

from ..conftest import ROOT, wait_for
from .receiver import running_receiver


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_child_sends_due_messages_and_stops_with_its_parent(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, webhooks_allow_private=True)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    sender = SenderProcess(settings)
    with running_receiver() as receiver:
        secret = new_secret()
        ep = store.webhooks.create("acme", receiver.url, ["*"], None, "", secret)
        sender.start()
        try:
            for _ in range(3):
                store.webhooks.add_ping(ep.id, "acme")
            sender.nudge()
            wait_for(lambda: len(receiver.received) == 3, 120, 0.05)
            for got in receiver.received:
                assert Webhook(secret).verify(got.body, got.headers)["type"] == "ping"
            wait_for(lambda: all(d.state == "succeeded" for d in store.webhooks.deliveries(ep.id, "acme")), 30)
            pid = sender.pid
            assert pid is not None
        finally:
            sender.stop()
        assert not _alive(pid)
    store.close()


def test_the_child_does_not_outlive_a_killed_server(tmp_path: Path) -> None:
    parent = textwrap.dedent(f"""
        import time
        from u22a8.runs.webhook_process import SenderProcess
        from u22a8.settings import Settings
        from u22a8.store import Store
        if __name__ == "__main__":
            settings = Settings(home={str(tmp_path)!r})
            Store(settings.resolved_database_url, settings.resolved_artifacts).upgrade()
            sender = SenderProcess(settings)
            sender.start()
            print(sender.pid, flush=True)
            time.sleep(600)
    """)
    script = tmp_path / "parent.py"
    script.write_text(parent)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        assert _alive(child)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Orphaned, it reads the end of its pipe and stops (after its start-up, if still in it).
        wait_for(lambda: not _alive(child), 120, 0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
