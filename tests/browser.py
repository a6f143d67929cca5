"""A headless Chromium for tests that look at pages as a person would.

Selenium drives Debian's `chromium` through Debian's `chromium-driver` (same release, so the two
always match, and nothing is downloaded at run time). `.ci/run` installs both when missing; a
developer without them sees the tests skipped with the command that installs them, except where
RNN_GRADER_BROWSER_REQUIRED is set (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RNN_GRADER_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("RNN_GRADER_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL = "apt-get install chromium chromium-driver fonts-noto-cjk"


def _require_browser() -> None:
    missing = [path for path in (CHROMIUM, DRIVER) if not shutil.which(path)]
    if not missing:
        return
    reason = f"no browser here ({', '.join(missing)} missing): {INSTALL}"
    if os.environ.get("RNN_GRADER_BROWSER_REQUIRED"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Page:
    """One page opened in the browser, with what a reader sees of it."""

    driver: object
    shots: Path

    def open(self, path: Path) -> None:
        self.driver.get(path.resolve().as_uri())

    def visible_text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    def elements(self, css: str) -> list:
        return self.driver.find_elements("css selector", css)

    def images_loaded(self) -> list[tuple[str, bool]]:
        """(alt text, decoded and drawn) for every <img> on the page."""
        return [
            (
                image.get_attribute("alt") or "",
                bool(
                    self.driver.execute_script(
                        "return arguments[0].complete && arguments[0].naturalWidth > 0;", image
                    )
                ),
            )
            for image in self.elements("img")
        ]

    def screenshot(self, name: str) -> Path:
        """The whole page as a PNG in the test's folder, for a person to look at afterwards."""
        height = self.driver.execute_script("return document.body.scrollHeight;")
        self.driver.set_window_size(1280, max(800, min(int(height), 12000)))
        path = self.shots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot of {name}"
        return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium for the session."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,800")
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(chromium: object, tmp_path: Path) -> Page:
    return Page(chromium, tmp_path)
