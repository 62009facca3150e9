"""SPEC §11 end to end, in headless Chromium: a user signs in to the demo SPA through
Gatehouse's hosted login page, sees their projects, reloads and stays signed in through
the refresh cookie, creates a project, and signs out. No token is ever readable by the
page's JavaScript: none in localStorage or sessionStorage, the refresh cookie HttpOnly.
Fails with a message and a screenshot of the step that went wrong."""

import json
import os
import pathlib
import sys
import urllib.parse
import urllib.request

from playwright.sync_api import expect, sync_playwright

GATEHOUSE = os.environ["GATEHOUSE_URL"]
SPA = os.environ["SPA_URL"]
SHOTS = pathlib.Path(os.environ["E2E_SHOTS"])
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple 42"


def call(method, path, body=None, token=None, form=False):
    data = None
    headers = {}
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(GATEHOUSE + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def seed():
    """A user with two tenants (so the login page asks which) and a project in the first,
    through the API."""
    signup = call("POST", "/api/v1/signup", {
        "email": EMAIL, "password": PASSWORD, "display_name": "Ada",
        "tenant": {"name": "Acme", "slug": "acme"},
    })
    tenant = signup["tenant"]["id"]
    tokens = call("POST", "/oauth/token", {
        "grant_type": "password", "username": EMAIL, "password": PASSWORD,
    }, form=True)
    call("POST", f"/api/v1/tenants/{tenant}/projects", {"name": "Apollo"},
         token=tokens["access_token"])
    call("POST", "/api/v1/tenants", {"name": "Globex", "slug": "globex"},
         token=tokens["access_token"])


def no_token_in_storage(page, step):
    storage = page.evaluate(
        "() => ({local: {...localStorage}, session: {...sessionStorage}})")
    for area, items in storage.items():
        for key, value in items.items():
            assert "eyJ" not in value and "token" not in key.lower(), \
                f"{step}: {area}Storage holds {key!r}"


def main():
    seed()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        page = context.new_page()
        errors = []
        # Expected 400s (a wrong password, a refresh with no cookie yet) are logged by the
        # browser too; anything else (a CSP violation, a script error) fails the test.
        expected = "Failed to load resource: the server responded with a status of 400"
        page.on("console", lambda m: m.type == "error" and not m.text.startswith(expected)
                and errors.append(m.text))
        step = "start"
        try:
            step = "signed out"
            page.goto(SPA)
            expect(page.get_by_role("button", name="Sign in with Gatehouse")).to_be_visible()

            step = "login page"
            page.get_by_role("button", name="Sign in with Gatehouse").click()
            page.wait_for_url(f"{GATEHOUSE}/oauth/authorize*")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.screenshot(path=SHOTS / "login.png", full_page=True)

            step = "wrong password"
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill("not the password at all")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("The email or password is incorrect.")
            page.screenshot(path=SHOTS / "login-error.png", full_page=True)

            step = "sign in"
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            step = "choose a workspace"
            expect(page.get_by_role("heading", name="Choose a workspace")).to_be_visible()
            page.screenshot(path=SHOTS / "tenant.png", full_page=True)
            page.get_by_label("Acme").check()
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url(f"{SPA}/")
            expect(page.get_by_role("listitem").filter(has_text="Apollo")).to_be_visible()
            expect(page.locator("#who")).to_have_text(EMAIL)
            page.screenshot(path=SHOTS / "spa-signed-in.png", full_page=True)
            no_token_in_storage(page, step)
            refresh = [c for c in context.cookies(GATEHOUSE + "/oauth/token") if c["name"] == "gh_refresh"]
            assert refresh, f"{step}: no refresh cookie"
            assert refresh[0]["httpOnly"], f"{step}: the refresh cookie is readable by JavaScript"
            assert "gh_refresh" not in page.evaluate("() => document.cookie")

            step = "reload"
            page.reload()
            expect(page.get_by_role("listitem").filter(has_text="Apollo")).to_be_visible()
            no_token_in_storage(page, step)

            step = "create a project"
            page.get_by_label("New project").fill("Gemini")
            page.get_by_role("button", name="Create").click()
            expect(page.get_by_role("listitem").filter(has_text="Gemini")).to_be_visible()

            step = "sign out"
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{SPA}/*")
            expect(page.get_by_role("button", name="Sign in with Gatehouse")).to_be_visible()
            page.reload()
            expect(page.get_by_role("button", name="Sign in with Gatehouse")).to_be_visible()
            names = [c["name"] for c in context.cookies(GATEHOUSE)]
            assert "gh_refresh" not in names and "gh_session" not in names, names

            step = "the login page at 200 % zoom"
            page.get_by_role("button", name="Sign in with Gatehouse").click()
            page.wait_for_url(f"{GATEHOUSE}/oauth/authorize*")
            zoomed = browser.new_page(viewport={"width": 500, "height": 700}, device_scale_factor=2)
            zoomed.goto(page.url)
            expect(zoomed.get_by_label("Password")).to_be_visible()
            width = zoomed.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 500, f"{step}: scrolls sideways ({width}px)"
            zoomed.screenshot(path=SHOTS / "login-200.png", full_page=True)
            assert not errors, f"console errors: {errors}"
        except Exception as error:  # a screenshot of the failing step, then fail
            page.screenshot(path=SHOTS / "failure.png", full_page=True)
            print(f"e2e: {step}: {error}", file=sys.stderr)
            raise
        finally:
            browser.close()
    print(f"e2e: the demo SPA signs in, reloads, creates and signs out; screenshots in {SHOTS}")


if __name__ == "__main__":
    main()
