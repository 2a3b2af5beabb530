"""Digests: the secretariat's morning digest and the working-group chairs' briefs.

Public API: `digests.select` (build_digest, build_brief — pure) with the records they return
(`digests.records`), the periods (`digests.periods`: digest_period, weekly_period) and the stories'
ranking (`digests.ranking`); `digests.render` (render_html, render_markdown, render_json, render_text),
`digests.deliver` (archive, send_email), `digests.run` (make_morning_digest, make_briefs — what flows and the CLI call). See docs/digests.md.
"""
