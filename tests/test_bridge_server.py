"""The bridge server's life: model loading (503), a model that fails, the port taken, ``tagrec serve`` and
``tagrec token`` as a user runs them, and the OpenAPI document kept in sync with the routes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from extension_bridge.server import BridgeServer, PortInUse
from tagrec_core import defaults
from tests.bridge_client import EXTENSION, Raw
from tests.cli_support import TAGREC

DRAFT = {"site": "stackoverflow", "title": "How do I parse JSON in Python?", "body": "json.loads fails"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_suggest_answers_503_while_the_model_loads_then_200(tmp_path: Path) -> None:
    server = BridgeServer(tmp_path, port=0, models={"so": defaults.model_path("stackoverflow")})
    token = server.tokens.create("cli")[1]
    server.start()
    try:
        raw = Raw(server.port)
        first = raw.post("/v1/suggest", DRAFT, token)
        assert (first.status, first.code) == (503, "model_loading")
        assert first.headers["Retry-After"] == "1"
        assert raw.get("/v1/hello").json["models"]["so"]["state"] == "loading"
        assert server.service.wait(timeout=120)
        assert raw.post("/v1/suggest", DRAFT, token).status == 200
    finally:
        server.stop()


def test_a_model_that_cannot_load_is_a_clear_503(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tagrec"
    broken.write_bytes(b"not a model")
    server = BridgeServer(tmp_path, port=0, models={"so": broken})
    token = server.tokens.create("cli")[1]
    server.start()
    try:
        server.service.wait(timeout=60)
        answer = Raw(server.port).post("/v1/suggest", DRAFT, token)
        assert (answer.status, answer.code) == (503, "bad_model")
        assert Raw(server.port).get("/v1/hello").json["models"]["so"]["state"] == "failed"
    finally:
        server.stop()


def test_a_port_taken_by_another_program_is_named(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        with pytest.raises(PortInUse, match=r"used by another program.*--port"):
            BridgeServer(tmp_path, port=other.getsockname()[1])


def test_a_port_taken_by_another_tagrec_is_named(tmp_path: Path, bridge: Any) -> None:
    with pytest.raises(PortInUse, match=r"tagrec .* is already running on port"):
        BridgeServer(tmp_path / "other", port=bridge.port)


def test_serve_runs_until_ctrl_c_and_refuses_a_taken_port(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TAGREC_HOME": str(tmp_path)}
    made = subprocess.run(
        [*TAGREC, "token", "create", "--origin", EXTENSION, "--name", "Chrome", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = json.loads(made.stdout)["token"]
    server = subprocess.Popen([*TAGREC, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        raw = Raw(port, timeout=5)
        for _ in range(600):
            try:
                if raw.post("/v1/suggest", DRAFT, token, headers={"Origin": EXTENSION}).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        answer = raw.post("/v1/suggest", DRAFT, token, headers={"Origin": EXTENSION})
        assert answer.status == 200 and answer.json["suggestions"]
        second = subprocess.run([*TAGREC, "serve", "--port", str(port)], env=env, capture_output=True, text=True)
        assert second.returncode == 1
        assert "already running on port" in second.stderr and "Traceback" not in second.stderr
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in err


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A service manager's SIGTERM: the bridge stops, closes the profile (which folds its write-ahead log into
    the database) and exits 0, as after Ctrl-C; uvicorn's re-raised SIGTERM used to kill it before that."""
    port = _free_port()
    env = {**os.environ, "TAGREC_HOME": str(tmp_path)}
    made = subprocess.run(
        [*TAGREC, "token", "create", "--origin", "cli", "--json"], env=env, capture_output=True, text=True, check=True
    )
    token = json.loads(made.stdout)["token"]
    server = subprocess.Popen([*TAGREC, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        raw = Raw(port, timeout=5)
        raw.wait_until_up()
        event = {"site": "files", "item": "a", "accepted": ["python"]}
        assert raw.post("/v1/feedback", event, token).status == 200
        assert (tmp_path / "profile.sqlite-wal").exists()
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, err
    assert "tagrec bridge stopped" in err and "Traceback" not in err
    assert not (tmp_path / "profile.sqlite-wal").exists() or (tmp_path / "profile.sqlite-wal").stat().st_size == 0


def test_token_commands_create_list_and_revoke(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*TAGREC, "token", *args, "--home", str(tmp_path)], capture_output=True, text=True)

    made = json.loads(run("create", "--origin", EXTENSION, "--name", "Chrome", "--json").stdout)
    assert made["token"].startswith("tgr_") and made["origin"] == EXTENSION and made["active"] is True
    listed = json.loads(run("list", "--json").stdout)["tokens"]
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]
    assert made["token"] not in (tmp_path / "bridge.sqlite").read_bytes().decode("latin-1")  # stored hashed
    assert run("revoke", made["id"]).returncode == 0
    assert json.loads(run("list", "--json").stdout)["tokens"][0]["active"] is False
    again = run("revoke", made["id"])
    assert again.returncode == 1 and "no active token" in again.stderr
    assert run("revoke").returncode == 1
    web = run("create", "--origin", "https://evil.example")
    assert web.returncode == 1 and "not an extension origin" in web.stderr and "Traceback" not in web.stderr
    newline = run("create", "--origin", EXTENSION + "\n")  # "$" in a pattern lets a final newline through
    assert newline.returncode == 1 and "not an extension origin" in newline.stderr
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    home_is_file = subprocess.run([*TAGREC, "token", "list", "--home", str(a_file)], capture_output=True, text=True)
    assert home_is_file.returncode == 1 and home_is_file.stderr.strip() == (
        f"error: cannot create the folder {a_file}: a file is in the way"
    )
    run("create", "--origin", "cli")
    run("create", "--origin", "cli")
    assert "revoked 2 token(s)" in run("revoke", "--all").stdout


def test_the_openapi_document_matches_the_routes() -> None:
    from extension_bridge import openapi

    assert openapi.main(["--check"]) == 0, "run: python -m extension_bridge.openapi"
    documented = {(m.upper(), p) for p, ops in json.loads(openapi.DOCUMENT.read_text())["paths"].items() for m in ops}
    assert documented == {
        ("GET", "/v1/hello"),
        ("POST", "/v1/suggest"),
        ("POST", "/v1/feedback"),
        ("GET", "/v1/vocab"),
        ("POST", "/v1/pair"),
        ("POST", "/v1/pair/{request_id}"),
        ("POST", "/v1/unpair"),
    }


def test_every_route_and_error_code_is_in_the_protocol_document() -> None:
    from extension_bridge import openapi

    text = (openapi.DOCUMENT.parent / "bridge.md").read_text()
    for path in json.loads(openapi.DOCUMENT.read_text())["paths"]:
        assert path in text, path
    for code in [
        "forbidden_host",
        "forbidden_origin",
        "missing_api_header",
        "unsupported_api_version",
        "token_in_query",
        "unauthorized",
        "invalid_token",
        "rate_limited",
        "unsupported_media_type",
        "too_large",
        "timeout",
        "bad_json",
        "bad_request",
        "bad_feedback",
        "bad_input",
        "forbidden_user",
        "model_loading",
        "bad_model",
        "busy",
        "pairing_closed",
        "too_many_requests",
        "not_found",
        "method_not_allowed",
    ]:
        assert f"`{code}`" in text, code


def test_stopping_while_the_models_load_exits_cleanly(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from extension_bridge.server import BridgeServer\n"
        "server = BridgeServer(sys.argv[1], port=0)\n"
        "server.start()\n"
        "server.stop()\n"  # at once: the models are still loading
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr


def test_serve_pair_approves_on_the_terminal(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TAGREC_HOME": str(tmp_path)}
    server = subprocess.Popen(
        [*TAGREC, "serve", "--port", str(port), "--pair"],
        env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        raw = Raw(port, timeout=5)
        headers = {"Origin": EXTENSION}
        for _ in range(600):
            try:
                if raw.get("/v1/hello").json["pairing"]:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        started = raw.post("/v1/pair", {"name": "Chrome"}, headers=headers).json
        assert server.stderr is not None and server.stdin is not None
        while f"code {started['code']}" not in (line := server.stderr.readline()):
            assert line, "serve ended before announcing the request"
        server.stdin.write("y\n")
        server.stdin.flush()
        for _ in range(100):
            status = raw.post(f"/v1/pair/{started['request']}", None, headers=headers).json
            if status["status"] != "pending":
                break
            time.sleep(0.1)
        assert status["status"] == "approved"
        assert raw.post("/v1/suggest", DRAFT, status["token"], headers=headers).status in (200, 503)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0


def test_the_port_comes_from_the_option_then_the_variable_then_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extension_bridge.server import DEFAULT_PORT, PORT_ENV, resolve_port
    from tagrec_core.settings import Settings, save_settings

    monkeypatch.delenv(PORT_ENV, raising=False)
    assert resolve_port(None, tmp_path) == DEFAULT_PORT
    save_settings(Settings(port=24600), tmp_path)
    assert resolve_port(None, tmp_path) == 24600
    monkeypatch.setenv(PORT_ENV, "24700")
    assert resolve_port(None, tmp_path) == 24700
    assert resolve_port(24800, tmp_path) == 24800
