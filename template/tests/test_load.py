"""Load: the demo in its own process, at app.py's queue concurrency, with 8 gradio_client clients sending at once
(benchmarks/load.py's helpers): no failures, every answer the one a single client gets, and no memory creeping up."""

import importlib.util
import sys

import pytest

from .conftest import ENV, ROOT

spec = importlib.util.spec_from_file_location("load", ROOT / "benchmarks" / "load.py")
load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)

CLIENTS = 8
REQUESTS = load.workload.REQUESTS  # the classifiers' 200 example files, generative art's 40 cheap paintings
MEMORY_GROWTH = 0.2  # at most 20% more resident memory after the load than after the warm-up


@pytest.mark.skipif(sys.platform != "linux", reason="reads the server's resident memory from /proc")
def test_demo_under_load_answers_every_request_as_one_client_alone_and_keeps_its_memory(pipeline, tmp_path):
    models = pipeline.paths.models
    requests = load.workload.requests(models, REQUESTS)
    log = tmp_path / "server.log"
    with load.serve(models, env=ENV, log=log) as (server, url):
        # One client, one request at a time: the answers to compare with (and the first warm-up).
        alone = load.client(url, tmp_path)
        expected = {request: load.workload.call(alone, request) for request in dict.fromkeys(requests)}
        alone.close()
        warm_up, _ = load.hammer(url, requests[: 2 * CLIENTS], CLIENTS)  # every worker thread, malloc arena, cache
        before = load.rss_mib(server.pid)
        results, seconds = load.hammer(url, requests, CLIENTS)
        after = load.rss_mib(server.pid)
    sent = requests[: 2 * CLIENTS] + requests
    answers = [(request, answer) for request, (answer, _) in zip(sent, warm_up + results, strict=True)]
    failures = [f"{request}: {answer!r}" for request, answer in answers if isinstance(answer, Exception)]
    assert not failures, f"{len(failures)} of {len(answers)} requests failed:\n" + "\n".join(failures[:10])
    wrong = [request for request, answer in answers if not load.workload.same(answer, expected[request])]
    assert not wrong, f"{len(wrong)} answers differ from a single client's, e.g. for {wrong[0]}"
    print(f"{len(requests)} requests from {CLIENTS} clients in {seconds:.1f} s; RSS {before:.0f} -> {after:.0f} MiB")
    assert after <= (1 + MEMORY_GROWTH) * before, f"resident memory grew from {before:.0f} to {after:.0f} MiB"
