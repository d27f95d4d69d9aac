"""Code, configs, test names and the documentation describe the project as it is: no tracked file names the work
items or sittings it came from."""

import re
import subprocess

from conftest import ROOT

WORK, SITTING, ROUND = "iss" + "ue", "sess" + "ion", "rev" + "iew"  # in parts, so that this file does not match itself
FORBIDDEN = re.compile(rf"\b{WORK}s? ?#?\d+|\b{SITTING}s? ?\d+|\bthis {SITTING}\b|\b{ROUND} rounds?\b", re.I)


def tracked_text_files() -> list[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [f for f in files if not f.endswith((".png", ".safetensors", ".json", ".gz", ".npy", ".parquet", ".skops"))]


def test_no_tracked_file_names_where_its_work_came_from():
    hits = []
    for name in tracked_text_files():
        try:
            text = (ROOT / name).read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        hits += [f"{name}:{n}: {line.strip()[:100]}" for n, line in enumerate(text.splitlines(), 1) if FORBIDDEN.search(line)]
    assert not hits, "\n".join(hits)


def test_the_check_sees_the_words_it_forbids():
    assert FORBIDDEN.search(f"see {WORK} 17") and FORBIDDEN.search(f"{SITTING.title()} 4 measured") and FORBIDDEN.search(f"a {ROUND} round")
    assert not FORBIDDEN.search(f"a {SITTING}-scoped fixture")
