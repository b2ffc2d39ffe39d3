"""The pages' static files, written by every build: the style sheet and the site icon."""

from __future__ import annotations

# The feed symbol in the pages' accent colour, 16 px square; it reads on light and dark tabs.
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#b3421b"/>'
    '<circle cx="4.2" cy="11.8" r="1.7" fill="#fff"/>'
    '<path d="M3 7a6 6 0 0 1 6 6M3 3a10 10 0 0 1 10 10" fill="none" stroke="#fff" '
    'stroke-width="2"/></svg>\n'
)

STYLE = """\
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fdfdfc; --muted: #5f6368;
  --line: #e3e3e0; --accent: #b3421b; --card: #ffffff; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #ececea; --bg: #17181a; --muted: #a4a7ab; --line: #34363a;
    --accent: #f08a5d; --card: #202124; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 48rem; padding: 1.5rem 1rem 3rem; color: var(--fg);
  background: var(--bg); font: 1rem/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--accent); }
.skip:not(:focus) { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: .2rem 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
.crumbs, .count, .byline, .rule, footer { color: var(--muted); font-size: .9rem; margin: 0; }
small.rule { display: block; font-weight: normal; }
.description { margin: 0 0 .3rem; font-size: 1.05rem; }
.subscribe { background: var(--card); border: 1px solid var(--line); border-radius: .6rem;
  padding: .2rem 1rem .8rem; margin-top: 1.2rem; }
.subscribe h2 { margin-top: .8rem; }
.subscribe ul { list-style: none; padding: 0; margin: 0; }
.subscribe li { margin: .35rem 0; overflow-wrap: break-word; }
.subscribe code { color: var(--muted); font-size: .85rem; }
a.feed { display: inline-block; min-width: 7.5rem; padding: .15rem .6rem; border-radius: .4rem;
  background: var(--accent); color: var(--bg); text-decoration: none; font-weight: 600;
  text-align: center; margin-right: .4rem; }
.items { list-style: none; padding: 0; margin: 0; }
.item { background: var(--card); border: 1px solid var(--line); border-radius: .6rem;
  padding: 1rem; margin: 0 0 1rem; overflow: hidden; overflow-wrap: break-word; }
.item img { float: right; width: 9rem; height: auto; max-height: 7rem; object-fit: cover;
  margin: 0 0 .5rem 1rem; border-radius: .4rem; background: var(--line); }
.excerpt { margin: .4rem 0 0; }
.heat { color: var(--accent); font-weight: 600; white-space: nowrap; }
.related { clear: both; border-top: 1px solid var(--line); margin-top: .8rem; padding-top: .4rem;
  font-size: .92rem; }
.related p { margin: 0; font-weight: 600; }
.related ul { margin: .2rem 0 0; padding-left: 1.2rem; }
.related span { color: var(--muted); }
table { width: 100%; border-collapse: collapse; font-size: .95rem; table-layout: fixed; }
th, td { text-align: left; padding: .35rem .5rem .35rem 0; border-bottom: 1px solid var(--line);
  vertical-align: top; overflow-wrap: break-word; }
col.count { width: 5.5rem; }
col.updated { width: 13.5rem; }
col.links { width: 11.5rem; }
td a { white-space: nowrap; }
@media (max-width: 40rem) { .updated { display: none; } col.links { width: 6.5rem; } }
.num { text-align: right; padding-right: 1rem; }
.directory h3 { margin-top: 1.5rem; }
thead th { color: var(--muted); font-weight: 600; }
footer { margin-top: 2rem; }
"""
