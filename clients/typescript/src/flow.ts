// The example flow of SPEC §15, run by CI against a live server (GATEHOUSE_URL):
// sign up → password grant → refresh → create a project → list projects → a 422's field
// errors → a 409 slug-taken. Every type below comes from the generated schema; any
// unexpected answer throws, so the process exits non-zero.
import { randomBytes } from "node:crypto";
import {
  bearer,
  createGatehouseClient,
  FORM_CONTENT_TYPE,
  formBody,
  problemKind,
  type Problem,
} from "./client.js";

function fail(step: string, response: Response, body: unknown): never {
  throw new Error(`${step}: unexpected HTTP ${response.status}: ${JSON.stringify(body)}`);
}

function check(step: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${step}: ${detail}`);
}

const baseUrl = process.env["GATEHOUSE_URL"];
if (baseUrl === undefined || baseUrl === "") {
  throw new Error("GATEHOUSE_URL is not set (run me through scripts/live)");
}

const gh = createGatehouseClient(baseUrl);
const suffix = randomBytes(4).toString("hex");
const slug = `ts-flow-${suffix}`;
const email = `ts-flow-${suffix}@example.com`;
const password = "correct horse battery staple 42";

// 1. Sign up: a user and the tenant they own.
const signup = await gh.POST("/api/v1/signup", {
  body: {
    email,
    password,
    display_name: "TypeScript Flow",
    tenant: { name: `TS Flow ${suffix}`, slug },
  },
});
if (signup.error) fail("sign up", signup.response, signup.error);
const { user, tenant } = signup.data;
check("sign up", signup.response.status === 201, `status ${signup.response.status}, expected 201`);
check("sign up", tenant.slug === slug, `tenant slug ${tenant.slug}, expected ${slug}`);

// 2. Password grant for the new tenant (form-encoded, RFC 6749 §4.3.2).
const login = await gh.POST("/oauth/token", {
  body: { grant_type: "password", username: email, password, tenant: slug },
  bodySerializer: formBody,
  headers: FORM_CONTENT_TYPE,
});
if (login.error) fail("password grant", login.response, login.error);
check("password grant", login.data.token_type.toLowerCase() === "bearer", `token_type ${login.data.token_type}`);
check("password grant", login.data.scope.split(" ").includes("projects:write"), `scope "${login.data.scope}" lacks projects:write`);

// 3. Refresh: the presented token is spent, a new pair comes back. (The body carries the
// refresh token for this client; a `refresh_delivery=cookie` client gets a cookie instead.)
const refreshToken = login.data.refresh_token;
if (refreshToken === undefined) fail("password grant", login.response, "no refresh_token in the body");
const refresh = await gh.POST("/oauth/token", {
  body: { grant_type: "refresh_token", refresh_token: refreshToken },
  bodySerializer: formBody,
  headers: FORM_CONTENT_TYPE,
});
if (refresh.error) fail("refresh", refresh.response, refresh.error);
check("refresh", refresh.data.refresh_token !== login.data.refresh_token, "the refresh token did not rotate");
const auth = bearer(refresh.data.access_token);
const tenantPath = { path: { tenant_id: tenant.id } };

// 4. Create a project.
const created = await gh.POST("/api/v1/tenants/{tenant_id}/projects", {
  params: tenantPath,
  headers: auth,
  body: { name: "Website relaunch", description: "created by the TypeScript flow" },
});
if (created.error) fail("create project", created.response, created.error);
const project = created.data;
check("create project", created.response.status === 201, `status ${created.response.status}, expected 201`);
check("create project", project.created_by === user.id, `created_by ${project.created_by}, expected ${user.id}`);

// 5. List projects: the new one is there.
const listed = await gh.GET("/api/v1/tenants/{tenant_id}/projects", {
  params: { ...tenantPath, query: { limit: 100 } },
  headers: auth,
});
if (listed.error) fail("list projects", listed.response, listed.error);
const found = listed.data.items.find((p) => p.id === project.id);
check("list projects", found !== undefined, `project ${project.id} is not in the list`);

// 6. An empty name: a 422 validation problem whose `errors` names `name`.
const invalid = await gh.POST("/api/v1/tenants/{tenant_id}/projects", {
  params: tenantPath,
  headers: auth,
  body: { name: "" },
});
if (invalid.data) fail("invalid project", invalid.response, invalid.data);
const validation: Problem = invalid.error;
check("invalid project", invalid.response.status === 422, `status ${invalid.response.status}, expected 422`);
check("invalid project", problemKind(validation) === "validation", `problem kind ${problemKind(validation)}`);
const fieldErrors = validation.errors ?? [];
const nameError = fieldErrors.find((e) => e.field === "name");
if (nameError === undefined) fail("invalid project: no field error for `name`", invalid.response, validation);

// 7. Sign up again with the same slug: a 409 slug-taken problem.
const again = await gh.POST("/api/v1/signup", {
  body: {
    email: `ts-flow-${suffix}-2@example.com`,
    password,
    display_name: "TypeScript Flow 2",
    tenant: { name: `TS Flow ${suffix} again`, slug },
  },
});
if (again.data) fail("second sign-up", again.response, again.data);
check("second sign-up", again.response.status === 409, `status ${again.response.status}, expected 409`);
check("second sign-up", problemKind(again.error) === "slug-taken", `problem kind ${problemKind(again.error)}`);

console.log(
  [
    `signed up      ${user.email} → tenant ${tenant.slug} (${tenant.id})`,
    `password grant ${login.data.token_type}, expires in ${login.data.expires_in}s`,
    `refreshed      the refresh token rotated`,
    `created        project ${project.id} "${project.name}"`,
    `listed         ${listed.data.items.length} project(s), the new one among them`,
    `422            ${problemKind(validation)}: ${nameError.field} ${nameError.message}`,
    `409            ${problemKind(again.error)}: ${again.error.detail}`,
    "flow: ok",
  ].join("\n"),
);
