"""Load on the bridge: many local clients asking ``POST /v1/suggest`` of a real ``tagrec serve`` over loopback.

Side by side in one run, on the same drafts (so-users valid: title + body):

* **in-process** - ``Service.suggest`` called directly, one request at a time: the floor the HTTP path adds to;
* **one client** - the same requests over HTTP, one at a time (keep-alive): the bridge's own overhead;
* **closed loop** - ``--clients`` clients (default 50), each with its own token and connection, each sending
  ``--requests`` requests (default 100) back to back: errors, p50/p99 latency, throughput (goal: 0 errors,
  p99 <= 25 ms);
* **closed loop on hello** - the same load on ``GET /v1/hello``, which does no work: what the HTTP stack alone
  (uvicorn, FastAPI, the guard) allows on this machine, the ceiling for the line above;
* **open loop** - requests arriving at fixed rates (25 ... 1600/s) on a pool of connections: p50/p99 per rate,
  and the rate at which p50 latency doubles from the lowest rate's;
* the server's memory (VmRSS now, VmHWM peak, from /proc) after the run.

The server is a separate process (``python -m tagrec_core serve``) with the shipped models; the client is one
asyncio process with a minimal HTTP/1.1 client, so client cost stays small. Both share this machine's cores.

    python -m bench.bridge_load [--clients 50] [--requests 100] [--out bench/results/bridge_load.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.quality import DEFAULT_DATA_ROOT, load_set

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUT = RESULTS_DIR / "bridge_load.json"
P99_GOAL_MS = 25.0
RATES = (25, 50, 100, 200, 400, 800, 1600)
RATE_SECONDS = 4.0


def drafts(data_root: Path, n: int) -> list[bytes]:
    """``n`` suggest bodies (JSON) from so-users valid, cycling if it is shorter."""
    records = load_set("so-users", data_root).valid
    bodies = [
        json.dumps({"site": "stackoverflow", "title": r.title, "body": r.body[:4000], "limit": 5}).encode()
        for r in records[: max(n, 1)]
    ]
    return [bodies[i % len(bodies)] for i in range(n)]


class Client:
    """One keep-alive HTTP/1.1 connection that posts JSON and returns (status, seconds)."""

    def __init__(self, port: int, route: str = "POST /v1/suggest") -> None:
        self.port = port
        self.head = (
            f"{route} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Tagrec-Api: 1\r\nContent-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes, token: str) -> tuple[int, float]:
        """Send and wait for the answer; a connection the server closed while idle (keep-alive timeout) is
        opened again once, as browsers do."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            started = time.perf_counter()
            headers = f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
            self.writer.write(self.head + headers.encode() + body)
            await self.writer.drain()
            line = await self.reader.readline()
            if line or attempt == 2:
                break
            self.writer.close()
            self.writer = None
        if not line:
            raise ConnectionResetError("the server closed the connection")
        status = int(line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status, time.perf_counter() - started

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def summary(latencies: Sequence[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    if not ordered:
        return {"requests": errors, "errors": errors}

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "requests": len(ordered) + errors,
        "errors": errors,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "throughput_rps": round(len(ordered) / seconds, 1) if seconds else 0.0,
    }


async def sequential(port: int, tokens: Sequence[str], bodies: Sequence[bytes]) -> dict[str, Any]:
    """One request at a time on one connection; the tokens take turns (each token has its own rate limit)."""
    client = Client(port)
    latencies, errors = [], 0
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        status, seconds = await client.post(body, tokens[n % len(tokens)])
        if status == 200:
            latencies.append(seconds)
        else:
            errors += 1
    await client.close()
    return summary(latencies, errors, time.perf_counter() - started)


async def closed_loop(
    port: int, tokens: Sequence[str], bodies: Sequence[bytes], requests: int, route: str = "POST /v1/suggest"
) -> dict[str, Any]:
    """Each token's client sends ``requests`` requests back to back (``route``: method and path; a GET is sent
    with an empty body)."""
    latencies: list[float] = []
    errors = 0
    if route.startswith("GET "):
        bodies = [b""]

    async def one_client(index: int) -> None:
        nonlocal errors
        client = Client(port, route)
        for n in range(requests):
            try:
                status, seconds = await client.post(bodies[(index * requests + n) % len(bodies)], tokens[index])
            except (OSError, ValueError, asyncio.IncompleteReadError):
                errors += 1
                client = Client(port, route)
                continue
            if status == 200:
                latencies.append(seconds)
            else:
                errors += 1
        await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(len(tokens))))
    return summary(latencies, errors, time.perf_counter() - started)


async def open_loop(port: int, tokens: Sequence[str], bodies: Sequence[bytes], rate: float) -> dict[str, Any]:
    """Requests arrive every 1/rate s (Poisson) for RATE_SECONDS, each on an idle connection of a pool (a new
    connection when none is idle); the tokens take turns."""
    idle = [Client(port) for _ in tokens]
    latencies: list[float] = []
    errors = 0
    rng = random.Random(rate)

    async def one(n: int, due: float) -> None:
        nonlocal errors
        client = idle.pop() if idle else Client(port)
        try:
            status, _ = await client.post(bodies[n % len(bodies)], tokens[n % len(tokens)])
        except (OSError, ValueError, asyncio.IncompleteReadError):
            errors += 1
            return
        finished = time.perf_counter()
        idle.append(client)
        if status == 200:
            latencies.append(finished - due)  # from the moment it was due: queueing in the client counts too
        else:
            errors += 1

    tasks = []
    started = time.perf_counter()
    due = started
    n = 0
    while due - started < RATE_SECONDS:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n, due)))
        n += 1
        due += rng.expovariate(rate)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for client in idle:
        await client.close()
    return {"rate_rps": rate, **summary(latencies, errors, elapsed)}


def in_process(bodies: Sequence[bytes]) -> dict[str, Any]:
    """The floor: ``Service.suggest`` on this process's own shipped model, one request at a time."""
    from tagrec_core.profile import Profile
    from tagrec_core.service import Service, SuggestRequest

    with tempfile.TemporaryDirectory() as home, Profile.open(Path(home) / "profile.sqlite") as profile:
        service = Service(profile, {"stackoverflow": "stackoverflow"})
        service.start()
        service.wait()
        requests = [SuggestRequest(**{k: v for k, v in json.loads(b).items()}) for b in bodies]
        for request in requests[:50]:
            service.suggest(request)
        latencies = []
        started = time.perf_counter()
        for request in requests:
            t = time.perf_counter()
            service.suggest(request)
            latencies.append(time.perf_counter() - t)
        result = summary(latencies, 0, time.perf_counter() - started)
        service.close()
    return result


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "tagrec_core", "serve", "--home", str(home), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import http.client

    for _ in range(1200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v1/hello", headers={"X-Tagrec-Api": "1"})
            models = json.loads(conn.getresponse().read())["models"]
            conn.close()
            if all(m["state"] == "ready" for m in models.values()):
                return server
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the bridge did not become ready")


def doubling_rate(sweep: Sequence[dict[str, Any]]) -> float | None:
    """The lowest swept rate whose p50 is at least twice the lowest rate's (``None``: never within the sweep)."""
    base = sweep[0].get("p50_ms")
    for point in sweep[1:]:
        if base and (point.get("p50_ms", float("inf")) >= 2 * base or point.get("errors", 0)):
            return point["rate_rps"]
    return None


def run(args: argparse.Namespace) -> dict[str, Any]:
    from extension_bridge.tokens import TokenStore

    bodies = drafts(args.data_root, max(1000, args.clients * args.requests // 5))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        store = TokenStore.for_home(home)
        tokens = [store.create("cli", name=f"load {i}")[1] for i in range(args.clients)]
        store.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = start_server(home, port)
        try:
            asyncio.run(sequential(port, tokens, bodies[:200]))  # warm-up
            one_client = asyncio.run(sequential(port, tokens, bodies[: args.sequential]))
            closed = asyncio.run(closed_loop(port, tokens, bodies, args.requests))
            hello = asyncio.run(closed_loop(port, tokens, bodies, args.requests, route="GET /v1/hello"))
            sweep = [asyncio.run(open_loop(port, tokens, bodies, rate)) for rate in args.rates]
            memory = memory_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    floor = in_process(bodies[: args.sequential])
    return {
        "bench": "bridge_load",
        "data": "so-users valid (title + body), shipped stackoverflow model",
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "requests_per_client": args.requests,
        "in_process": floor,
        "one_client": one_client,
        "http_overhead_ratio_p50": round(one_client["p50_ms"] / floor["p50_ms"], 2),
        "closed_loop": closed,
        "p99_goal_ms": P99_GOAL_MS,
        "p99_goal_met": closed.get("errors", 1) == 0 and closed.get("p99_ms", 1e9) <= P99_GOAL_MS,
        "closed_loop_hello": hello,
        "hello_p99_goal_met": hello.get("errors", 1) == 0 and hello.get("p99_ms", 1e9) <= P99_GOAL_MS,
        "throughput_vs_hello": round(
            closed.get("throughput_rps", 0.0) / max(hello.get("throughput_rps", 0.0), 1e-9), 3
        ),
        "open_loop": sweep,
        "latency_doubles_at_rps": doubling_rate(sweep),
        "server_memory": memory,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100, help="per client, closed loop")
    parser.add_argument("--sequential", type=int, default=500, help="requests for the one-at-a-time runs")
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
