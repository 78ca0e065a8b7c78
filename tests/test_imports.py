"""The package's import graph, read from the source with ast: acyclic, and imports at the top.

Every ``import``/``from ... import`` of a giftreview module counts, at the top of a module and
inside functions (an import hidden in a function still makes a cycle, one that only bites at run
time). A function may import a package module only when a comment on that statement says why the
import is deferred (the CLI defers heavy modules for start-up speed).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from giftreview.paths import PACKAGE_DIR

SRC = PACKAGE_DIR.parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    """The package modules an import statement depends on."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative import
            package = module.split(".")
            if not MODULES[module].name == "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        # `from a import b`: the module a.b when b is one (a, its parent, is loaded for any
        # submodule, so it is no dependency of its own); else a, which defines b
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    found = set()
    for name in names:
        while name and name not in MODULES:  # `from giftreview.x import function` -> x
            name = name.rpartition(".")[0]
        if name.startswith("giftreview") and name != module:
            found.add(name)
    return found


def _imports(module: str) -> list[tuple[int, set[str], bool, str]]:
    """(line, imported modules, inside a function, statement source) of each package import."""
    path = MODULES[module]
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                targets = _targets(child, module)
                if targets:
                    text = "\n".join(lines[child.lineno - 1 : child.end_lineno])
                    out.append((child.lineno, targets, in_function, text))
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, inner)

    visit(ast.parse(source), False)
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _, targets, _, _ in _imports(module):
            graph[module] |= targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each reported once, from its first module)."""
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    # a -> b -> c -> a, and d -> a outside the cycle
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_top_level_and_in_function_imports():
    graph = _graph()
    # known edges, one of each kind: run imports plan at the top; the CLI defers run to a function
    assert "giftreview.pipeline.plan" in graph["giftreview.pipeline.run"]
    assert "giftreview.pipeline.run" in graph["giftreview.cli.report_commands"]
    assert len(MODULES) > 30


def test_the_package_has_no_import_cycle():
    assert _cycles(_graph()) == []


#: the comment an in-function import of the package carries: "# deferred: <why>", the reason in
#: at least two words ("start-up", "matplotlib is slow to import")
DEFERRED = re.compile(r"#\s*deferred:\s*\w[\w-]*(\s+\w+|-\w+)")


def test_the_deferred_comment_pattern_needs_a_reason():
    assert DEFERRED.search("from x import y  # deferred: start-up")
    assert DEFERRED.search("import m  # deferred: matplotlib is slow to import")
    assert not DEFERRED.search("import m  # deferred")
    assert not DEFERRED.search("import m  # deferred:")
    assert not DEFERRED.search("import m  # deferred: x")


def test_functions_import_package_modules_only_when_a_comment_says_why():
    undeclared = [
        f"{MODULES[m].relative_to(SRC).as_posix()}:{line}: {text.splitlines()[0].strip()}"
        for m in MODULES
        for line, _, in_function, text in _imports(m)
        if in_function and not DEFERRED.search(text)
    ]
    assert undeclared == []


def _run_python(code: str, env: dict[str, str] | None = None) -> str:
    import subprocess  # local: only these tests start a Python
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    return done.stdout.strip()


def test_importing_the_report_package_leaves_matplotlib_for_the_first_chart():
    # scikit_posthocs imports matplotlib.pyplot (~1 s measured with python -X importtime); the
    # command line's run and every notebook kernel import giftreview.report before any chart
    out = _run_python("import sys, giftreview.report; print('matplotlib.pyplot' in sys.modules)")
    assert out == "False"


def test_the_command_line_skips_rfc3987_syntax_and_notebooks_still_validate():
    # giftreview.cli.app.main marks the optional rfc3987_syntax absent (its Lark grammar took 3 s
    # of each `giftreview run`); nbformat must still reject a broken notebook and accept a good one
    out = _run_python(
        "import sys\n"
        "from giftreview.cli.app import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['cell_type'] = 'nonsense'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('rejected', sys.modules['rfc3987_syntax'])\n"
    )
    assert out.splitlines()[-1] == "rejected None"


def test_the_command_line_sets_arrows_allocator_before_pyarrow_is_loaded():
    # giftreview.cli.app.main sets MIMALLOC_PURGE_DELAY=-1 (mimalloc, inside libarrow, reads it
    # when it starts, so it must come first; the measured effect is in docs/performance.md, seventh
    # round) unless the user set a value; importing the module or the library sets nothing
    code = (
        "import os, sys\n"
        "import giftreview.cli.app as cli\n"
        "print(os.environ.get('MIMALLOC_PURGE_DELAY'), 'pyarrow' in sys.modules)\n"
        "try:\n"
        "    cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(os.environ.get('MIMALLOC_PURGE_DELAY'), 'pyarrow' in sys.modules)\n"
    )
    import os  # local, like _run_python's

    env = {k: v for k, v in os.environ.items() if not k.startswith("MIMALLOC_")}
    lines = _run_python(code, env).splitlines()
    assert lines[0] == "None False"
    assert lines[-1] == "-1 False"
    mine = _run_python(code, env | {"MIMALLOC_PURGE_DELAY": "250"})
    assert mine.splitlines()[-1] == "250 False"
