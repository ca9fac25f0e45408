//! Shared plumbing for OMBARO's function services and for the `ombaro` stack.
//!
//! Everything here is written once and used everywhere: reading configuration, verifying the
//! caller's JWT, the Postgres pool and the PostgREST-style "act as the caller" transaction,
//! the JSON error type every endpoint answers with, the schema the stack applies, and the
//! local Postgres cluster. The `testing` feature adds the integration-test harness.

pub mod cache;
pub mod cluster;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod jwt;
pub mod redis_server;
pub mod schema;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::ApiError;
pub use http::{AppState, Caller};
