"""`python -m codegen generate` and `python -m codegen check`."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from codegen.inputs import Inputs, InputsInvalid, load_inputs
from codegen.manifest import MANIFEST, build_manifest, read_manifest, sha256
from codegen.render import render_all, render_hooks_skeleton

ROOT = Path(__file__).resolve().parent.parent
FIX_COMMAND = "make generate"


def _input_bytes(spec_dir: Path) -> dict[str, bytes]:
    """Every file the output depends on: the spec, the matrix folder, the generator itself."""
    base = spec_dir.resolve().parent
    folder = spec_dir / "integrations"
    paths = [spec_dir / "crm.yaml", *sorted(folder.iterdir() if folder.is_dir() else ())]
    files = {
        p.resolve().relative_to(base).as_posix(): p.read_bytes()
        for p in paths
        if p.is_file() and not p.name.startswith(".")
    }
    generator = Path(__file__).resolve().parent
    schema = (
        generator.parent / "unifold" / "_matrix.py"
    )  # the matrix format, shared with the runtime
    for path in sorted([*generator.glob("*.py"), *generator.glob("templates/*.jinja"), schema]):
        files[path.relative_to(generator.parent).as_posix()] = path.read_bytes()
    return files


def _render(inputs: Inputs) -> dict[str, str]:
    outputs = render_all(inputs)
    outputs[MANIFEST] = build_manifest(_input_bytes(inputs.spec_path.parent), outputs)
    return outputs


def _manifest_vouches(spec_dir: Path, out_dir: Path) -> bool:
    """Inputs and outputs exactly as the manifest recorded them: nothing to re-render."""
    manifest = read_manifest(out_dir)
    if manifest is None:
        return False
    inputs = {name: sha256(data) for name, data in _input_bytes(spec_dir).items()}
    outputs = {
        name: sha256(data) for name, data in _current_files(out_dir).items() if name != MANIFEST
    }
    return inputs == manifest["inputs"] and outputs == manifest["outputs"]


def _current_files(out_dir: Path) -> dict[str, bytes]:
    if not out_dir.exists():
        return {}
    return {
        p.relative_to(out_dir).as_posix(): p.read_bytes()
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def write_outputs(outputs: dict[str, str], out_dir: Path) -> list[str]:
    """Write into a sibling temp folder, then swap it in: nothing is ever half-written."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".generated-", dir=out_dir.parent))
    try:
        for rel, text in outputs.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        current = _current_files(out_dir)
        changed = sorted(
            rel
            for rel in set(outputs) | set(current)
            if current.get(rel) != (outputs[rel].encode() if rel in outputs else None)
        )
        if out_dir.exists():
            backup = out_dir.with_name(out_dir.name + ".old")
            shutil.rmtree(backup, ignore_errors=True)
            out_dir.rename(backup)
            staging.rename(out_dir)
            shutil.rmtree(backup)
        else:
            staging.rename(out_dir)
        return changed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _skeletons(inputs: Inputs, hooks_dir: Path) -> list[Path]:
    created = []
    for name, found in inputs.hooks_found.items():
        if found is None:
            target = hooks_dir / f"{name}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_hooks_skeleton(inputs, name), encoding="utf-8")
            created.append(target)
    return created


def cmd_generate(spec_dir: Path, out_dir: Path, hooks_dir: Path) -> int:
    inputs = load_inputs(ROOT, spec_dir, hooks_dir)
    outputs = _render(inputs)
    changed = write_outputs(outputs, out_dir)
    for path in _skeletons(inputs, hooks_dir):
        print(f"created hooks skeleton {path} (hand-written from now on)")
    for name, hooks in sorted(inputs.unimplemented.items()):
        print(
            f"note: {name}: hook(s) {', '.join(hooks)} in {hooks_dir / (name + '.py')} are still "
            f"marked @not_implemented; {name} calls are refused (before any request) until they "
            f"are implemented"
        )
    if changed:
        print(f"wrote {len(changed)} changed file(s) in {out_dir}:")
        for rel in changed:
            print(f"  {rel}")
    else:
        print(f"{out_dir} is up to date ({len(outputs)} files)")
    return 0


def cmd_check(spec_dir: Path, out_dir: Path, hooks_dir: Path, full: bool = False) -> int:
    if not full and _manifest_vouches(spec_dir, out_dir):
        print(f"{out_dir} matches its inputs (manifest hashes; --full re-renders)")
        return 0
    inputs = load_inputs(ROOT, spec_dir, hooks_dir)
    expected = _render(inputs)
    current = _current_files(out_dir)
    manifest = read_manifest(out_dir)
    recorded = manifest["outputs"] if manifest else {}
    problems = []
    for rel in sorted(set(expected) | set(current)):
        want = expected.get(rel)
        have = current.get(rel)
        if want is not None and have == want.encode():
            continue
        if have is None:
            problems.append(f"missing:     {rel}")
        elif want is None:
            problems.append(f"unexpected:  {rel} (not produced by the generator)")
        elif rel != MANIFEST and recorded.get(rel) not in (None, sha256(have)):
            problems.append(f"hand-edited: {rel} (differs from what the generator wrote)")
        else:
            problems.append(f"stale:       {rel} (its inputs or the generator changed)")
    if problems:
        print(f"{out_dir} does not match its inputs:", file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print(f"Fix: run `{FIX_COMMAND}` (python -m codegen generate) and commit.", file=sys.stderr)
        return 1
    print(f"{out_dir} matches its inputs ({len(expected)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--spec-dir", type=Path, default=ROOT / "openapi")
    parser.add_argument("--out", type=Path, default=ROOT / "generated")
    parser.add_argument("--hooks-dir", type=Path, default=ROOT / "unifold" / "hooks")
    parser.add_argument(
        "--full", action="store_true", help="check: re-render even when the manifest vouches"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return cmd_generate(args.spec_dir, args.out, args.hooks_dir)
        return cmd_check(args.spec_dir, args.out, args.hooks_dir, args.full)
    except InputsInvalid as exc:
        print(
            f"invalid generator inputs ({len(exc.errors)} problem(s)); nothing was written:",
            file=sys.stderr,
        )
        for err in exc.errors:
            print(f"  {err}", file=sys.stderr)
        return 2
