"""The workspace: the secretariat's and chairs' web pages (read, search, correct, refer, follow up).

Public API: `web.app.create_app(store, settings) -> Starlette`. Server-rendered, Persian, right to left,
no JavaScript needed; every change goes through `store.workspace` and lands in the audit log.
"""
