"""Charts as server-rendered SVG: no JavaScript, nothing from a CDN.

Each chart carries a <title> and <desc> for screen readers; the page also
shows the same numbers as a table.
"""
from markupsafe import Markup, escape

from ..coverage import STATUS_LABELS, STATUSES

STATUS_COLOURS = {
    "trained": "#1f6f3a",
    "expiring": "#b36b00",
    "in_training": "#0b5394",
    "registered": "#6b4c9a",
    "open": "#a3001a",
}
MONTHS = ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"]


def region_chart(summary):
    """Stacked bars: units per status, one bar per region and one for NRW."""
    rows = [("NRW gesamt", summary.counts, summary.total)]
    rows += [(name, counts, sum(counts.values())) for name, counts in summary.by_region.items()]
    label_width, bar_width, row_height, top = 170, 440, 34, 10
    width = label_width + bar_width + 50
    height = top + row_height * len(rows) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-labelledby="region-chart-title region-chart-desc">',
             '<title id="region-chart-title">Abdeckung nach Region</title>',
             '<desc id="region-chart-desc">' + escape("; ".join(
                 f"{name}: " + ", ".join(f"{counts[s]} {STATUS_LABELS[s]}" for s in STATUSES) for name, counts, _ in rows))
             + "</desc>"]
    for index, (name, counts, total) in enumerate(rows):
        y = top + index * row_height
        weight = ' font-weight="bold"' if index == 0 else ""
        parts.append(f'<text x="{label_width - 8}" y="{y + 20}" text-anchor="end" class="chart-label"{weight}>'
                     f'{escape(name)}</text>')
        x = label_width
        for status in STATUSES:
            if not total or not counts[status]:
                continue
            segment = bar_width * counts[status] / total
            parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{segment:.1f}" height="{row_height - 10}" '
                         f'fill="{STATUS_COLOURS[status]}"><title>{escape(name)}: {counts[status]} '
                         f'{escape(STATUS_LABELS[status])}</title></rect>')
            if segment >= 18:
                parts.append(f'<text x="{x + segment / 2:.1f}" y="{y + 20}" text-anchor="middle" fill="#fff" '
                             f'class="chart-value">{counts[status]}</text>')
            x += segment
        parts.append(f'<text x="{label_width + bar_width + 6}" y="{y + 20}" class="chart-label">{total}</text>')
    legend_y = top + row_height * len(rows) + 18
    x = 10
    for status in STATUSES:
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{STATUS_COLOURS[status]}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}" class="chart-legend">{escape(STATUS_LABELS[status])}</text>')
        x += 16 + 7 * len(STATUS_LABELS[status]) + 14
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(series, total_units):
    """Line: trained units at the end of each month."""
    width, height, left, right, top, bottom = 640, 240, 44, 30, 16, 36
    plot_width, plot_height = width - left - right, height - top - bottom
    maximum = max([total_units] + [count for _, count in series]) or 1
    step = plot_width / max(len(series) - 1, 1)

    def point(index, count):
        return left + index * step, top + plot_height * (1 - count / maximum)

    description = "; ".join(f"{MONTHS[at.month - 1]} {at.year}: {count}" for at, count in series)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-labelledby="trend-chart-title trend-chart-desc">',
             '<title id="trend-chart-title">Geschulte Gliederungen pro Monat</title>',
             f'<desc id="trend-chart-desc">{escape(description)}</desc>']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_height * (1 - fraction)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="chart-grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
                     f'{round(maximum * fraction)}</text>')
    points = [point(i, count) for i, (_, count) in enumerate(series)]
    parts.append('<polyline fill="none" stroke="#1f6f3a" stroke-width="3" points="'
                 + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
    for (at, count), (x, y) in zip(series, points):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1f6f3a"><title>'
                     f'{MONTHS[at.month - 1]} {at.year}: {count}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="middle" class="chart-axis">'
                     f'{MONTHS[at.month - 1]} {at.year % 100:02d}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
