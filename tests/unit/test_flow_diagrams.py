"""Each flow keeps a Mermaid diagram beside it that names every one of its states."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from dialogs.flows.registry import all_flows


@pytest.mark.parametrize("name", sorted(all_flows()))
def test_flow_has_a_diagram_naming_every_state(name: str) -> None:
    flow = all_flows()[name]
    module = importlib.import_module(flow.states[flow.start].ask.__module__)
    diagram = Path(module.__file__ or "").with_suffix(".mmd")
    text = diagram.read_text(encoding="utf-8")
    assert text.lstrip().splitlines()[1].startswith("stateDiagram")
    missing = [state.value for state in flow.states if state.value not in text]
    assert missing == []
