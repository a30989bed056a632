"""The dashboard as one HTML page: inline CSS, no script, nothing fetched (its Content Security
Policy says so to the browser). Every string from git or AWS is escaped here, in `e()`: a
commit subject, an author name or a skipped gate's reason is anyone's text."""

from __future__ import annotations

import time
from html import escape

from git_lift.aws.store import Release
from git_lift.flows.overview import Cell, Entry, Gap, Overview
from git_lift.names import plural

# No script, no fetch of any kind: styles are inline, images (none today) could only be data:.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"
SHOWN_COMMITS = 30  # per pair of environments; the rest is counted


def e(text: object) -> str:
    return escape(str(text), quote=True)


def utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))


def age(seconds: float) -> str:
    """How long ago, to the unit that matters: 40 s, 12 min, 5 h, 3 d."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now" if seconds < 10 else f"{int(seconds)} s ago"


def short_digest(image: str) -> str:
    """sha256:0123456789ab: enough to tell two images apart on a page."""
    digest = image.rpartition("@")[2]
    algorithm, _, hexes = digest.partition(":")
    return f"{algorithm}:{hexes[:12]}" if hexes else digest[-19:]


def page(view: Overview) -> str:
    title = f"git lift: {view.repository}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
            "<header>",
            f"<h1>git lift <span>{e(view.repository)}</span></h1>",
            f'<p class="meta">generated {utc(view.generated_at)} &middot; read-only &middot; '
            "config keys by name only, never a value</p>",
            "</header>",
            grid(view),
            gaps(view),
            timeline(view),
            "</body></html>",
        ]
    )


def grid(view: Overview) -> str:
    head = "".join(f'<th scope="col">{e(env)}</th>' for env in view.environments)
    rows = []
    for service in view.services:
        cells = "".join(
            cell(view.cells[(service, env)], view.generated_at) for env in view.environments
        )
        rows.append(
            f'<tr data-service="{e(service)}"><th scope="row">{e(service)}</th>{cells}</tr>'
        )
    return (
        '<section id="runs"><h2>What runs</h2><table class="grid">'
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def cell(c: Cell, now: float) -> str:
    state, lines = cell_lines(c, now)
    return f'<td class="cell {state}" data-env="{e(c.env)}">{"".join(lines)}</td>'


def cell_lines(c: Cell, now: float) -> tuple[str, list[str]]:
    """The cell's state (its colour) and its lines."""
    if c.error is not None:
        return "bad", ['<p class="rel">unavailable</p>', f'<p class="why">{e(c.error)}</p>']
    if c.missing is not None:
        fix = f'<p class="why">set it up: <code>{e(c.set_up_by)}</code></p>'
        return "idle", ['<p class="rel">not set up</p>', f'<p class="why">{e(c.missing)}</p>', fix]
    rollout = e(c.rollout or "no deployment")
    tasks = f'<p class="tasks">{c.running}/{c.desired} running &middot; {rollout}</p>'
    r = c.release
    if r is None:
        return "idle", ['<p class="rel">no release yet</p>', tasks]
    pinned = "pinned config" if r.pinned else "config not pinned"
    lines = [
        f'<p class="rel">release {r.number}'
        + (f' <span class="badge warn">{e(r.outcome)}</span>' if not r.released else "")
        + f' <span class="badge">{pinned}</span></p>',
        commit_line(r, c.subject),
        f'<p class="meta"><code>{e(short_digest(r.image))}</code> &middot; '
        f'<span title="{utc(r.deployed_at)}">{age(now - r.deployed_at)}</span> '
        f'&middot; <span title="{e(r.deployed_by)}">{e(who(r.deployed_by))}</span></p>',
        tasks,
    ]
    if c.drift:
        keys = " ".join(f"<code>{e(k)}</code>" for k in c.drift)
        lines.append(f'<p class="drift">config changed since: {keys}</p>')
    if c.mismatch:
        lines.append(f'<p class="drift">{e(c.mismatch)}</p>')
    if c.attempt is not None:
        tried = c.attempt
        lines.append(
            f'<p class="drift">then release {tried.number}: {e(tried.outcome)}, '
            f"{age(now - tried.deployed_at)}</p>"
        )
    return cell_state(c), lines


def cell_state(c: Cell) -> str:
    if c.rollout == "FAILED":
        return "bad"
    steady = c.rollout == "COMPLETED" and c.running == c.desired
    released = c.release is not None and c.release.released
    calm = not (c.drift or c.mismatch or c.attempt)
    return "ok" if steady and released and calm else "warn"


def who(deployed_by: str) -> str:
    """`Dana Dev <dana@example.com>` as `Dana Dev`: the address is in the record and the tag."""
    name = deployed_by.partition(" <")[0].strip()
    return name or deployed_by


def commit_line(r: Release, subject: str | None) -> str:
    built = r.commit[:12] + (f"-dirty-{r.dirty}" if r.dirty else "")
    return f'<p class="commit"><code>{e(built)}</code> {e(subject or "(not in this clone)")}</p>'


def gaps(view: Overview) -> str:
    if not view.gaps:
        return ""
    parts = [gap(g) for g in view.gaps]
    return f'<section id="between"><h2>Between environments</h2>{"".join(parts)}</section>'


def gap(g: Gap) -> str:
    head = f"<h3>{e(g.service)}: {e(g.earlier)} &rarr; {e(g.later)}</h3>"
    where = f'data-service="{e(g.service)}" data-from="{e(g.earlier)}" data-to="{e(g.later)}"'
    if g.note is not None:
        return f'<div class="gap" {where}>{head}<p class="why">{e(g.note)}</p></div>'
    if not g.to_promote and not g.only_later:
        return f'<div class="gap" {where}>{head}<p>in step: the same commits run in both</p></div>'
    body = commits(g.to_promote, f"in {g.earlier}, not yet in {g.later}")
    body += commits(g.only_later, f"in {g.later} only")
    return f'<div class="gap" {where}>{head}{body}</div>'


def commits(lines: list[str], what: str) -> str:
    if not lines:
        return ""
    items = []
    for line in lines[:SHOWN_COMMITS]:
        sha, _, subject = line.partition(" ")
        items.append(f"<li><code>{e(sha)}</code> {e(subject)}</li>")
    more = len(lines) - SHOWN_COMMITS
    if more > 0:
        items.append(f'<li class="why">and {more} more</li>')
    return f"<p>{plural(len(lines), 'commit')} {e(what)}</p><ul>{''.join(items)}</ul>"


def timeline(view: Overview) -> str:
    head = "".join(f'<th scope="col">{e(env)}</th>' for env in view.environments)
    rows = [event(entry, view.environments, view.generated_at) for entry in view.timeline]
    if not rows:
        return '<section id="timeline"><h2>Releases</h2><p class="why">none yet</p></section>'
    return (
        f'<section id="timeline"><h2>Releases</h2>{LEGEND}<table class="timeline">'
        f'<thead><tr><th scope="col">when</th><th scope="col">service</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def kind(r: Release) -> tuple[str, str]:
    """The release's kind (its colour) and what it was, said as `history` says it."""
    if not r.released:
        return "failed" if r.outcome in FAILED else "other", r.outcome
    if r.rolled_back_from is not None:
        return "rollback", f"rollback of {r.rolled_back_from}"
    if r.promoted_from:
        return "promotion", f"promoted from {r.promoted_from}"
    if r.config_changed is not None:
        return "config", f"config: {r.config_changed}"
    return "release", "release"


FAILED = ("failed", "release command failed", "interrupted")
LEGEND = (
    '<p class="legend">'
    + "".join(
        f'<span class="key {style}"></span>{label}'
        for style, label in (
            ("release", "release"),
            ("promotion", "promotion"),
            ("rollback", "rollback"),
            ("config", "config release"),
            ("failed", "failed"),
            ("other", "unverified or superseded"),
        )
    )
    + "</p>"
)


def event(entry: Entry, environments: list[str], now: float) -> str:
    r = entry.release
    style, what = kind(r)
    notes = [f"gate skipped: {r.gate_skipped}"] if r.gate_skipped else []
    box = (
        f'<div class="event {style}"><p><b>{r.number}</b> <span class="kind">{e(what)}</span>'
        f' <span class="meta">{e(who(r.deployed_by))}'
        + "".join(f" &middot; {e(n)}" for n in notes)
        + f"</span></p>{commit_line(r, entry.subject)}</div>"
    )
    lanes = "".join(f"<td>{box if env == r.env else ''}</td>" for env in environments)
    return (
        f'<tr class="{style}" data-env="{e(r.env)}" data-service="{e(r.service)}">'
        f'<td class="when">{utc(r.deployed_at)}<br><span>{age(now - r.deployed_at)}</span></td>'
        f"<td>{e(r.service)}</td>{lanes}</tr>"
    )


STYLE = """
:root{--ink:#1d2330;--muted:#5f6b7a;--line:#dfe3ea;--bg:#f5f7fa;--card:#fff;
--ok:#1f9d55;--warn:#d98b00;--bad:#d64545;--idle:#9aa5b1;--promo:#2f6fde;--back:#8a4fd8;
--cfg:#0f8b8d}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap;margin-bottom:8px}
h1{font-size:22px;margin:0}h1 span{color:var(--muted);font-weight:500}
h2{font-size:16px;margin:28px 0 10px;text-transform:uppercase;letter-spacing:.06em;
color:var(--muted)}
h3{font-size:14px;margin:0 0 6px}
p{margin:2px 0}code{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",monospace}
.meta,.why,.when span{color:var(--muted);font-size:12px}
table{border-collapse:separate;border-spacing:8px;margin:0 -8px}
th{text-align:left;font-weight:600;padding:0 4px;vertical-align:top}
thead th{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.grid td.cell{background:var(--card);border:1px solid var(--line);border-left:5px solid
var(--idle);border-radius:8px;padding:10px 14px;vertical-align:top;width:380px;
box-shadow:0 1px 2px rgba(0,0,0,.04)}
.grid td.cell.ok{border-left-color:var(--ok)}.grid td.cell.warn{border-left-color:var(--warn)}
.grid td.cell.bad{border-left-color:var(--bad)}
.rel{font-weight:600;font-size:15px}
.badge{display:inline-block;font-size:11px;font-weight:500;padding:1px 7px;border-radius:10px;
background:#eef1f5;color:var(--muted);margin-left:4px}
.badge.warn{background:#fff3dc;color:#8a5a00}
.commit{margin:4px 0;overflow-wrap:anywhere}.tasks{font-size:12px}
.drift{color:#8a5a00;font-size:12px;margin-top:4px}
.gap{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;
margin:0 0 8px;max-width:900px}
.gap ul{margin:4px 0 0;padding-left:18px}.gap li{overflow-wrap:anywhere}
.timeline td{vertical-align:top;padding:0}
.timeline td.when{white-space:nowrap;font-size:12px;padding-top:6px}
.timeline td:nth-child(2){padding-top:6px;font-weight:600}
.event{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--ok);
border-radius:6px;padding:4px 10px;width:340px}
.event p{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.event .commit{margin:0}
.kind{font-weight:600}
.timeline{border-spacing:8px 5px}
.legend{color:var(--muted);font-size:12px;margin:-4px 0 6px}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 12px;
background:var(--ok);vertical-align:-1px}.key:first-child{margin-left:0}
.key.promotion{background:var(--promo)}.key.rollback{background:var(--back)}
.key.config{background:var(--cfg)}.key.failed{background:var(--bad)}
.key.other{background:var(--warn)}
.event.promotion{border-left-color:var(--promo)}.event.rollback{border-left-color:var(--back)}
.event.failed{border-left-color:var(--bad);background:#fff6f6}
.event.other{border-left-color:var(--warn)}.event.config{border-left-color:var(--cfg)}
"""
