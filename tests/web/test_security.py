"""The workspace's security: sessions, CSRF, roles enforced on the server, throttling, escaping, headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from tests.web.wfactory import EVIL_TITLE, csrf_of, login

PRIVATE = ["/", "/search", "/story/c-waste", "/groups", "/group/urban_services", "/sources", "/archive", "/review",
           "/report"]


@pytest.mark.parametrize("path", PRIVATE)
def test_every_page_needs_a_session(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_post_without_session_is_refused(client, ids):
    r = client.post(f"/article/{ids['waste1']}/correct", data={"field": "domain", "value": "other"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_login_and_logout_end_the_session(client, web_store):
    r = login(client, "sec")
    assert r.status_code == 303 and r.headers["location"] == "/"
    old_cookie = client.cookies.get("mw_session")
    page = client.get("/")
    assert page.status_code == 200 and "sec" in page.text
    r = client.post("/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303
    # Replaying the old cookie after logout does not bring the session back (it is ended on the server).
    client.cookies.set("mw_session", old_cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_are_refused_alike(client):
    assert login(client, "sec", "wrong password!").status_code == 401
    r = login(client, "nobody", "wrong password!")
    assert r.status_code == 401
    assert "نام کاربری یا گذرواژه درست نیست" in r.text
    assert "mw_session" not in client.cookies


def test_disabled_account_cannot_log_in_and_loses_its_session(client, web_store):
    assert login(client, "view").status_code == 303
    web_store.workspace.set_disabled("view", True, who="test")
    assert client.get("/", follow_redirects=False).status_code == 303
    assert login(client, "view").status_code == 401


def test_wrong_passwords_throttle_per_account(client):
    for _ in range(5):
        assert login(client, "sec", "not the password").status_code == 401
    r = login(client, "sec")  # even the right password waits now
    assert r.status_code == 429
    assert "صبر کنید" in r.text


def test_wrong_passwords_throttle_per_address(client):
    for n in range(5):
        assert login(client, f"guess{n}", "not the password").status_code == 401
    assert login(client, "chair_us").status_code == 429


def test_concurrent_wrong_passwords_cannot_outrun_the_throttle(client, web_store, monkeypatch):
    """Parallel guesses all used to pass the check before any failure was recorded (argon2 takes a while):
    a burst of 12 got 12 tries where the limit is 5."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import web.login

    real = web.login.verify_password

    def slow(user, password):  # a slower machine's argon2: the window in which the guesses overlap
        time.sleep(0.3)
        return real(user, password)

    monkeypatch.setattr(web.login, "verify_password", slow)
    token = csrf_of(client.get("/login").text)

    def guess(n: int) -> int:
        return client.post("/login", data={"username": "sec", "password": f"guess number {n}", "csrf": token},
                           follow_redirects=False).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(12)))
    checked = codes.count(401)
    assert set(codes) <= {401, 429} and 1 <= checked <= 5
    # The refused guesses do not lengthen the lockout: only the checked ones are failures.
    since = datetime(2000, 1, 1, tzinfo=UTC)
    assert web_store.workspace.login_failures("sec", "testclient", since) == (checked, checked)


def test_login_form_needs_its_csrf_token(client):
    client.get("/login")
    r = client.post("/login", data={"username": "sec", "password": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/login", data={"username": "sec", "password": "x", "csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403


def test_login_never_redirects_off_site(client):
    page = client.get("/login?next=//evil.example/x")
    r = client.post("/login", data={"username": "sec", "password": "correct horse battery",
                                    "csrf": csrf_of(page.text), "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_post_without_or_with_wrong_csrf_is_403(client, ids, web_store):
    login(client, "sec")
    url = f"/article/{ids['waste1']}/correct"
    assert client.post(url, data={"field": "domain", "value": "other"}).status_code == 403
    assert client.post(url, data={"field": "domain", "value": "other", "csrf": "x" * 43}).status_code == 403
    assert web_store.workspace.corrections_for(ids["waste1"]) == []


def _csrf(client) -> str:
    return csrf_of(client.get("/").text)


def test_chair_cannot_change_another_groups_items_by_direct_post(client, ids, web_store):
    login(client, "chair_cw")  # civil works; waste is urban services
    token = _csrf(client)
    r = client.post(f"/article/{ids['waste1']}/correct", data={"field": "domain", "value": "civil_works_traffic",
                                                               "csrf": token})
    assert r.status_code == 403
    assert client.post("/story/c-waste/correct", data={"field": "tone", "value": "positive",
                                                       "csrf": token}).status_code == 403
    assert client.post("/story/c-waste/refer", data={"group": "civil_works_traffic", "csrf": token}).status_code == 403
    assert web_store.workspace.corrections_for(ids["waste1"]) == []
    assert web_store.workspace.referrals() == []
    # … and the page does not offer the forms either.
    assert "/story/c-waste/correct" not in client.get("/story/c-waste").text
    # Their own group's story: allowed.
    r = client.post("/story/c-traffic/correct", data={"field": "tone", "value": "negative", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303


def test_chair_cannot_move_a_referral_of_another_group(client, web_store):
    rid = web_store.workspace.refer(cluster_key="c-waste", article_id=None, headline="h", group="urban_services",
                                    who="sec")
    login(client, "chair_cw")
    r = client.post(f"/referral/{rid}", data={"state": "closed", "csrf": _csrf(client)})
    assert r.status_code == 403
    assert web_store.workspace.referral(rid).state == "referred"


def test_viewer_post_is_refused(client, ids, web_store):
    login(client, "view")
    token = _csrf(client)
    for url, data in [(f"/article/{ids['waste1']}/correct", {"field": "tone", "value": "positive"}),
                      ("/story/c-waste/refer", {"group": "urban_services"}),
                      ("/story/c-waste/correct", {"field": "concern", "value": "false"})]:
        assert client.post(url, data={**data, "csrf": token}).status_code == 403
    assert web_store.workspace.corrections_for(ids["waste1"]) == []
    assert web_store.workspace.referrals() == []


def test_scraped_markup_stays_inert(client, ids):
    login(client, "sec")
    for path in (f"/article/{ids['evil']}", "/", "/search?q=" + "خبر"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
    html = client.get(f"/article/{ids['evil']}").text
    assert "&lt;script&gt;alert(" in html and "onerror=&#34;alert(1)&#34;" in html
    assert EVIL_TITLE not in html


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
                               "' OR 1=1 --", '"', "*", "NEAR(", "title:", "زباله*", "AND OR NOT", "\\", "%_",
                               "a" * 5000, "\x00"])
def test_search_input_is_harmless(client, q):
    login(client, "sec")
    r = client.get("/search", params={"q": q, "place": q, "from": q})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and "<img src=x" not in r.text
    assert client.get("/search.csv", params={"q": q}).status_code == 200


def test_private_pages_send_no_store_and_csp(client):
    login(client, "sec")
    for path in [*PRIVATE, "/login"]:
        r = client.get(path)
        assert r.headers["cache-control"] == "no-store", path
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        # No inline script or style for the CSP to block: everything is served from /static.
        assert "<script" not in r.text and "<style" not in r.text and " style=" not in r.text, path


def test_session_cookie_flags(client):
    r = login(client, "sec")
    cookie = r.headers["set-cookie"]
    assert "mw_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert "correct horse" not in cookie


def test_cookie_is_secure_over_https(app):
    with TestClient(app, base_url="https://testserver") as c:
        r = login(c, "sec")
        assert re.search(r"mw_session=[^;]+;.*Secure", r.headers["set-cookie"])


def test_forwarded_proto_counts_only_behind_a_trusted_proxy(web_store, settings):
    from web.app import create_app

    for trust, secure in ((False, False), (True, True)):
        app = create_app(web_store, settings.model_copy(update={"trust_proxy": trust}))
        with TestClient(app, headers={"x-forwarded-proto": "https"}) as c:
            r = c.get("/login")  # the login form's cookie gets the same flags as the session's
            assert ("Secure" in r.headers["set-cookie"]) is secure


def test_expired_session_is_refused(client, web_store):
    from sqlalchemy import update

    from mediawatch.timeutil import utcnow
    from storage.schema import sessions

    login(client, "sec")
    with web_store.engine.begin() as c:
        c.execute(update(sessions).values(expires_at=utcnow()))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_passwords_are_argon2_hashes_never_stored_plain(web_store):
    u = web_store.workspace.user("sec")
    assert u.password_hash.startswith("$argon2id$")
    assert "correct horse" not in u.password_hash


def test_archived_file_is_sandboxed_and_only_from_the_record(client, web_store, tmp_path):
    from datetime import timedelta

    from mediawatch.timeutil import utcnow

    html = tmp_path / "digest.html"
    html.write_text("<html><body>digest</body></html>", encoding="utf-8")
    did = web_store.save_digest("morning", group=None, period_start=utcnow() - timedelta(days=1),
                                period_end=utcnow(), content={}, paths=[str(html), "/etc/passwd"])
    login(client, "sec")
    r = client.get(f"/archive/{did}/0")
    assert r.status_code == 200 and "sandbox" in r.headers["content-security-policy"]
    assert client.get(f"/archive/{did}/1").status_code == 404  # not a digest format
    assert client.get(f"/archive/{did}/7").status_code == 404
    assert client.get("/archive").status_code == 200


def test_secret_key_file_is_made_once_and_private(tmp_path):
    import stat

    from mediawatch.settings import Settings
    from web.auth import secret_key

    settings = Settings(data_dir=tmp_path / "d", _env_file=None)
    key = secret_key(settings)
    path = tmp_path / "d" / "web-secret-key"
    assert len(key) >= 40 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(settings) == key
    assert secret_key(Settings(data_dir=tmp_path / "e", secret_key="from-env", _env_file=None)) == "from-env"


def test_an_unexpected_error_gets_the_security_headers_and_no_traceback(app, monkeypatch):
    """A 500 used to come from Starlette's outermost middleware, around the one that adds the headers:
    plain text without CSP, nosniff, X-Frame-Options or no-store."""
    def broken(article_id):
        raise RuntimeError("secret detail of the failure")

    with TestClient(app, raise_server_exceptions=False) as c:
        login(c, "sec")
        monkeypatch.setattr(app.state.mw.store.workspace, "article", broken)
        r = c.get("/article/1")
    assert r.status_code == 500
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert "secret detail" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert 'id="error"' in r.text  # the workspace's own error page, in Persian


def test_a_non_ascii_csrf_token_is_refused_not_an_error(client, ids, web_store):
    """hmac.compare_digest refuses str with non-ASCII characters (TypeError): a forged token of Persian
    letters made every form's check, the login form's included, fail with a 500 instead of a 403."""
    client.get("/login")  # the login form's cookie
    r = client.post("/login", data={"username": "sec", "password": "x", "csrf": "توکن"}, follow_redirects=False)
    assert r.status_code == 403
    login(client, "sec")
    r = client.post(f"/article/{ids['waste1']}/correct", data={"field": "tone", "value": "positive", "csrf": "é" * 43})
    assert r.status_code == 403
    assert client.post("/logout", data={"csrf": "é"}, follow_redirects=False).status_code == 403
    assert web_store.workspace.corrections_for(ids["waste1"]) == []


def test_ids_and_pages_too_large_for_the_database_are_not_found_not_errors(client):
    """A number past a 64-bit row id in the URL went to the database, which overflowed: a 500 for any
    logged-in user. It names no row, so it is a 404; a huge page number is clamped and still answers."""
    login(client, "sec")
    huge = "9" * 25
    for path in (f"/article/{huge}", f"/archive/{huge}/0", f"/archive/1/{huge}"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert 'id="error"' in r.text
    r = client.post(f"/referral/{huge}", data={"csrf": csrf_of(client.get("/").text), "state": "closed"})
    assert r.status_code == 404
    for path in (f"/search?q=x&page={huge}", f"/review?page={huge}"):
        assert client.get(path).status_code == 200, path


def test_an_export_started_from_another_site_is_refused(client, web_store):
    """Exports are GETs without a CSRF token: a link or image on another site made the user's browser run
    one (up to 50,000 rows) and write an audit entry in their name. Fetch Metadata tells them apart."""
    login(client, "sec")
    before = len(web_store.workspace.audit_entries(limit=1000))
    for site in ("cross-site", "same-site"):
        r = client.get("/search.csv", params={"q": "رشت"}, headers={"sec-fetch-site": site})
        assert r.status_code == 403 and 'id="error"' in r.text
    assert len(web_store.workspace.audit_entries(limit=1000)) == before
    for site in ("same-origin", "none"):
        assert client.get("/search.xlsx", headers={"sec-fetch-site": site}).status_code == 200
    assert client.get("/search.csv").status_code == 200  # an older browser or a script sends no such header
    assert len(web_store.workspace.audit_entries(limit=1000)) == before + 3
