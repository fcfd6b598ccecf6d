"""Charts drawn on the server as small SVG documents: no network, no script, every label escaped."""

import html
import math
from dataclasses import dataclass

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")
FONT = 'font-family="system-ui, sans-serif"'


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def number(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


def short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def text(x: float, y: float, body: str, size: int = 12, anchor: str = "start", fill: str = "#333",
         extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}'
            f"{extra}>{esc(body)}</text>")


def text_width(label: str, size: int = 14) -> float:
    """Roughly: wide characters (CJK) take a full em, others about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in label)


def svg(width: int, height: int, body: list[str], title: str) -> str:
    width = max(width, int(text_width(title) + 80))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>'
            + "".join(body) + "</svg>")


@dataclass(frozen=True)
class Axis:
    """A value axis from 0 up in round steps, mapped onto [bottom, top] pixels."""

    step: float
    steps: int
    bottom_px: float
    top_px: float

    @classmethod
    def fit(cls, values: list[float], bottom_px: float, top_px: float) -> "Axis":
        peak = max([0.0, *values]) or 1.0
        step = nice_step(peak / 4)
        return cls(step, max(1, math.ceil(peak / step)), bottom_px, top_px)

    @property
    def top_value(self) -> float:
        return self.step * self.steps

    def px(self, value: float) -> float:
        return self.bottom_px - (self.bottom_px - self.top_px) * max(value, 0) / self.top_value

    def ticks(self) -> list[float]:
        return [self.step * k for k in range(self.steps + 1)]


def nice_step(raw: float) -> float:
    power = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def grid(axis: Axis, left: float, right: float) -> list[str]:
    out = []
    for tick in axis.ticks():
        y = axis.px(tick)
        out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(text(left - 6, y + 4, number(tick), 11, "end", "#666"))
    return out


def legend(names: list[str], x: float, y: float) -> list[str]:
    out = []
    for k, name in enumerate(names):
        top = y + 18 * k
        out.append(f'<rect x="{x}" y="{top}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        out.append(text(x + 18, top + 11, short(name, 22), 12))
    return out


def grouped_bars(title: str, groups: list[str], series: list[str], values: dict[tuple[str, str], float]) -> str:
    """Bars of each series side by side in each group (e.g. regions within years), coloured by series."""
    if not values:
        return empty(title)
    width_bar = 34.0
    slots = [[s for s in series if (g, s) in values] for g in groups]
    left, height = 70, 320
    spans = [max(1, len(present)) * width_bar + 30 for present in slots]
    width = int(left + sum(spans) + 40 + 200)
    axis = Axis.fit(list(values.values()), 270, 40)
    body = [text(10, 20, title, 14, extra=' font-weight="600"'), *grid(axis, left, width - 220)]
    x0: float = left + 15
    for group, present, span in zip(groups, slots, spans):
        body.append(text(x0 + (span - 30) / 2, 290, short(group), 12, "middle"))
        for k, name in enumerate(present):
            colour = PALETTE[series.index(name) % len(PALETTE)]
            body += bar(x0 + k * width_bar, width_bar - 4, axis, values[(group, name)], colour, f"{name} / {group}")
        x0 += span
    body += legend(series, width - 200, 44)
    return svg(width, height, body, title)


def bar(x: float, width: float, axis: Axis, value: float, colour: str, label: str) -> list[str]:
    y = axis.px(value)
    tip = f"<title>{esc(label)}: {esc(number(value))}</title>"
    return [f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 2):.1f}" height="{axis.bottom_px - y:.1f}"'
            f' fill="{colour}">{tip}</rect>', text(x + width / 2, y - 4, number(value), 10, "middle", "#444")]


def horizontal_bars(title: str, counts: list[tuple[str, int]]) -> str:
    """One bar per label, longest first (e.g. items per category)."""
    if not counts:
        return empty(title)
    left, row, width = 190, 24, 640
    height = 40 + row * len(counts)
    peak = max(c for _, c in counts) or 1
    body = [text(10, 18, title, 14, extra=' font-weight="600"')]
    for k, (label, count) in enumerate(counts):
        y = 30 + k * row
        length = (width - left - 60) * count / peak
        body.append(text(left - 8, y + 15, short(label, 24), 12, "end"))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{max(length, 1):.1f}" height="{row - 6}"'
                    f' fill="{PALETTE[0]}"><title>{esc(label)}: {count}</title></rect>')
        body.append(text(left + length + 6, y + 15, str(count), 12))
    return svg(width, height, body, title)


def lines(title: str, xs: list[str], series: dict[str, list[float | None]]) -> str:
    """One line per series over ordered x labels (e.g. scores over eval runs)."""
    if not xs or not series:
        return empty(title)
    left, width, height = 60, max(560, 80 + 90 * len(xs) + 200), 280
    axis = Axis(0.25, 4, 230, 30) if all(v is None or 0 <= v <= 1 for s in series.values() for v in s) else Axis.fit(
        [v for s in series.values() for v in s if v is not None], 230, 30)
    step = (width - 200 - left - 30) / max(1, len(xs) - 1)
    body = [text(left, 18, title, 14, extra=' font-weight="600"'), *grid(axis, left, width - 200)]
    body += [text(left + 15 + k * step, 250, short(x, 10), 11, "middle") for k, x in enumerate(xs)]
    for s, (name, values) in enumerate(series.items()):
        body += polyline(values, left + 15, step, axis, PALETTE[s % len(PALETTE)], name, xs)
    body += legend(list(series), width - 180, 34)
    return svg(width, height, body, title)


def polyline(values: list[float | None], x0: float, step: float, axis: Axis, colour: str, name: str,
             xs: list[str]) -> list[str]:
    points = [(x0 + k * step, axis.px(v), v, xs[k]) for k, v in enumerate(values) if v is not None]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
    out = [f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'] if len(points) > 1 else []
    for x, y, v, label in points:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{esc(name)} @ {esc(label)}: '
                   f"{v:.3f}</title></circle>")
    return out


def empty(title: str) -> str:
    return svg(480, 60, [text(10, 18, title, 14, extra=' font-weight="600"'), text(10, 44, "no data", 12)], title)
