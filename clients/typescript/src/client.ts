// The typed Gatehouse client: openapi-fetch over the types that openapi-typescript
// generates from openapi/openapi.json (src/schema.d.ts; `npm run generate` rewrites it).
// Nothing here restates a schema: every request and response type comes from `paths`.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type GatehouseClient = Client<paths>;

/** A client for the Gatehouse at `baseUrl` (e.g. `http://127.0.0.1:8080`). */
export function createGatehouseClient(baseUrl: string): GatehouseClient {
  return createClient<paths>({ baseUrl });
}

/** A form body's fields: what `formBody` knows how to encode. */
export type FormFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * openapi-fetch `bodySerializer` for `application/x-www-form-urlencoded` operations
 * (`POST /oauth/token`, `POST /oauth/revoke`): the typed body as URLSearchParams, fields
 * that are `undefined` (absent optional fields) left out.
 */
export function formBody(fields: FormFields): URLSearchParams {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) form.append(name, String(value));
  }
  return form;
}

/** The header that goes with `formBody` (openapi-fetch would otherwise say JSON). */
export const FORM_CONTENT_TYPE: Readonly<{ "Content-Type": string }> = {
  "Content-Type": "application/x-www-form-urlencoded",
};

/** `Authorization` for an access token from `/oauth/token` (or a tenant API key). */
export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/**
 * A problem's kind: the last path segment of its `type`
 * (`{GATEHOUSE_PUBLIC_URL}/problems/slug-taken` → `slug-taken`).
 */
export function problemKind(problem: Pick<Problem, "type">): string {
  const type = problem.type.replace(/\/+$/, "");
  return type.slice(type.lastIndexOf("/") + 1);
}
