// The demo SPA of README "Sign in from a browser app": the OAuth 2.0 for Browser-Based
// Apps pattern against Gatehouse. The access token is held in this closure only (never in
// localStorage or sessionStorage); the refresh token is the HttpOnly `gh_refresh` cookie
// that Gatehouse sets and reads on /oauth/* for this client's origin. The PKCE verifier
// and `state` wait in sessionStorage across the one redirect and are deleted on return.
"use strict";

const GATEHOUSE = window.GATEHOUSE_URL;
const CLIENT_ID = "demo-spa";
const REDIRECT_URI = `${location.origin}/callback`;

let accessToken = null; // in memory only
let tenantId = null;

const $ = (id) => document.getElementById(id);

function show(state, message) {
  $("status").textContent = message;
  $("signed-out").hidden = state !== "out";
  $("signed-in").hidden = state !== "in";
  $("logout").hidden = state !== "in";
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function signIn() {
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state }));
  const url = new URL("/oauth/authorize", GATEHOUSE);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: "openid profile tenant:read projects:read projects:write",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(url);
}

// POST a form to /oauth/*, with the cookie (credentials) and this page's Origin.
async function oauth(path, fields) {
  const response = await fetch(new URL(path, GATEHOUSE), {
    method: "POST",
    credentials: "include",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  const body = response.status === 200 && path === "/oauth/token" ? await response.json() : null;
  return { ok: response.ok, body };
}

function accept(tokens) {
  accessToken = tokens.access_token;
  const claims = JSON.parse(atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  tenantId = claims.tid ?? null;
}

async function finishRedirect() {
  const params = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem("pkce") ?? "null");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", "/");
  if (params.get("error")) throw new Error(`sign-in refused: ${params.get("error_description") ?? params.get("error")}`);
  if (!saved || params.get("state") !== saved.state) throw new Error("the sign-in response does not match this browser's request");
  if (params.get("iss") !== new URL(GATEHOUSE).origin) throw new Error("the response comes from another issuer (RFC 9207)");
  const { ok, body } = await oauth("/oauth/token", {
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
    code_verifier: saved.verifier,
  });
  if (!ok) throw new Error("the code exchange failed");
  accept(body);
}

// A reload: the access token is gone with the page, the cookie is not.
async function refresh() {
  const { ok, body } = await oauth("/oauth/token", { grant_type: "refresh_token", client_id: CLIENT_ID });
  if (ok) accept(body);
  return ok;
}

async function api(path, init = {}) {
  let response = await call(path, init);
  if (response.status === 401 && (await refresh())) response = await call(path, init);
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

function call(path, init) {
  return fetch(new URL(path, GATEHOUSE), {
    ...init,
    headers: { ...(init.headers ?? {}), Authorization: `Bearer ${accessToken}` },
  });
}

async function render() {
  const me = await api("/api/v1/me");
  $("who").textContent = me.email;
  const page = await api(`/api/v1/tenants/${tenantId}/projects`);
  const list = $("projects");
  list.replaceChildren(...page.items.map((project) => {
    const item = document.createElement("li");
    item.textContent = project.name;
    return item;
  }));
  show("in", `Signed in${me.tenant ? ` to ${me.tenant.name}` : ""}.`);
}

async function signOut() {
  await oauth("/oauth/revoke", { client_id: CLIENT_ID }); // ends the session, clears the cookie
  accessToken = null;
  const url = new URL("/oauth/logout", GATEHOUSE);
  url.search = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: `${location.origin}/` });
  location.assign(url); // ends the sign-in session at Gatehouse too
}

$("login").addEventListener("click", () => signIn().catch((e) => showError(e.message)));
$("logout").addEventListener("click", () => signOut().catch((e) => showError(e.message)));
$("new-project").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("project-name");
  try {
    await api(`/api/v1/tenants/${tenantId}/projects`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: input.value }),
    });
    input.value = "";
    await render();
  } catch (e) {
    showError(e.message);
  }
});

(async () => {
  try {
    if (location.pathname === "/callback") await finishRedirect();
    else if (!(await refresh())) return show("out", "Signed out.");
    await render();
  } catch (e) {
    show("out", "Signed out.");
    showError(e.message);
  }
})();
