"""`posecam serve`'s page in a real headless browser: Debian's Chromium driven by Selenium.
A photo is dropped on the page as a user drops it (a real `drop` event carrying the file), the
page uploads it, follows the job and shows the annotated picture, whose download link gives
the annotated JPEG. Skipped where Chromium or its driver is absent (CI installs both)."""

from __future__ import annotations

import base64
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from desktop_app.core.model import PoseModel
from desktop_app.media.images import write_image
from tests.serve.test_serve import LONGEST_WAIT_S, Server

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Chromium and its driver are absent (Debian: apt install chromium chromium-driver)",
)

# What a user does when they drop a file on the box: a `drop` event whose DataTransfer holds
# the file. The file is made in the page from the bytes the test passes.
_DROP = """
const [data, name, type] = arguments;
const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
const transfer = new DataTransfer();
transfer.items.add(new File([bytes], name, {type: type}));
const box = document.getElementById("drop");
const how = {dataTransfer: transfer, bubbles: true, cancelable: true};
box.dispatchEvent(new DragEvent("dragover", how));
box.dispatchEvent(new DragEvent("drop", how));
"""


@pytest.fixture
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_photo_dropped_on_the_page_comes_back_annotated_with_its_download(
    browser: Any, model: PoseModel, grace_hopper: np.ndarray, tmp_path: Path
) -> None:
    photo = tmp_path / "hopper.jpg"
    write_image(photo, grace_hopper)
    server = Server(model)
    try:
        browser.get(server.url + "/")
        # The options come from the server: the smoothing list is filled in once it answered.
        WebDriverWait(browser, 30).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "#smoothing option")
        )
        data = base64.b64encode(photo.read_bytes()).decode()
        browser.execute_script(_DROP, data, "hopper.jpg", "image/jpeg")
        assert "hopper.jpg" in browser.find_element(By.ID, "chosen").text
        browser.find_element(By.ID, "go").click()

        WebDriverWait(browser, LONGEST_WAIT_S).until(
            lambda b: (
                b.find_element(By.ID, "result").is_displayed()
                or "error" in (b.find_element(By.ID, "status").get_attribute("class") or "")
            )
        )
        assert browser.find_element(By.ID, "status").text == "Done."
        annotated = browser.find_element(By.CSS_SELECTOR, "#annotated img")
        # The browser loaded and decoded the annotated picture at the photo's size.
        WebDriverWait(browser, 30).until(
            lambda b: b.execute_script("return arguments[0].naturalWidth", annotated) > 0
        )
        size = browser.execute_script(
            "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", annotated
        )
        assert size == [grace_hopper.shape[1], grace_hopper.shape[0]]
        assert "with a person" in browser.find_element(By.ID, "summary").text

        links = {
            a.text: a.get_attribute("href")
            for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")
        }
        download = next(url for text, url in links.items() if "annotated" in text)
        with urllib.request.urlopen(download, timeout=60) as response:
            assert "attachment" in response.headers.get("Content-Disposition", "")
            body = response.read()
        picture = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.shape[:2] == grace_hopper.shape[:2]
        # The skeleton is drawn: the annotated picture is not the photo as it was.
        original = cv2.cvtColor(grace_hopper, cv2.COLOR_RGB2BGR)
        assert np.abs(picture.astype(int) - original.astype(int)).max() > 100
        assert any("keypoints" in text for text in links)
    finally:
        server.close()
