"""The state machine graph: an ASL definition laid out as boxes, groups and edges with coordinates (pure).

A layered (Sugiyama-style) layout, top to bottom: cycles broken by a depth-first search, layers by
longest path, long edges cut into dummy vertices, layers ordered by barycentre sweeps that keep the
ordering with the fewest crossings, and x placed by isotonic regression (each vertex as close as
possible to the mean of its neighbours, in order, never overlapping). A Parallel's branches and a
Map's processor are laid out first, recursively, and then take part in their parent's layout as one
big box. Labelled edges (Choice rules) get a vertex of their own for the label, as dagre does, so
labels never sit on top of boxes.

Why our own code rather than grandalf (PyPI) or a vendored dagre: ASL graphs are compound (groups
nest strictly) and their edges carry labels; grandalf has neither compound graphs nor edge labels,
and dagre would move rendering into the browser, leaving no server-side SVG and no Python tests of
the layout. The graphs are small (tens of states), so these heuristics run in milliseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

__all__ = ["Box", "Edge", "Graph", "Group", "layout", "rule_text", "svg_path"]

START = "__start__"
END = "__end__"

BOX_HEIGHT = 44.0
BOX_MIN_WIDTH = 110.0
BOX_MAX_WIDTH = 240.0
MARKER_WIDTH = 64.0
MARKER_HEIGHT = 28.0
CHAR_WIDTH = 7.4  # average advance of the 13px sans-serif box label
LABEL_CHAR_WIDTH = 6.2  # ... of the 11px edge label
LABEL_HEIGHT = 16.0
LABEL_MAX_CHARS = 30
RANK_GAP = 34.0
NODE_GAP = 26.0
DUMMY_GAP = 12.0
GROUP_HEADER = 30.0
GROUP_PAD = 14.0
BRANCH_PAD = 12.0
BRANCH_GAP = 18.0
MARGIN = 16.0
SWEEPS = 8


@dataclass(frozen=True)
class Box:
    """A state (kind: its Type), or the Start or End marker (kind "Start"/"End")."""

    id: str
    label: str
    kind: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Group:
    """A Parallel or Map state's frame (id: the state's name), or one branch/processor inside it."""

    id: str
    label: str
    kind: str  # "Parallel", "Map", "Branch", "Processor"
    x: float
    y: float
    w: float
    h: float
    state: str  # the Parallel/Map state it belongs to


@dataclass(frozen=True)
class Edge:
    """A transition: kind "next", "choice", "default", "catch", "start" or "end";
    `points` run source to target."""

    source: str
    target: str
    kind: str
    label: str
    title: str
    points: tuple[tuple[float, float], ...]
    label_at: tuple[float, float] | None = None

    @property
    def path(self) -> str:
        if self.source == self.target and len(self.points) == 4:
            (x0, y0), (x1, _), _, (x3, y3) = self.points
            return f"M{x0:g},{y0:g} C{x1:g},{y0 - 12:g} {x1:g},{y3 + 12:g} {x3:g},{y3:g}"
        return svg_path(self.points)


@dataclass(frozen=True)
class Graph:
    """A laid-out definition: draw groups, then edges, then boxes."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    groups: tuple[Group, ...]
    edges: tuple[Edge, ...]

    def box(self, state: str) -> Box | Group:
        """The box, or for a Parallel/Map the frame, drawn for `state`."""
        items: list[Box | Group] = [*self.boxes, *self.groups]
        for item in items:
            if item.id == state:
                return item
        raise KeyError(state)


def layout(definition: dict[str, Any] | str) -> Graph:
    """Lay out a definition (a dict or JSON text) as a top-to-bottom graph with Start and End markers."""
    parsed: dict[str, Any] = json.loads(definition) if isinstance(definition, str) else definition
    block = _layout_scope(parsed.get("States") or {}, parsed.get("StartAt", ""), top=True)
    shifted = block.moved(MARGIN, MARGIN)
    return Graph(
        width=round(block.w + 2 * MARGIN, 1),
        height=round(block.h + 2 * MARGIN, 1),
        boxes=tuple(shifted.boxes),
        groups=tuple(shifted.groups),
        edges=tuple(shifted.edges),
    )


# -- Choice rules as short text ------------------------------------------------------------------

_OPERATORS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_TYPES = ("String", "Numeric", "Boolean", "Timestamp")
_TESTS = {
    "IsPresent": "present",
    "IsNull": "null",
    "IsString": "a string",
    "IsNumeric": "a number",
    "IsBoolean": "a boolean",
    "IsTimestamp": "a timestamp",
}


def rule_text(rule: dict[str, Any]) -> str:
    """A Choice rule as one line: `$.days > 5 and $.type == "annual"`, or a JSONata condition's text."""
    if "Condition" in rule:
        condition = rule["Condition"]
        if isinstance(condition, str):
            return condition.strip().removeprefix("{%").removesuffix("%}").strip()
        return json.dumps(condition)
    if "And" in rule or "Or" in rule:
        word = " and " if "And" in rule else " or "
        parts = rule.get("And") or rule.get("Or") or []
        return word.join(_nested(part) for part in parts)
    if "Not" in rule:
        return f"not {_nested(rule['Not'])}"
    variable = rule.get("Variable", "?")
    for test, words in _TESTS.items():
        if test in rule:
            return f"{variable} is {'' if rule[test] else 'not '}{words}"
    for key, value in rule.items():
        path = key.endswith("Path")
        name = key.removesuffix("Path")
        for kind in _TYPES:
            if name.startswith(kind) and name[len(kind) :] in _OPERATORS:
                shown = value if path else json.dumps(value)
                return f"{variable} {_OPERATORS[name[len(kind) :]]} {shown}"
    return variable


def _nested(rule: dict[str, Any]) -> str:
    text = rule_text(rule)
    return f"({text})" if "And" in rule or "Or" in rule else text


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1] + "…"


# -- one scope: the states of a machine, a branch or a processor ------------------------------------


@dataclass
class _Block:
    """A laid-out scope, coordinates relative to its own top-left corner."""

    w: float = 0.0
    h: float = 0.0
    boxes: list[Box] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def moved(self, dx: float, dy: float) -> _Block:
        def point(p: tuple[float, float]) -> tuple[float, float]:
            return (round(p[0] + dx, 1), round(p[1] + dy, 1))

        return _Block(
            self.w,
            self.h,
            [
                Box(b.id, b.label, b.kind, round(b.x + dx, 1), round(b.y + dy, 1), b.w, b.h)
                for b in self.boxes
            ],
            [
                Group(g.id, g.label, g.kind, round(g.x + dx, 1), round(g.y + dy, 1), g.w, g.h, g.state)
                for g in self.groups
            ],
            [
                Edge(
                    e.source,
                    e.target,
                    e.kind,
                    e.label,
                    e.title,
                    tuple(point(p) for p in e.points),
                    point(e.label_at) if e.label_at else None,
                )
                for e in self.edges
            ],
        )

    def add(self, other: _Block) -> None:
        self.boxes += other.boxes
        self.groups += other.groups
        self.edges += other.edges


@dataclass
class _Vertex:
    id: str
    w: float
    h: float
    kind: str = ""
    label: str = ""
    inner: list[tuple[str, _Block]] | None = None  # a group's branches (or processor), laid out
    dummy: bool = False
    x: float = 0.0
    layer: int = 0


@dataclass
class _Link:
    source: str
    target: str
    kind: str
    label: str = ""
    title: str = ""
    reversed: bool = False
    chain: list[str] = field(default_factory=list)  # vertices from the upper end to the lower end


def _layout_scope(states: dict[str, Any], start_at: str, top: bool) -> _Block:
    vertices = {name: _vertex(name, state) for name, state in states.items()}
    links = [
        link
        for name, state in states.items()
        for link in _transitions(name, state, top)
        if link.target in vertices or link.target == END
    ]
    if top:
        vertices[START] = _Vertex(START, MARKER_WIDTH, MARKER_HEIGHT, "Start", "Start")
        vertices[END] = _Vertex(END, MARKER_WIDTH, MARKER_HEIGHT, "End", "End")
        if start_at in states:
            links.insert(0, _Link(START, start_at, "start"))
    root = START if top else start_at
    loops = [link for link in links if link.source == link.target]
    links = [link for link in links if link.source != link.target]
    order = _break_cycles(vertices, links, root)
    _assign_layers(vertices, links, order, top)
    layers = _insert_dummies(vertices, links)
    _order_layers(layers, vertices, links, order)
    _place_x(layers, vertices, links)
    tops, heights = _place_y(layers, vertices)
    return _draw(vertices, links, loops, tops, heights)


def _vertex(name: str, state: dict[str, Any]) -> _Vertex:
    kind = state.get("Type", "")
    if kind == "Parallel":
        inner = [
            (f"Branch {i + 1}", _layout_scope(b.get("States") or {}, b.get("StartAt", ""), top=False))
            for i, b in enumerate(state.get("Branches") or [])
        ]
    elif kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        inner = [
            (
                "Iterations",
                _layout_scope(processor.get("States") or {}, processor.get("StartAt", ""), top=False),
            )
        ]
    else:
        width = min(BOX_MAX_WIDTH, max(BOX_MIN_WIDTH, len(name) * CHAR_WIDTH + 28))
        return _Vertex(name, width, BOX_HEIGHT, kind, name)
    frames = [(block.w + 2 * BRANCH_PAD, block.h + 2 * BRANCH_PAD) for _, block in inner]
    content = sum(w for w, _ in frames) + BRANCH_GAP * max(0, len(frames) - 1)
    width = max(content, min(len(name), 40) * CHAR_WIDTH + 60) + 2 * GROUP_PAD
    height = GROUP_HEADER + max((h for _, h in frames), default=0) + GROUP_PAD
    return _Vertex(name, width, height, kind, name, inner)


def _transitions(name: str, state: dict[str, Any], top: bool) -> list[_Link]:
    links = []
    for rule in state.get("Choices") or []:
        text = rule_text(rule)
        links.append(_Link(name, rule.get("Next", ""), "choice", _short(text), text))
    if state.get("Default"):
        links.append(_Link(name, state["Default"], "default", "Default", "Default"))
    if state.get("Next"):
        links.append(_Link(name, state["Next"], "next"))
    for catcher in state.get("Catch") or []:
        errors = ", ".join(catcher.get("ErrorEquals") or [])
        links.append(_Link(name, catcher.get("Next", ""), "catch", "", f"Catch {errors}"))
    terminal = state.get("End") or state.get("Type") in ("Succeed", "Fail")
    if top and terminal:
        links.append(_Link(name, END, "end"))
    return links


def _break_cycles(vertices: dict[str, _Vertex], links: list[_Link], root: str) -> list[str]:
    """Reverse the edges that close a cycle (found depth-first from the root); returns discovery order."""
    outgoing: dict[str, list[_Link]] = {name: [] for name in vertices}
    for link in links:
        outgoing[link.source].append(link)
    seen: dict[str, int] = {}  # 1: on the stack, 2: done
    order: list[str] = []
    starts = ([root] if root in vertices else []) + [name for name in vertices if name != END]
    for start in starts:
        if start in seen:
            continue
        seen[start] = 1
        order.append(start)
        stack = [(start, iter(outgoing[start]))]
        while stack:
            name, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                seen[name] = 2
                stack.pop()
                continue
            state = seen.get(following.target)
            if state == 1:
                following.reversed = True
            elif state is None:
                seen[following.target] = 1
                order.append(following.target)
                stack.append((following.target, iter(outgoing[following.target])))
    if END in vertices:
        order.append(END)
    return order


def _assign_layers(vertices: dict[str, _Vertex], links: list[_Link], order: list[str], top: bool) -> None:
    """Longest path from the sources; a labelled edge spans two layers (its label gets the middle one)."""
    preds: dict[str, list[tuple[str, int]]] = {name: [] for name in vertices}
    for link in links:
        upper, lower = (link.target, link.source) if link.reversed else (link.source, link.target)
        preds[lower].append((upper, 2 if link.label else 1))
    done: dict[str, int] = {}

    def depth(name: str) -> int:
        # iterative DFS: the graph has no cycles once the back edges are reversed
        stack = [name]
        while stack:
            current = stack[-1]
            waiting = [p for p, _ in preds[current] if p not in done]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            done[current] = max((done[p] + span for p, span in preds[current]), default=0)
        return done[name]

    for name in order:
        vertices[name].layer = depth(name)
    if top and END in vertices:
        vertices[END].layer = max(v.layer for name, v in vertices.items() if name != END) + 1


def _insert_dummies(vertices: dict[str, _Vertex], links: list[_Link]) -> list[list[str]]:
    count = max((v.layer for v in vertices.values()), default=0) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for name, vertex in vertices.items():
        layers[vertex.layer].append(name)
    for index, link in enumerate(links):
        upper, lower = (link.target, link.source) if link.reversed else (link.source, link.target)
        chain = [upper]
        first, last = vertices[upper].layer, vertices[lower].layer
        middle = (first + last) // 2
        for layer in range(first + 1, last):
            labelled = bool(link.label) and layer == middle
            width = len(link.label) * LABEL_CHAR_WIDTH + 8 if labelled else 2.0
            dummy = _Vertex(
                f"~{index}.{layer}",
                width,
                LABEL_HEIGHT if labelled else 0.0,
                dummy=True,
                label=link.label if labelled else "",
                layer=layer,
            )
            vertices[dummy.id] = dummy
            layers[layer].append(dummy.id)
            chain.append(dummy.id)
        chain.append(lower)
        link.chain = chain
    return layers


def _neighbours(
    vertices: dict[str, _Vertex], links: list[_Link]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    up: dict[str, list[str]] = {name: [] for name in vertices}
    down: dict[str, list[str]] = {name: [] for name in vertices}
    for link in links:
        for a, b in pairwise(link.chain):
            down[a].append(b)
            up[b].append(a)
    return up, down


def _order_layers(
    layers: list[list[str]], vertices: dict[str, _Vertex], links: list[_Link], order: list[str]
) -> None:
    """Barycentre sweeps down and up; keeps the ordering with the fewest crossings."""
    rank = {name: i for i, name in enumerate(order)}
    # dummies start under the upper end of their edge
    for link in links:
        for dummy in link.chain[1:-1]:
            rank[dummy] = rank.get(link.chain[0], 0)
    for layer in layers:
        layer.sort(key=lambda name: rank.get(name, 0))
    up, down = _neighbours(vertices, links)
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(layers, down)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for i in indices:
            fixed = layers[i - 1] if downward else layers[i + 1]
            position = {name: p for p, name in enumerate(fixed)}
            adjacent = up if downward else down
            current = {name: p for p, name in enumerate(layers[i])}

            def key(
                name: str,
                position: dict[str, int] = position,
                adjacent: dict[str, list[str]] = adjacent,
                current: dict[str, int] = current,
            ) -> float:
                seen = [position[n] for n in adjacent[name] if n in position]
                return sum(seen) / len(seen) if seen else float(current[name])

            layers[i].sort(key=key)
        crossings = _crossings(layers, down)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], crossings
    layers[:] = best


def _crossings(layers: list[list[str]], down: dict[str, list[str]]) -> int:
    total = 0
    for upper, lower in pairwise(layers):
        position = {name: p for p, name in enumerate(lower)}
        segments = [(i, position[b]) for i, a in enumerate(upper) for b in down[a] if b in position]
        for k, (a1, b1) in enumerate(segments):
            for a2, b2 in segments[k + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _place_x(layers: list[list[str]], vertices: dict[str, _Vertex], links: list[_Link]) -> None:
    """Each vertex near the weighted mean of its neighbours' centres, layer by layer, without overlaps."""
    up, down = _neighbours(vertices, links)
    for layer in layers:
        x = 0.0
        for p, name in enumerate(layer):
            if p:
                x += _separation(vertices[layer[p - 1]], vertices[name])
            vertices[name].x = x
    plan = [up, down] * 4 + [None, None]
    for adjacent in plan:
        sequence = layers if adjacent is not down else list(reversed(layers))
        for layer in sequence:
            wanted = []
            for name in layer:
                others = (up[name] + down[name]) if adjacent is None else adjacent[name]
                vertex = vertices[name]
                if not others:
                    wanted.append(vertex.x)
                    continue
                weights = [_weight(vertex, vertices[o]) for o in others]
                wanted.append(
                    sum(w * vertices[o].x for w, o in zip(weights, others, strict=True)) / sum(weights)
                )
            gaps = [_separation(vertices[a], vertices[b]) for a, b in pairwise(layer)]
            for name, x in zip(layer, _isotonic(wanted, gaps), strict=True):
                vertices[name].x = x


def _weight(a: _Vertex, b: _Vertex) -> float:
    # long edges stay straight: dummy-to-dummy segments pull hardest
    return 8.0 if a.dummy and b.dummy else 2.0 if a.dummy or b.dummy else 1.0


def _separation(a: _Vertex, b: _Vertex) -> float:
    gap = DUMMY_GAP if a.dummy or b.dummy else NODE_GAP
    return (a.w + b.w) / 2 + gap


def _isotonic(wanted: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (least squares) to `wanted`, in order, each at least `gaps[i]` after the previous.

    Subtracting the cumulative gaps turns it into isotonic regression, solved by pooling adjacent violators.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[list[float]] = []  # [mean, count]
    for target, offset in zip(wanted, offsets, strict=True):
        blocks.append([target - offset, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            previous = blocks[-1]
            previous[0] = (previous[0] * previous[1] + mean * count) / (previous[1] + count)
            previous[1] += count
    values = [mean for mean, count in blocks for _ in range(int(count))]
    return [value + offset for value, offset in zip(values, offsets, strict=True)]


def _place_y(layers: list[list[str]], vertices: dict[str, _Vertex]) -> tuple[list[float], list[float]]:
    """The top and height of each layer; vertices are centred vertically within their layer."""
    tops, heights, y = [], [], 0.0
    for layer in layers:
        tops.append(y)
        heights.append(max((vertices[name].h for name in layer), default=0.0))
        y += heights[-1] + RANK_GAP
    return tops, heights


def _draw(
    vertices: dict[str, _Vertex],
    links: list[_Link],
    loops: list[_Link],
    tops: list[float],
    heights: list[float],
) -> _Block:
    def top_left(vertex: _Vertex) -> tuple[float, float]:
        return vertex.x - vertex.w / 2, tops[vertex.layer] + (heights[vertex.layer] - vertex.h) / 2

    block = _Block()
    for vertex in vertices.values():
        if vertex.dummy:
            continue
        x, y = top_left(vertex)
        if vertex.inner is None:
            block.boxes.append(Box(vertex.id, vertex.label, vertex.kind, x, y, vertex.w, vertex.h))
            continue
        block.groups.append(Group(vertex.id, vertex.label, vertex.kind, x, y, vertex.w, vertex.h, vertex.id))
        content = sum(inner.w + 2 * BRANCH_PAD for _, inner in vertex.inner) + BRANCH_GAP * (
            len(vertex.inner) - 1
        )
        fx = x + (vertex.w - content) / 2
        for label, inner in vertex.inner:
            fw, fh = inner.w + 2 * BRANCH_PAD, inner.h + 2 * BRANCH_PAD
            kind = "Branch" if vertex.kind == "Parallel" else "Processor"
            block.groups.append(
                Group(f"{vertex.id}/{label}", label, kind, fx, y + GROUP_HEADER, fw, fh, vertex.id)
            )
            block.add(inner.moved(fx + BRANCH_PAD, y + GROUP_HEADER + BRANCH_PAD))
            fx += fw + BRANCH_GAP

    ports = _ports(vertices, links, top_left)
    for link in links:
        points: list[tuple[float, float]] = []
        for k, name in enumerate(link.chain):
            vertex = vertices[name]
            if vertex.dummy:
                _, y = top_left(vertex)
                points.append((vertex.x, y + vertex.h / 2))
                continue
            x, y = top_left(vertex)
            side = "bottom" if k == 0 else "top"
            points.append((ports[(name, side, id(link))], y + vertex.h if side == "bottom" else y))
        if link.reversed:
            points.reverse()
        label_at = next(
            (
                (vertices[n].x, top_left(vertices[n])[1] + LABEL_HEIGHT / 2)
                for n in link.chain
                if vertices[n].label and vertices[n].dummy
            ),
            None,
        )
        block.edges.append(
            Edge(link.source, link.target, link.kind, link.label, link.title, tuple(points), label_at)
        )
    for link in loops:
        vertex = vertices[link.source]
        x, y = top_left(vertex)
        right, mid = x + vertex.w, y + vertex.h / 2
        loop = ((right, mid - 8), (right + 22, mid - 14), (right + 22, mid + 14), (right, mid + 8))
        label_at = (right + 26 + len(link.label) * LABEL_CHAR_WIDTH / 2, mid) if link.label else None
        block.edges.append(Edge(link.source, link.target, link.kind, link.label, link.title, loop, label_at))
    return _normalised(block)


def _ports(
    vertices: dict[str, _Vertex], links: list[_Link], top_left: Any
) -> dict[tuple[str, str, int], float]:
    """Where each edge leaves a box's bottom or enters its top: spread out, ordered by the other end's x."""
    sides: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for link in links:
        upper, lower = link.chain[0], link.chain[-1]
        sides.setdefault((upper, "bottom"), []).append((vertices[link.chain[1]].x, id(link)))
        sides.setdefault((lower, "top"), []).append((vertices[link.chain[-2]].x, id(link)))
    ports = {}
    for (name, side), ends in sides.items():
        vertex = vertices[name]
        ends.sort()
        span = min(vertex.w * 0.6, 16.0 * (len(ends) - 1))
        for k, (_, key) in enumerate(ends):
            offset = 0.0 if len(ends) == 1 else -span / 2 + span * k / (len(ends) - 1)
            ports[(name, side, key)] = vertex.x + offset
    return ports


def _normalised(block: _Block) -> _Block:
    """Shift so that everything starts at (0, 0); record the size."""
    xs: list[float] = []
    ys: list[float] = []
    items: list[Box | Group] = [*block.boxes, *block.groups]
    for item in items:
        xs += [item.x, item.x + item.w]
        ys += [item.y, item.y + item.h]
    for edge in block.edges:
        xs += [p[0] for p in edge.points]
        ys += [p[1] for p in edge.points]
        if edge.label_at:
            half = len(edge.label) * LABEL_CHAR_WIDTH / 2 + 4
            xs += [edge.label_at[0] - half, edge.label_at[0] + half]
    if not xs:
        return block
    moved = block.moved(-min(xs), -min(ys))
    moved.w, moved.h = max(xs) - min(xs), max(ys) - min(ys)
    return moved


def svg_path(points: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> str:
    """An SVG path through `points`: vertical cubic curves between consecutive points."""
    if not points:
        return ""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:g},{y0:g}"]
    for x1, y1 in rest:
        dy = (y1 - y0) / 2
        parts.append(f"C{x0:g},{y0 + dy:g} {x1:g},{y1 - dy:g} {x1:g},{y1:g}")
        x0, y0 = x1, y1
    return " ".join(parts)
