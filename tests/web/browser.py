"""A real browser for the web console's end-to-end tests: Debian's ``chromium`` driven
by ``chromium-driver`` through Selenium, headless; every call runs in a thread so the
console can serve it from the test's event loop."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

T = TypeVar("T")
CHROMIUM = ("chromium", "chromium-browser")
DRIVER = "chromedriver"
REQUIRED = "KLBOT_REQUIRE_BROWSER"
"""Set (by .ci/run): a missing browser fails the tests instead of skipping them."""
SCREENSHOTS = "KLBOT_SCREENSHOTS"
"""A folder (docs/): the tests save a PNG of each page there."""


def find_chromium() -> tuple[str, str]:
    """The paths of chromium and chromedriver; skips (fails under .ci/run) without them."""
    browser = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    driver = shutil.which(DRIVER)
    if browser is None or driver is None:
        reason = (
            "the browser tests need Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver; .ci/run installs them)"
        )
        if os.environ.get(REQUIRED):
            pytest.fail(reason)
        pytest.skip(reason)
    return browser, driver


def start_chromium(language: str = "de") -> webdriver.Chrome:
    browser, driver = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        f"--lang={language}",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


class Browser:
    """One headless Chromium, spoken to from async tests."""

    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver, self.base = driver, base

    async def _run(self, work: Callable[[], T]) -> T:
        """``work`` in a thread; again (up to three times) if the page changed under it."""
        for attempt in range(3):
            try:
                return await asyncio.to_thread(work)
            except (StaleElementReferenceException, WebDriverException) as exc:
                if attempt == 2 or (
                    "document" not in str(exc)
                    and not isinstance(exc, StaleElementReferenceException)
                ):
                    raise
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    async def open(self, address: str) -> str:
        """Go to ``address`` (a path on the console, or a full URL); the page's text."""
        url = address if address.startswith("http") else self.base + address
        await self._run(lambda: self.driver.get(url))
        return await self.text()

    async def text(self) -> str:
        return await self._run(lambda: self.driver.find_element(By.TAG_NAME, "body").text)

    async def title(self) -> str:
        return await self._run(lambda: self.driver.title)

    async def path(self) -> str:
        url = await self._run(lambda: self.driver.current_url)
        return url.removeprefix(self.base)

    async def follow(self, link_text: str) -> str:
        """Click the link that reads exactly ``link_text``; the new page's text."""
        return await self._leave(lambda: self.driver.find_element(By.LINK_TEXT, link_text))

    async def press(self, label: str) -> str:
        """Click the button labelled ``label``; the new page's text."""
        xpath = f"//button[normalize-space()={_quoted(label)}]"
        return await self._leave(lambda: self.driver.find_element(By.XPATH, xpath))

    async def _leave(self, target: Callable[[], WebElement]) -> str:
        """Click ``target`` once and wait until the next page has loaded. Only the waiting
        is tried again: a second click after a first that went through would look for the
        button on the next page (where it is gone) and fail a test that passed."""
        old = await self._run(lambda: self.driver.find_element(By.TAG_NAME, "html"))

        def click() -> None:
            try:
                found = target()
            except NoSuchElementException:
                page = self.driver.find_element(By.TAG_NAME, "body").text
                raise AssertionError(
                    f"not on {self.driver.current_url}, which reads:\n{page}"
                ) from None
            try:
                found.click()
            except WebDriverException as exc:
                if "document" not in str(exc):
                    raise  # else the page was already going: the click went through

        def loaded() -> None:
            WebDriverWait(self.driver, 15).until(staleness_of(old))
            WebDriverWait(self.driver, 15).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )

        await asyncio.to_thread(click)
        await self._run(loaded)
        return await self.text()

    async def wait_for_new_page(self, old: WebElement) -> str:
        await self._run(lambda: WebDriverWait(self.driver, 15).until(staleness_of(old)))
        return await self.text()

    async def fill(self, label: str, text: str) -> None:
        """Type ``text`` into the field whose label reads ``label``."""

        def typing() -> None:
            found = self.driver.find_element(
                By.XPATH, f"//label[normalize-space()={_quoted(label)}]"
            )
            field = self.driver.find_element(By.ID, found.get_attribute("for") or "")
            field.clear()
            field.send_keys(text)

        await self._run(typing)

    async def paste(self, label: str, text: str) -> None:
        """Put ``text`` into the field whose label reads ``label`` at once, as pasting
        does (typing 10,000 characters key by key takes half a minute)."""

        def pasting() -> None:
            found = self.driver.find_element(
                By.XPATH, f"//label[normalize-space()={_quoted(label)}]"
            )
            field = self.driver.find_element(By.ID, found.get_attribute("for") or "")
            self.driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                field,
                text,
            )

        await self._run(pasting)

    async def wait_for_text(self, css: str, text: str, timeout: float = 15) -> str:
        """Wait until the element ``css`` reads ``text`` (the page's scripts at work, no new
        page); its whole text."""

        def shown(driver: webdriver.Chrome) -> str | Literal[False]:
            found = driver.find_elements(By.CSS_SELECTOR, css)
            return found[0].text if found and text in found[0].text else False

        return await self._run(lambda: WebDriverWait(self.driver, timeout).until(shown))

    async def type(self, label: str, text: str) -> None:
        """Type ``text`` at the end of the field whose label reads ``label``."""

        def typing() -> None:
            found = self.driver.find_element(
                By.XPATH, f"//label[normalize-space()={_quoted(label)}]"
            )
            self.driver.find_element(By.ID, found.get_attribute("for") or "").send_keys(text)

        await self._run(typing)

    async def script(self, code: str, *args: Any) -> Any:
        return await self._run(lambda: self.driver.execute_script(code, *args))

    async def elements(self, css: str) -> list[WebElement]:
        return await self._run(lambda: self.driver.find_elements(By.CSS_SELECTOR, css))

    async def keys(self, *keys: str) -> None:
        """Press keys where the focus is (``Keys.TAB``)."""
        await self._run(lambda: ActionChains(self.driver).send_keys(*keys).perform())

    async def resize(self, width: int, height: int) -> None:
        await self._run(lambda: self.driver.set_window_size(width, height))

    async def forget_cookies(self) -> None:
        await self._run(self.driver.delete_all_cookies)

    async def screenshot(self, name: str) -> None:
        """Save the page as ``NAME.png`` where ``$KLBOT_SCREENSHOTS`` says (else nowhere)."""
        folder = os.environ.get(SCREENSHOTS)
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        target = str(Path(folder) / f"{name}.png")

        def shoot() -> None:
            height = self.driver.execute_script("return document.body.scrollHeight")
            width = self.driver.get_window_size()["width"]
            self.driver.set_window_size(width, max(600, min(int(height) + 140, 2400)))
            self.driver.save_screenshot(target)
            self.driver.set_window_size(width, 900)

        await self._run(shoot)


def _quoted(text: str) -> str:
    """``text`` as an XPath string literal."""
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", '\"', ".join(f'"{part}"' for part in text.split('"')) + ")"
