"""Layers of a drawn graph: rows by longest path from a source, a waypoint where an edge crosses a row.

Both pictures of a model use it: the course's drawing (`course/plotting.py`) and the report's
picture of the difference (`judge/diagram.py`). It lives beside them, not in either: `course/`
ships to the learner's kernel and `judge/` must not, so this module is on the kernel side too.
"""

from __future__ import annotations

import networkx as nx


def depths(graph: nx.DiGraph) -> dict:
    """Each node's row: 0 for a node without predecessors, else one below its deepest predecessor.

    >>> depths(nx.DiGraph([("x", "a"), ("a", "y"), ("x", "y")]))
    {'x': 0, 'a': 1, 'y': 2}
    """
    depth = {}
    for name in nx.topological_sort(graph):
        parents = list(graph.predecessors(name))
        depth[name] = 1 + max(depth[p] for p in parents) if parents else 0
    return depth


def rows_with_waypoints(graph: nx.DiGraph, depth: dict | None = None) -> tuple[list[list], dict]:
    """(rows, paths): the nodes by depth in graph order, plus ("waypoint", source, target, row)
    in every row an edge passes, so that it runs between boxes; paths map (source, target) to
    the nodes and waypoints from source to target.

    >>> rows, paths = rows_with_waypoints(nx.DiGraph([("x", "a"), ("a", "y"), ("x", "y")]))
    >>> rows[1], paths["x", "y"][1]
    (['a', ('waypoint', 'x', 'y', 1)], ('waypoint', 'x', 'y', 1))
    """
    depth = depths(graph) if depth is None else depth
    rows: list[list] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in graph:  # graph order: the model's (or the learner's) layer order, a stable tie-break
        rows[depth[name]].append(name)
    paths = {}
    for source, target in graph.edges:
        path = [source]
        for level in range(depth[source] + 1, depth[target]):
            waypoint = ("waypoint", source, target, level)
            rows[level].append(waypoint)
            path.append(waypoint)
        paths[source, target] = path + [target]
    return rows, paths
