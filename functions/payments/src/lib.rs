pub mod events;
pub mod signature;
#[cfg(feature = "server")]
pub mod service;
