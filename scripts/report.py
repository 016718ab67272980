"""The outreach report: one self-contained HTML page and a PNG, read from the dbt marts.

    .venv/bin/python scripts/report.py --duckdb warehouse/outreach.duckdb   # -> reports/
    .venv/bin/python scripts/report.py --postgres postgresql://user@host:5432/warehouse

Charts are Vega-Lite specs built with altair; the page inlines the Vega/Vega-Lite/vega-embed
bundle that vl-convert ships (no CDN: it opens offline), and vl-convert renders the PNG.
Every number on the page comes from the marts in the schema `analytics`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"salesblink": "SalesBlink", "salesflow": "Salesflow", "salesrocks": "Sales.Rocks"}
TOOL_COLORS = {"SalesBlink": "#2563eb", "Salesflow": "#0d9488", "Sales.Rocks": "#ea580c"}
#: Funnel stages in order; a tool shows the stages its source reports (null = not reported).
STAGES = ("contacts", "sent", "opened", "clicked", "replied")
#: Campaigns shown in the ranking (the best by reply rate).
TOP_CAMPAIGNS = 25


def fmt_int(value: int | float) -> str:
    """A count as the report prints it: 12,345."""
    return f"{int(value):,}"


def fmt_pct(rate: float) -> str:
    """A rate (0..1) as the report prints it: 8.3%."""
    return f"{float(rate) * 100:.1f}%"


@dataclass
class Marts:
    """What the report shows, read from the marts."""

    headline: dict[str, float] = field(default_factory=dict)
    funnel: list[dict] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)
    daily: list[dict] = field(default_factory=list)
    first_day: str = ""
    last_day: str = ""


def _rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_marts(con, schema: str = "analytics") -> Marts:
    """The report's numbers from a DB-API connection (DuckDB or psycopg) to the warehouse."""
    marts = Marts()
    totals = _rows(
        con,
        f"select count(*) as campaigns, coalesce(sum(sent), 0) as sent, "
        f"coalesce(sum(replied), 0) as replied from {schema}.campaign_performance",
    )[0]
    people = _rows(
        con,
        f"select count(*) as contacts, "
        f"coalesce(sum(case when has_replied then 1 else 0 end), 0) as contacts_replied "
        f"from {schema}.contacts",
    )[0]
    marts.headline = {
        "contacts": int(people["contacts"]),
        "campaigns": int(totals["campaigns"]),
        "sent": int(totals["sent"]),
        "replied": int(totals["replied"]),
        "reply_rate": (int(totals["replied"]) / int(totals["sent"])) if totals["sent"] else 0.0,
        "contacts_replied": int(people["contacts_replied"]),
    }
    sums = ", ".join(f"sum({s}) as {s}" for s in STAGES)
    for row in _rows(
        con, f"select tool, {sums} from {schema}.campaign_performance group by tool order by tool"
    ):
        sent = row["sent"]
        for order, stage in enumerate(STAGES):
            if row[stage] is None:
                continue  # the tool does not report this stage (e.g. LinkedIn opens)
            share = (
                f" ({fmt_pct(row[stage] / sent)} of sent)"
                if sent and stage not in ("contacts", "sent")
                else ""
            )
            marts.funnel.append(
                {
                    "tool": TOOLS.get(row["tool"], row["tool"]),
                    "stage": stage,
                    "order": order,
                    "count": int(row[stage]),
                    "label": fmt_int(row[stage]) + share,
                }
            )
    for row in _rows(
        con,
        f"select tool, account_id, campaign_name, campaign_id, sent, replied, reply_rate "
        f"from {schema}.campaign_performance where reply_rate is not null and sent > 0 "
        f"order by reply_rate desc, replied desc, campaign_key limit {TOP_CAMPAIGNS}",
    ):
        tool = TOOLS.get(row["tool"], row["tool"])
        name = row["campaign_name"] or f"campaign {row['campaign_id']}"
        label = f"{name} · {tool}"
        if any(c["campaign"] == label for c in marts.campaigns):
            label = f"{name} · {tool} {row['account_id']}"  # one bar per campaign
        marts.campaigns.append(
            {
                "campaign": label,
                "tool": tool,
                "reply_rate": float(row["reply_rate"]),
                "replied": int(row["replied"]),
                "sent": int(row["sent"]),
                "label": f"{fmt_pct(row['reply_rate'])} "
                f"({fmt_int(row['replied'])} of {fmt_int(row['sent'])})",
            }
        )
    for row in _rows(
        con,
        f"select activity_date, tool, sum(events) as events from {schema}.daily_activity "
        f"group by activity_date, tool order by activity_date, tool",
    ):
        day = row["activity_date"]
        marts.daily.append(
            {
                "date": day.isoformat() if hasattr(day, "isoformat") else str(day),
                "tool": TOOLS.get(row["tool"], row["tool"]),
                "events": int(row["events"]),
            }
        )
    if marts.daily:
        marts.first_day, marts.last_day = marts.daily[0]["date"], marts.daily[-1]["date"]
    return marts


def _tool_color(tools: list[str]) -> alt.Color:
    names = [t for t in TOOL_COLORS if t in tools] or tools
    scale = alt.Scale(domain=names, range=[TOOL_COLORS.get(t, "#64748b") for t in names])
    return alt.Color("tool:N", title="Tool", scale=scale)


def headline_chart(marts: Marts) -> alt.Chart:
    """The headline numbers as big figures (a chart, so the PNG carries them too)."""
    h = marts.headline
    tiles = [
        ("Contacts", fmt_int(h["contacts"])),
        ("Campaigns", fmt_int(h["campaigns"])),
        ("Messages sent", fmt_int(h["sent"])),
        ("Replies", fmt_int(h["replied"])),
        ("Reply rate", fmt_pct(h["reply_rate"])),
        ("Contacts who answered", fmt_int(h["contacts_replied"])),
    ]
    values = [{"i": i, "name": n, "value": v} for i, (n, v) in enumerate(tiles)]
    base = alt.Chart(alt.Data(values=values)).encode(x=alt.X("i:O", axis=None), y=alt.value(0))
    value = base.mark_text(fontSize=26, fontWeight="bold", dy=8, color="#0f172a").encode(
        text="value:N"
    )
    name = base.mark_text(fontSize=12, dy=34, color="#475569").encode(text="name:N")
    return (value + name).properties(
        width=880, height=60, title=alt.Title("Outreach at a glance", anchor="start")
    )


def funnel_chart(marts: Marts) -> alt.FacetChart:
    """Per tool: contacts, sent, opened, clicked, replied (the stages its source reports)."""
    tools = [t for t in TOOL_COLORS if t in {r["tool"] for r in marts.funnel}]
    base = alt.Chart(alt.Data(values=marts.funnel)).encode(
        y=alt.Y("stage:N", sort=list(STAGES), title=None),
        x=alt.X("count:Q", title=None, axis=alt.Axis(format="~s")),
    )
    bars = base.mark_bar().encode(
        color=_tool_color(tools), tooltip=["tool:N", "stage:N", "count:Q"]
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#0f172a").encode(text="label:N")
    return (
        (bars + labels)
        .properties(width=210, height=150)
        .facet(column=alt.Column("tool:N", title=None, sort=tools))
        .resolve_scale(x="independent")
        .properties(
            title=alt.Title("Funnel per tool", subtitle="share of sent in brackets", anchor="start")
        )
    )


def ranking_chart(marts: Marts) -> alt.LayerChart:
    """Campaigns ranked by reply rate, across tools."""
    tools = sorted({r["tool"] for r in marts.campaigns})
    base = alt.Chart(alt.Data(values=marts.campaigns)).encode(
        y=alt.Y(
            "campaign:N",
            sort=[r["campaign"] for r in marts.campaigns],
            title=None,
            axis=alt.Axis(labelLimit=260),
        ),
        x=alt.X("reply_rate:Q", title="Reply rate (replies / sent)", axis=alt.Axis(format="%")),
    )
    bars = base.mark_bar().encode(
        color=_tool_color(tools).legend(None),  # the tool is in each label
        tooltip=[
            "campaign:N",
            "tool:N",
            "sent:Q",
            "replied:Q",
            alt.Tooltip("reply_rate:Q", format=".1%"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=11, color="#0f172a").encode(text="label:N")
    return (bars + labels).properties(
        width=520,
        height=alt.Step(20),
        title=alt.Title(
            "Campaigns ranked by reply rate",
            subtitle=f"top {len(marts.campaigns)} campaigns with messages sent",
            anchor="start",
        ),
    )


def daily_chart(marts: Marts) -> alt.Chart:
    """Events per day by tool (sends, opens, clicks, replies, LinkedIn messages received)."""
    tools = sorted({r["tool"] for r in marts.daily})
    total = sum(r["events"] for r in marts.daily)
    return (
        alt.Chart(alt.Data(values=marts.daily))
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("events:Q", title="Events per day"),
            color=_tool_color(tools),
            tooltip=["date:T", "tool:N", "events:Q"],
        )
        .properties(
            width=880,
            height=220,
            title=alt.Title(
                "Daily activity by tool",
                subtitle=f"{fmt_int(total)} events from {marts.first_day} to {marts.last_day}"
                + ("" if "Sales.Rocks" in tools else " (Sales.Rocks reports campaign totals only)"),
                anchor="start",
            ),
        )
    )


def charts(marts: Marts) -> dict[str, alt.TopLevelMixin]:
    """The report's charts by element id, in page order."""
    return {
        "headline": headline_chart(marts),
        "funnel": funnel_chart(marts),
        "ranking": ranking_chart(marts),
        "daily": daily_chart(marts),
    }


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Outreach report</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 24px auto; max-width: 980px;
         color: #0f172a; }}
  h1 {{ margin-bottom: 0; }} .meta {{ color: #64748b; margin-top: 4px; }}
  section {{ margin: 28px 0; }} .note {{ color: #475569; font-size: 13px; }}
</style>
<script>{bundle}</script>
</head>
<body>
<h1>Outreach report</h1>
<p class="meta">SalesBlink, Salesflow and Sales.Rocks, from the marts in <code>analytics</code>
({source}); days {first_day} to {last_day}; written {written}.</p>
{sections}
<p class="note">Rates: open rate = opened / sent, click rate = clicked / sent, reply rate =
replied / sent. Sent counts emails for SalesBlink and Sales.Rocks and LinkedIn touches
(connection requests + messages) for Salesflow; LinkedIn has no opens or clicks. Replies are
the campaigns' reply counts as each tool reports them; contacts who answered are people with a
reply event, a LinkedIn message received (campaign or not) or Salesflow's "has replied" flag,
so that number can exceed the replies. Definitions: transform/README.md.</p>
<script>
const specs = {specs};
const rendered = {{}};
for (const [id, spec] of Object.entries(specs)) {{
  rendered[id] = vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}});
}}
window.outreachRendered = Promise.all(Object.values(rendered));
</script>
</body>
</html>
"""


def write_report(marts: Marts, out_dir: Path, source: str) -> tuple[Path, Path]:
    """Write outreach.html (self-contained) and outreach.png into out_dir; return both paths."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    if not marts.campaigns and not marts.daily:
        raise SystemExit(
            "report: the marts in `analytics` are empty: run the taps and the models first "
            "(meltano run tap-salesblink target-duckdb ... dbt-duckdb:build)."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    built = charts(marts)
    specs = {name: chart.to_dict() for name, chart in built.items()}
    specs["headline"]["config"] = {"view": {"stroke": None}}  # figures, not a plot: no frame
    sections = "\n".join(f'<section><div id="{name}"></div></section>' for name in specs)
    bundle = vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())
    page = PAGE.format(
        bundle=bundle.replace("</script", "<\\/script"),
        source=html.escape(source),
        first_day=marts.first_day,
        last_day=marts.last_day,
        written=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        sections=sections,
        specs=json.dumps(specs).replace("</", "<\\/"),
    )
    html_path = out_dir / "outreach.html"
    html_path.write_text(page, encoding="utf-8")
    picture = (
        alt.vconcat(*built.values(), spacing=36)
        .resolve_scale(color="independent")  # each chart keeps the legend it has on the page
        .configure_view(stroke=None)
    )
    png_path = out_dir / "outreach.png"
    picture.save(str(png_path), format="png", scale_factor=1.5)
    return html_path, png_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--duckdb", type=Path, default=ROOT / "warehouse" / "outreach.duckdb")
    where.add_argument("--postgres", help="postgresql:// URL of the warehouse")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres) as con:
            marts = read_marts(con)
        source = "PostgreSQL"
    else:
        import duckdb

        with duckdb.connect(str(args.duckdb), read_only=True) as con:
            marts = read_marts(con)
        source = f"DuckDB {args.duckdb.name}"
    html_path, png_path = write_report(marts, args.out, source)
    print(f"Report: {html_path}\nPicture: {png_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
