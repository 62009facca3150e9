//! Gatehouse's credentials: password hashing, access tokens and their keys, refresh
//! sessions and revocation lists in Redis. Knows nothing of HTTP or of the database.

pub mod api_key;
pub mod authorization_code;
pub mod error;
pub mod id_token;
pub mod invitation;
pub mod keys;
pub mod login_state;
pub mod password;
pub mod pkce;
pub mod random;
pub mod rate_limit;
pub mod redis_store;
pub mod revocation;
pub mod sealed;
pub mod sessions;
pub mod token;
pub mod verified_tokens;

pub use error::AuthError;
pub use redis_store::RedisStore;
