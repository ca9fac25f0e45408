//! The `ombaro` stack: everything that runs OMBARO on one machine without Docker. The binary
//! in `main.rs` is a thin command-line layer over these modules.

pub mod analytics;
pub mod bench;
pub mod demo;
pub mod notify;
pub mod pay;
pub mod schema_docs;
pub mod server;
pub mod stack;
pub mod supabase;
