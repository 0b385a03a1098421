//! Navigation: where a client starts (`/v0/index`) and the connectivity check (`/v0/ping`).

pub mod handlers;
pub mod view;
