//! OMBARO's location core: how far a therapist has travelled, how far they still have to go
//! and when they will arrive, whether they have arrived, and whether their signal is lost.
//! Pure functions over plain data: no I/O, no clock (`now` is always an input), no database.
//! The location service calls these between its queries; the same code is built to WASM for
//! the Supabase edge functions.
//!
//! - [`geo`]: points and great-circle (haversine) distance;
//! - [`track`]: a batch of GPS fixes folded into an assignment's track: noise filtered
//!   (inaccurate fixes, impossible jumps, jitter while standing still), distance and travel
//!   time, the arrival geofence;
//! - [`eta`]: remaining distance times a road factor over a speed estimate, with the method
//!   used named in the answer, and staleness (no fix for two minutes = signal lost);
//! - [`settings`]: the tunables, per city, with their defaults;
//! - `wasm` (feature `wasm`): JSON-in, JSON-out exports.

pub mod eta;
pub mod geo;
pub mod settings;
pub mod track;

#[cfg(feature = "wasm")]
pub mod wasm;

#[cfg(feature = "server")]
pub mod service;

pub use eta::{estimate, Eta, EtaInput, EtaMethod};
pub use geo::{distance_m, Point};
pub use settings::Settings;
pub use track::{advance, Advance, Fix, FixError, TrackPoint, TrackState, Verdict};
