//! The kinds of problem (SPEC §15). Every problem answer's `type` is
//! `{GATEHOUSE_PUBLIC_URL}/problems/<kind>`, so a client tells "slug taken" from "email
//! registered" by a stable identifier rather than by prose, and a GET of that URI is a page
//! describing the kind (RFC 9457 §3.1.1: the type URI should lead to human-readable
//! documentation). The table below is the whole catalogue: the pages, the OpenAPI
//! description of `Problem.type` and the tests read it.

macro_rules! problem_kinds {
    ($($variant:ident => $slug:literal, $status:literal, $title:literal, $about:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemKind {
            $($variant,)+
        }

        impl ProblemKind {
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)+];

            /// The last segment of the `type` URI.
            pub fn slug(self) -> &'static str {
                match self { $(ProblemKind::$variant => $slug,)+ }
            }

            /// The status every answer of this kind has.
            pub fn status(self) -> u16 {
                match self { $(ProblemKind::$variant => $status,)+ }
            }

            /// The problem's `title` (RFC 9457 §3.1.3: the same for every occurrence).
            pub fn title(self) -> &'static str {
                match self { $(ProblemKind::$variant => $title,)+ }
            }

            /// What it means and what a client should do: the kind's page.
            pub fn about(self) -> &'static str {
                match self { $(ProblemKind::$variant => $about,)+ }
            }
        }
    };
}

problem_kinds! {
    BadRequest => "bad-request", 400, "Malformed request",
        "The body, query string or path could not be read: malformed JSON or form data, a \
         value of the wrong type, an unknown enumeration value or filter. Fix the request; \
         repeating it unchanged gives the same answer.";
    TokenInvalid => "token-invalid", 400, "Link invalid or expired",
        "The one-time token of an emailed link is unknown, used already, expired, or for an \
         address the account no longer has. Ask for a new mail.";
    Validation => "validation", 422, "Invalid fields",
        "The request is well-formed but some fields break their rules (length, format, \
         password strength, unknown scope). `errors` lists each field with a message; show \
         them next to the fields. Nothing was changed.";
    AuthenticationRequired => "authentication-required", 401, "Authentication required",
        "The operation needs credentials and none were sent: an `Authorization: Bearer` \
         access token (or an `X-API-Key` where the operation allows keys).";
    InvalidCredentials => "invalid-credentials", 401, "Invalid credentials",
        "The credentials sent were rejected: malformed, forged, expired, revoked, or their \
         session or user is gone. A browser app refreshes its access token once and, if \
         that fails too, signs the user in again.";
    InsufficientScope => "insufficient-scope", 403, "Insufficient scope",
        "The credentials are valid but lack a scope the operation requires; the \
         `WWW-Authenticate` header names the required scopes (RFC 6750 §3.1). Request a \
         token with them, or ask a tenant admin for a role that grants them.";
    WrongTenant => "wrong-tenant", 403, "Credentials for another tenant",
        "The path names a tenant other than the one the token or API key is for. Switch \
         tenant (a token for it) first.";
    Escalation => "escalation", 403, "Beyond the caller's permissions",
        "The change would grant permissions the caller does not hold (a role, key or \
         invitation can never carry more than its author has).";
    OwnerOnly => "owner-only", 403, "Owners only",
        "Granting, removing or changing the `owner` role, or an owner, takes an owner.";
    NotTaskCreator => "not-task-creator", 403, "Not the task's creator",
        "With `tasks:write` alone, only the task's creator may change or delete it; \
         `projects:write` may change any task.";
    SignupClosed => "signup-closed", 403, "Sign-up closed",
        "This deployment does not allow self sign-up; accounts come from invitations.";
    KeyCannotMintKeys => "key-cannot-mint-keys", 403, "API keys cannot create API keys",
        "A key never creates keys (a leaked key could otherwise outlive its revocation \
         through keys it made). Create keys with a user's access token.";
    InvitationMismatch => "invitation-mismatch", 403, "Invitation for another account",
        "The invitation was issued to an email that belongs to another account. Sign in as \
         that account, or accept without a token to create it.";
    TenantSuspended => "tenant-suspended", 403, "Tenant suspended",
        "The tenant is suspended by the platform's operators: it gains no members and its \
         tokens are refused until it is active again.";
    IncorrectPassword => "incorrect-password", 403, "Current password incorrect",
        "The current password sent with a password change is not the account's. Repeated \
         failures lock the change out for a while.";
    NotFound => "not-found", 404, "Not found",
        "No such resource, or one that belongs to another tenant (never told apart, so the \
         answer confirms nothing).";
    MethodNotAllowed => "method-not-allowed", 405, "Method not allowed",
        "The resource exists but not with this method; the `Allow` header lists the methods \
         it has.";
    SlugTaken => "slug-taken", 409, "Slug taken",
        "Another tenant has this slug. Choose another one.";
    EmailTaken => "email-taken", 409, "Email already registered",
        "An account with this email exists. Sign in instead, or reset the password.";
    RoleNameTaken => "role-name-taken", 409, "Role name taken",
        "This tenant already has a role with this name.";
    ClientIdTaken => "client-id-taken", 409, "Client id taken",
        "An OAuth client with this `client_id` is registered already.";
    AlreadyMember => "already-member", 409, "Already a member",
        "The account is already a member of this tenant.";
    LastOwner => "last-owner", 409, "Last owner",
        "The change would leave the tenant without an active owner. Make another member an \
         owner first.";
    BuiltInRole => "built-in-role", 409, "Built-in role",
        "Built-in roles (`owner`, `admin`, `member`, `viewer`) cannot be changed or deleted; \
         create a custom role instead.";
    Conflict => "conflict", 409, "Conflict",
        "A resource with these values already exists.";
    PayloadTooLarge => "payload-too-large", 413, "Payload too large",
        "The request body is larger than the server accepts.";
    UnsupportedMediaType => "unsupported-media-type", 415, "Unsupported media type",
        "The body's `Content-Type` is not one the operation reads (`application/json`, or \
         `application/x-www-form-urlencoded` on `/oauth/*`).";
    RateLimited => "rate-limited", 429, "Too many requests",
        "A rate limit or a lockout after failed attempts. Wait the `Retry-After` seconds \
         before trying again.";
    InternalError => "internal-error", 500, "Internal error",
        "Something failed that should not have. The answer carries no detail; quote its \
         `X-Request-Id` when reporting it.";
    Unavailable => "unavailable", 503, "Service unavailable",
        "A dependency (the database, Redis, the hashing pool) cannot answer right now, so \
         the service refuses rather than guess (it fails closed). Retry after \
         `Retry-After` seconds.";
}

impl ProblemKind {
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.slug() == slug)
    }

    /// The `type` URI under `public_url` (`…/problems/<slug>`).
    pub fn uri(self, public_url: &str) -> String {
        format!(
            "{}/problems/{}",
            public_url.trim_end_matches('/'),
            self.slug()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_and_url_safe() {
        for (i, kind) in ProblemKind::ALL.iter().enumerate() {
            assert!(
                kind.slug()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{kind:?}"
            );
            assert_eq!(ProblemKind::from_slug(kind.slug()), Some(*kind));
            assert!(
                ProblemKind::ALL[i + 1..]
                    .iter()
                    .all(|other| other.slug() != kind.slug())
            );
        }
    }

    #[test]
    fn uri_joins_without_a_double_slash() {
        assert_eq!(
            ProblemKind::SlugTaken.uri("https://id.example/"),
            "https://id.example/problems/slug-taken"
        );
        assert_eq!(ProblemKind::from_slug("nope"), None);
    }
}
