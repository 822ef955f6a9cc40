"""A file's analysis leaves no syntax tree behind a reference cycle, so the workers need no frequent
collector passes: reference counting frees each file's tree as soon as its analysis is done
(auditor/scan/worker.py). The standard library's own ``ast.literal_eval`` leaves a few small
closures in cycles; those hold no tree and the rare sweep takes them."""

import ast
import gc

from auditor import registry
from auditor.analysis.pymodule import ParsedModule
from auditor.demo import build_demo
from auditor.scan.worker import SourceJob, analyse_source


def test_analysing_a_file_keeps_no_tree_alive_in_a_cycle(tmp_path):
    root = tmp_path / "demo"
    build_demo(root)
    rules = sorted(registry.all_rules())
    sources = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".ipynb") and ".git" not in p.parts)
    assert len(sources) >= 10
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for path in sources:
            relative = path.relative_to(root).as_posix()
            analyse_source(SourceJob(relative, str(path), path.suffix == ".ipynb", relative[:-3].replace("/", "."),
                                     rules, {}, 10_000_000))
        gc.collect()
        held = [o for o in gc.garbage if isinstance(o, (ast.AST, ParsedModule))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert held == [], f"{len(held)} syntax-tree objects were kept alive only by reference cycles"
