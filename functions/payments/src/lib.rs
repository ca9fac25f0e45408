pub mod events;
#[cfg(feature = "server")]
pub mod service;
pub mod signature;
