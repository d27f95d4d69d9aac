"""Screenshots of a built report (`snakemake --report report.html`) in headless Chromium (Debian's `chromium`):
the landing page, and one figure page per name given, opened through the report app's own `setView`
(the same call its result buttons make), since a figure page has no URL of its own.

    python docs/report/screenshot.py results/tiny/report.html /tmp/shots quality.png
"""

import subprocess
import sys
from pathlib import Path

OPEN_FIGURE = """<script>setTimeout(function () {
  var p = Object.keys(results).find(function (k) { return k.endsWith('%s'); });
  app.setView({navbarMode: 'resultinfo', resultPath: p, content: 'img', contentPath: results[p].data_uri});
}, 1500);</script></body>"""


def shot(page: Path, out: Path, height: int = 1100) -> None:
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--window-size=1400,{height}",
            "--virtual-time-budget=8000",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def main(html: Path, out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    shot(html, out / "landing.png")
    head, _, tail = html.read_text().rpartition("</body>")  # the last one: the embedded libraries contain the string too
    for name in names:
        page = html.with_name(f"screenshot_{name}.html")
        page.write_text(head + OPEN_FIGURE % name + tail)
        shot(page, out / f"page_{name}")
        page.unlink()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
