"""Installing sgcache on a server: `meson install` into a staging folder (DESTDIR) puts the
executable, an example configuration and the systemd unit in the usual places, the unit
passes `systemd-analyze verify`, and `sgcache serve` speaks the unit's Type=notify protocol
(READY=1 once started, STOPPING=1 on SIGTERM) to a socket like systemd's."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import BUILD, Scenario

PREFIX = "/usr/local"


def install(destdir):
    out = subprocess.run(["meson", "install", "-C", str(BUILD), "--destdir", str(destdir), "--no-rebuild", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return destdir / PREFIX.lstrip("/")


def test_meson_install_puts_the_executable_the_configuration_and_a_unit_that_verifies(tmp_path):
    root = install(tmp_path)
    exe = root / "bin" / "sgcache"
    config = root / "etc" / "sgcache" / "config.yaml"
    unit = root / "lib" / "systemd" / "system" / "sgcache.service"
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert (root / "etc" / "sgcache" / "entityConfig" / "README.md").is_file()
    assert (root / "share" / "doc" / "sgcache" / "README.md").is_file()
    # The installed configuration finds its entity configs beside it, not in ../entityConfig.
    assert "\nentity_config_dir: entityConfig\n" in config.read_text()
    out = subprocess.run([str(exe), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "usage: sgcache serve" in out.stdout

    text = unit.read_text()
    assert f"ExecStart={PREFIX}/bin/sgcache serve --config {PREFIX}/etc/sgcache/config.yaml" in text
    for line in ("Type=notify", "Restart=on-failure",
                 f"LoadCredential=script_key:{PREFIX}/etc/sgcache/script.key", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "DynamicUser=yes"):
        assert line in text.splitlines(), line
    assert "@" + "BINDIR@" not in text and "@" + "SYSCONFDIR@" not in text

    # systemd checks that ExecStart exists: verify a copy whose paths point into DESTDIR.
    # It reports problems on stderr (its exit status stays 0 for many), so both must be clean.
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing (Debian package systemd; scripts/install-deps installs it)"
    staged = tmp_path / "check" / "sgcache.service"
    staged.parent.mkdir()
    staged.write_text(text.replace(PREFIX + "/", str(root) + "/"))
    out = subprocess.run([tool, "verify", str(staged)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stdout + out.stderr
    # And the check is not blind: a broken unit is reported.
    staged.write_text(staged.read_text().replace("Type=notify", "Type=notifyy"))
    out = subprocess.run([tool, "verify", str(staged)], capture_output=True, text=True, timeout=60)
    assert "notifyy" in out.stderr


def test_serve_tells_a_service_manager_when_it_is_ready_and_when_it_stops():
    scenario = Scenario(["--generate", "studio:500", "--seed", "41"], ["Shot"])
    folder = Path(tempfile.mkdtemp(prefix="sgct-notify-"))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        path = folder / "notify.sock"
        sock.bind(str(path))
        sock.settimeout(0.5)
        os.environ["NOTIFY_SOCKET"] = str(path)
        try:
            proc = scenario.serve()
        finally:
            del os.environ["NOTIFY_SOCKET"]
        messages = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("READY=1" in m for m in messages):
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                assert proc.poll() is None, scenario.log_tail()
        assert any("READY=1" in m for m in messages), (messages, scenario.log_tail())
        ready = next(m for m in messages if "READY=1" in m)
        assert "STATUS=" in ready
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("STOPPING=1" in m for m in messages):
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        assert any("STOPPING=1" in m for m in messages), messages
        assert proc.wait(30) == 0, scenario.log_tail()
    finally:
        sock.close()
        shutil.rmtree(folder, ignore_errors=True)
        scenario.close()
