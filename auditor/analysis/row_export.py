"""Row flow between modules, what one module's analysis leaves for the project phase: its
functions that score a parameter, and its calls of other modules' functions with rows a fit saw
(joined through the import graph by the ML608 rule)."""

from __future__ import annotations

from auditor.analysis.pymodule import ParsedModule
from auditor.analysis.row_flow import analyse


def passed_on_facts(module: ParsedModule) -> dict:
    """What the project phase needs to follow rows between modules: the module's functions that
    score a parameter (``functions``: parameter names, and per scored parameter the sides below
    it), and its calls of other modules' functions with rows a fit saw (``calls``), with the
    locations and texts a finding names."""
    analyse(module)
    state = module.memo.get("row_flow_state")
    if state is None:
        return {}
    facts: dict = {}
    if state.scored:
        facts["functions"] = {name: {"parameters": state.parameters[name],
                                     "scored": [[index, [side for _, side in below]] for index, below in scored]}
                              for name, scored in sorted(state.scored.items())}
    calls = []
    for call in state.outgoing:
        lines = {call["line"]} | {fit.line for fit in call["fits"].values()} | {
            line for argument in call["arguments"].values() for line, _ in argument["path"]}
        calls.append({**{k: v for k, v in call.items() if k != "fits"},
                      "fits": {str(i): {"kind": f.kind, "line": f.line, "text": f.text, "family": f.family,
                                        "paths": [[list(step) for step in path] for path in f.paths],
                                        "strong": f.strong, "supervised": f.supervised}
                               for i, f in sorted(call["fits"].items())},
                      "where": {str(line): list(module.location(line)) for line in sorted(lines)},
                      "splits": {str(line): state.splits.get(line, ("", False))[0]
                                 for argument in call["arguments"].values() for line, _ in argument["path"]}})
    if calls:
        facts["calls"] = calls
    return facts
