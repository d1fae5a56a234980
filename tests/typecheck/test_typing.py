"""What a user's `mypy --strict` sees: snippets in `snippets/`, checked in one mypy run.

A line ending in `# reveal: T` must make mypy reveal exactly `T`; a line ending in
`# error: text` must produce a mypy error containing `text`; any other error fails the test.
The run uses the project's mypy config and cache (warm after `make typecheck`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path(__file__).parent / "snippets"
EXPECT = re.compile(r"#\s*(reveal|error):\s*(.+?)\s*$")
OUTPUT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<message>.*)$")


@cache
def mypy_output() -> dict[tuple[str, int], list[tuple[str, str]]]:
    """(snippet, line) -> [(kind, message)] from one mypy run over every snippet."""
    snippets = sorted(str(p.relative_to(ROOT)) for p in SNIPPETS.glob("*.py"))
    result = _mypy(ROOT, "--show-error-codes", "--no-pretty", *snippets)
    found: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for line in result.stdout.splitlines():
        match = OUTPUT.match(line)
        if match is None:
            continue
        key = (Path(match["file"]).name, int(match["line"]))
        found.setdefault(key, []).append((match["kind"], match["message"]))
    assert found or result.returncode == 0, result.stdout + result.stderr
    return found


def _expectations() -> list[tuple[str, int, str, str]]:
    cases = []
    for path in sorted(SNIPPETS.glob("*.py")):
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(text)
            if match:
                cases.append((path.name, number, match[1], match[2]))
    return cases


@pytest.mark.parametrize(("snippet", "line", "kind", "expected"), _expectations())
def test_expectation(snippet: str, line: int, kind: str, expected: str) -> None:
    messages = mypy_output().get((snippet, line), [])
    if kind == "reveal":
        revealed = [m for k, m in messages if k == "note" and m.startswith("Revealed type is")]
        assert revealed == [f'Revealed type is "{expected}"'], messages
    else:
        errors = [m for k, m in messages if k == "error"]
        assert any(expected in m for m in errors), (
            f"{snippet}:{line}: no error {expected!r}: {messages}"
        )


def test_no_unexpected_errors() -> None:
    expected = {(s, n) for s, n, kind, _ in _expectations() if kind == "error"}
    unexpected = [
        f"{snippet}:{line}: {message}"
        for (snippet, line), messages in sorted(mypy_output().items())
        for kind, message in messages
        if kind == "error" and (snippet, line) not in expected
    ]
    assert unexpected == []


def _mypy(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict with the project's config and cache, run from `cwd` (outside the tree)."""
    config = [
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(ROOT / ".mypy_cache"),
    ]
    return subprocess.run(
        [sys.executable, "-m", "mypy", *config, "--strict", "--no-error-summary", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_script_outside_the_checkout_resolves_the_editable_install(tmp_path: Path) -> None:
    """From another folder, only the install can provide `unifold`: mypy must find it and
    `unifold.generated.*` (an import hook would leave it `import-not-found`)."""
    script = tmp_path / "script.py"
    script.write_text(
        "from unifold import Unifold\n"
        "from unifold.generated.crm import capsule\n"
        "def f(uf: Unifold, acct: str) -> capsule.Project:\n"
        "    return uf.crm.capsule.projects.get('1', integrated_account_id=acct)\n"
    )
    result = _mypy(tmp_path, str(script))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_spec_value_in_a_generated_module_is_a_type_error(tmp_path: Path) -> None:
    """The generated `SPEC` is typed constructor calls, so mypy checks every matrix value the
    runtime reads: a copy of a generated module passes, the same copy with a string page size
    and an unknown pagination style fails exactly there."""
    source = (ROOT / "generated" / "crm" / "planhat.py").read_text()
    size = re.search(r"max_size=(\d+)", source)
    style = re.search(r'style="(\w+)"', source)
    assert size is not None and style is not None
    bad = source
    for match, wrong in sorted(
        [(size, f'max_size="{size[1]}"'), (style, 'style="scroll"')], key=lambda m: -m[0].start()
    ):
        bad = bad[: match.start()] + wrong + bad[match.end() :]
    (tmp_path / "good_spec.py").write_text(source)
    (tmp_path / "bad_spec.py").write_text(bad)
    line_of = {
        "max_size": source.count("\n", 0, size.start()) + 1,
        "style": source.count("\n", 0, style.start()) + 1,
    }
    result = _mypy(tmp_path, "--show-error-codes", "--no-pretty", "good_spec.py", "bad_spec.py")
    found = [OUTPUT.match(line) for line in result.stdout.splitlines()]
    errors = sorted(
        (m["file"], int(m["line"]), m["message"]) for m in found if m and m["kind"] == "error"
    )
    assert [(f, n) for f, n, _ in errors] == sorted(
        [("bad_spec.py", line_of["max_size"]), ("bad_spec.py", line_of["style"])]
    ), result.stdout + result.stderr
    messages = " | ".join(m for _, _, m in errors)
    assert 'Argument "max_size" to "Pagination" has incompatible type "str"' in messages
    assert 'Argument "style" to "Pagination" has incompatible type' in messages
