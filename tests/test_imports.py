"""The library's import graph: no cycles between modules (import-linter checks the layers in `make lint`)."""

import grimp


def cycles(graph) -> list[list[str]]:
    """Every module that can reach itself, with one path (grimp sees function-local imports too)."""
    found = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                found.append([module, *chain])
    return found


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph("synthloop")
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = grimp.ImportGraph()
    for module in ("pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    assert cycles(graph) == []
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert ["pkg.a", "pkg.b", "pkg.c", "pkg.a"] in cycles(graph)
