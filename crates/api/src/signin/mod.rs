//! Browser sign-in (SPEC §11): the hosted login page's state, cookies, pages and the steps
//! from a proven user to an authorization code. The endpoints are
//! `handlers::authorize` (`GET /oauth/authorize`) and `handlers::login` (the forms).

pub mod cookies;
pub mod flow;
pub mod page_error;
pub mod pages;
pub mod pending;
pub mod session;
