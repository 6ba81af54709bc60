"""Each variant's demo in a real browser, as its user meets it: in the rendered project trained on the sample data
(`make smoke`; the project test_generated.py checks), start `python app.py`, then headless Chromium driven by
Playwright uploads an example (image, audio) or sets a seed, clicks Submit and must see the label or the gallery.
It saves a screenshot of the page per variant: into $SCREENSHOTS when set (`SCREENSHOTS=docs/images pytest
tests/test_browser.py` refreshes the docs' pictures), else into the test's temporary folder.

Chromium is Debian's (`apt-get install chromium`; .ci/run installs it), never `playwright install`'s download. The
test skips, saying why, only where Playwright or a Chromium executable is missing."""

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import PYTHON, free_port

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Headless, and quiet on a machine that reaches nothing but localhost.
BROWSER_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1000, "height": 700}
SERVER_START_S = 180  # imports and the model load take ~5-10 s on a quiet machine; much longer on a busy one
ANSWER_MS = 60_000  # the label or the gallery: ~0.1-1 s on a quiet machine
SEED, COUNT = 7, 3  # the generative demo's request (the form's defaults are 0 and 4)


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"python app.py exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"python app.py did not answer on {url} within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def browser():
    """Checked before any project is rendered and trained, so a machine without a browser skips at once."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    executable = next(filter(None, map(shutil.which, BROWSERS)), None)
    if executable is None:
        pytest.skip(f"no Chromium executable on PATH ({', '.join(BROWSERS)}): apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(generated, browser):  # stops the server as soon as its one test ends
    """(variant, project, url, log): the variant's rendered, committed, smoke-trained project (conftest's `generated`,
    shared with test_generated.py) whose `python app.py` is serving."""
    variant, project = generated.variant, generated.smoked()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = project.parent / "app.log"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    with log.open("w") as out:
        server = subprocess.Popen([PYTHON, "app.py"], cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, server, log)
        yield variant, project, url, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def first_example(project: Path) -> tuple[Path, str]:
    """The first of the examples `make smoke` leaves in models/examples, and its label (`<label>_<n>.<ext>`)."""
    examples = sorted(p for p in (project / "models/examples").iterdir() if p.is_file())
    assert examples, "make smoke left no examples in models/examples"
    return examples[0], examples[0].stem.rsplit("_", 1)[0]


def test_demo_in_a_browser(demo, browser, tmp_path):
    from playwright.sync_api import expect

    variant, project, url, log = demo
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(url)
        if variant == "generative_art":
            page.get_by_label("Seed (same seed, same pictures)").fill(str(SEED))
            page.get_by_label("number input for How many").fill(str(COUNT))  # the slider's number box
            page.get_by_role("button", name="Submit").click()
            # Each picture's caption (its alt text) is "seed <seed> #<i>": the seed and the count both arrived.
            captions = [f"seed {SEED} #{i}" for i in range(COUNT)]
            pictures = page.get_by_alt_text(re.compile(rf"^seed {SEED} #\d+$"))
            expect(pictures).to_have_count(COUNT, timeout=ANSWER_MS)
            assert sorted(p.get_attribute("alt") for p in pictures.all()) == captions
            page.wait_for_function(  # and the browser has the PNGs, not broken images
                "n => [...document.images].filter(i => i.alt.startsWith(n)).every(i => i.complete && i.naturalWidth)",
                arg=f"seed {SEED} #",
                timeout=ANSWER_MS,
            )
        else:
            example, label = first_example(project)
            if variant == "speech_recognition":
                page.get_by_role("button", name="Upload file").click()  # the microphone is the first source
            page.locator("input[type=file]").first.set_input_files(example)
            # Submit once the upload is on the server and shown: the picture, or the player's controls.
            preview = "[data-testid=image] img" if variant == "image_classifier" else "[data-testid=waveform-controls]"
            expect(page.locator(preview).first).to_be_visible(timeout=ANSWER_MS)
            page.get_by_role("button", name="Submit").click()
            expect(page.locator("[data-testid=label-output-value]")).to_have_text(label, timeout=ANSWER_MS)
        folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        shot = folder / f"demo-{variant}.png"
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 0
    except Exception as error:  # Playwright's timeouts and failed expectations: add what the page and server showed
        page.screenshot(path=tmp_path / f"failed-{variant}.png", full_page=True)
        raise AssertionError(
            f"{error}\n--- the page: {tmp_path / f'failed-{variant}.png'}\n--- python app.py's output:\n"
            f"{log.read_text()[-3000:]}"
        ) from error
    finally:
        page.close()
