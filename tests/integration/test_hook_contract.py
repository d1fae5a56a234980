"""A hook still left as the generated skeleton refuses the integration before any request."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import HookNotImplementedError
from unifold._engine import connector
from unifold.extend import WriteContext, not_implemented
from unifold.hooks import planhat as planhat_hooks

from .conftest import SandboxFactory


def test_skeleton_hook_fails_before_any_request(
    make_sandbox: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Skeleton(planhat_hooks.PlanhatHooks):
        @not_implemented
        def write_custom_fields(self, value: Any, ctx: WriteContext) -> None:
            raise NotImplementedError("write_custom_fields")

    monkeypatch.setattr(planhat_hooks, "PlanhatHooks", Skeleton)
    connector.load_connector.cache_clear()
    try:
        sb = make_sandbox("planhat")
        # Even a call that would not use the hook: the integration is incomplete.
        with pytest.raises(HookNotImplementedError, match="write_custom_fields") as caught:
            sb.update({"name": "Renamed"})
        assert "unifold.hooks.planhat" in str(caught.value)
        assert sb.received == []
    finally:
        connector.load_connector.cache_clear()


def test_generated_skeleton_marks_every_hook(tmp_path: Any) -> None:
    from pathlib import Path

    from codegen.inputs import load_inputs
    from codegen.render import render_hooks_skeleton

    root = Path(__file__).resolve().parents[2]
    text = render_hooks_skeleton(load_inputs(root), "planhat")
    assert text.count("    @not_implemented\n") == text.count("raise NotImplementedError") > 0
