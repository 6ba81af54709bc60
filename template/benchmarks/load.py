"""Benchmark, not a test: the demo under load, at each queue concurrency (how many requests Gradio runs at once).

    make smoke                   # or make train: serves models/
    python benchmarks/load.py    # --clients 8 --concurrency 1 2 4; --requests: workload.REQUESTS per concurrency
    python benchmarks/load.py --steps 20 --count 4 --requests 24    # generative art: the demo's default request

For each concurrency, app.py's demo starts in its own process (as `python app.py` runs it, so the clients' work is
not the server's), `--clients` visitors send the requests at once over plain HTTP (Visitor, as a browser does),
each sending its next when its last is answered, and a Markdown table shows throughput, latency percentiles,
failures, CPU per request and the server's memory. Gradio runs each request in a thread and they share the CPUs:
more at once helps only while one request leaves a CPU idle. app.py's CONCURRENCY holds the choice;
tests/test_load.py uses the helpers below at that setting, with gradio_client, to check every answer.
"""

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx
from gradio_client import Client

# What this variant's demo is asked (the classifiers' /predict, generative art's /generate): workload.py, beside this
# file, found also when this module is imported from elsewhere (the tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The demo in its own process: app.py's build_demo and LAUNCH; argv: model dir, port, concurrency ("app": app.py's).
SERVER = """
import sys
from pathlib import Path

import app

demo = app.build_demo(Path(sys.argv[1]))
if sys.argv[3] != "app":
    demo.queue(default_concurrency_limit=int(sys.argv[3]))
demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[2]), **app.LAUNCH)
"""


def machine(threads: int, runtimes: tuple[str, ...] = ("torch", "onnxruntime")) -> str:
    """The CPU, the cores this run used, the vector extensions its kernels can use, and the runtimes' versions: the
    line every benchmark prints, so that a figure is never read without the machine it was measured on."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    extensions = {"AVX2": "avx2", "AVX-512": "avx512f", "VNNI": ("avx512_vnni", "avx_vnni"), "AMX": "amx_tile"}
    have = [name for name, flag in extensions.items() if flags & ({flag} if isinstance(flag, str) else set(flag))]
    cpu = model or platform.processor() or platform.machine()
    installed = {name: version(name) for name in runtimes if installed_version(name)}
    versions = ", ".join(f"{name} {number}" for name, number in installed.items())
    return f"machine: {cpu}, {threads} of {os.cpu_count()} cores, {', '.join(have) or 'no AVX2'}; {versions}"


def installed_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(
    models: Path, concurrency: int | None = None, env: dict | None = None, log: Path | None = None, wait: float = 180
) -> Iterator[tuple[subprocess.Popen, str]]:
    """app.py's demo serving `models` in a process of its own, at `concurrency` (None: app.py's); yields the process
    and its URL once it answers, and stops it afterwards. Its output goes to `log`."""
    port = free_port()
    env = {**(os.environ if env is None else env), "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, "-c", SERVER, str(models), str(port), str(concurrency or "app")]
    with open(log or os.devnull, "w") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + wait
        while True:
            if server.poll() is not None:
                tail = Path(log).read_text()[-3000:] if log else "(run with a log to see why)"
                raise RuntimeError(f"The demo exited with status {server.returncode}:\n{tail}")
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"The demo did not answer on {url} within {wait:.0f} s") from None
                time.sleep(0.5)
        yield server, url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def rss_mib(pid: int) -> float:
    """The resident memory of process `pid` (Linux: /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"No VmRSS in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """The CPU time process `pid` has used so far, all its threads, user and system (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class Visitor:
    """The demo over plain HTTP, the way Gradio's own JavaScript client or curl reaches it: files uploaded to
    /gradio_api/upload, then POST /gradio_api/call/<api> and its answer read from the event stream, on one kept-alive
    connection. What a visitor waits for, and nothing else: gradio_client polls, and its answers arrive in steps of
    about 50 ms, so it is kept for checking answers and counting failures, never for timing."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=600)

    def upload(self, path: Path) -> dict:
        """A local file, uploaded: what a gr.File/gr.Image input takes (FileData)."""
        with open(path, "rb") as f:
            response = self.http.post("/gradio_api/upload", files={"files": (Path(path).name, f)})
        response.raise_for_status()
        return {"path": response.json()[0], "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}

    def call(self, api: str, data: list):
        """The event's data once it completes; RuntimeError with Gradio's message when the app raised gr.Error."""
        response = self.http.post(f"/gradio_api/call/{api}", json={"data": data})
        response.raise_for_status()
        event = None
        with self.http.stream("GET", f"/gradio_api/call/{api}/{response.json()['event_id']}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event in ("complete", "error"):
                    payload = json.loads(line.removeprefix("data: "))
                    if event == "error":
                        raise RuntimeError(f"the demo refused the request: {payload}")
                    return payload
        raise RuntimeError(f"the event stream of /{api} ended without an answer")

    def close(self) -> None:
        self.http.close()


def client(url: str, downloads: str | Path) -> Client:
    """A quiet gradio_client Client for the local demo. ssl_verify=False: plain http on 127.0.0.1 has nothing to verify,
    and with it gradio_client loads the CA certificates on every request, ~60 ms of CPU, twice the server's work."""
    return Client(url, verbose=False, download_files=str(downloads), analytics_enabled=False, ssl_verify=False)


def hammer(url: str, requests: Sequence, clients: int, http: bool = False) -> tuple[list[tuple[object, float]], float]:
    """Send `requests` from `clients` clients at once, each in its own thread with its own connection, taking the
    next request when its last is answered: gradio_client clients (answers to check), or with http=True Visitors
    (latencies to trust). Returns (answer or the exception raised, seconds) per request, in order, and the
    wall-clock seconds for all of them (the clients connect before the clock starts)."""
    todo = iter(enumerate(requests))
    lock = threading.Lock()
    results: list = [None] * len(requests)

    def work(one: Client) -> None:
        while True:
            with lock:
                i, request = next(todo, (None, None))
            if i is None:
                return
            start = time.perf_counter()
            try:
                answer = workload.visit(one, request) if http else workload.call(one, request)
            except Exception as error:  # counted as a failure, the client goes on
                answer = error
            results[i] = (answer, time.perf_counter() - start)

    with tempfile.TemporaryDirectory(prefix="load-") as downloads:  # the pictures /generate sends back, read by then
        pool = [Visitor(url) if http else client(url, downloads) for _ in range(clients)]
        threads = [threading.Thread(target=work, args=(one,)) for one in pool]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        for one in pool:
            one.close()
    return results, wall


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def measure(models: Path, concurrency: int, todo: Sequence, clients: int) -> str:
    """The demo at `concurrency`, under `clients` clients sending `todo` after a warm-up: one row of the table."""
    with serve(models, concurrency) as (server, url):
        hammer(url, todo[: 2 * clients], clients, http=True)  # warm-up: every worker thread runs once
        server_cpu, clients_cpu = cpu_seconds(server.pid), time.process_time()
        results, wall = hammer(url, todo, clients, http=True)
        server_cpu, clients_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - clients_cpu
        rss = rss_mib(server.pid)
    failures = sum(isinstance(answer, Exception) for answer, _ in results)
    ms = [seconds * 1e3 for _, seconds in results]
    per_request = [cpu / len(todo) * 1e3 for cpu in (server_cpu, clients_cpu)]
    cells = [f"{len(todo) / wall:.1f}"] + [f"{x:.0f}" for x in (percentile(ms, 50), percentile(ms, 95))]
    cells += [str(failures)] + [f"{x:.0f}" for x in (*per_request, rss)]
    return f"| {concurrency} | {' | '.join(cells)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--clients", type=int, default=8, help="visitors sending at once")
    parser.add_argument("--requests", type=int, default=workload.REQUESTS, help="requests per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4], help="Gradio queue concurrency")
    workload.add_arguments(parser)
    args = parser.parse_args()
    if not (args.models / "model.json").exists():
        sys.exit(f"No exported model in {args.models}/: run make smoke (or make train) first.")
    todo = workload.requests(args.models, args.requests, args)
    print(f"{args.clients} clients, {args.requests} requests, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print()
    # CPU per request does not depend on what else the machine runs: when it is busy, compare those columns. The
    # clients run here, sharing the CPUs with the server.
    print("| concurrency | requests/s | p50 ms | p95 ms | failures | server CPU ms/req | client CPU ms/req | RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for concurrency in args.concurrency:
        print(measure(args.models, concurrency, todo, args.clients), flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
