//! pilah: e-mail triage for the DJPK Contact Center.
//!
//! The modules follow the path a message takes:
//! [`config`] → [`source`] (IMAP) → [`parse`] → [`classify`] (rules) → [`act`] (route,
//! acknowledge, file) → [`store`] (SQLite) → [`report`]. [`pipeline`] wires them together
//! for one mailbox; [`daemon`] runs the pipelines and the outbox; [`cli`] is the command line.
//!
//! Each module's own paragraph says what it owns and what it must not do.

pub mod act;
pub mod alerts;
pub mod backoff;
pub mod classify;
pub mod cli;
pub mod config;
pub mod correct;
pub mod daemon;
pub mod guard;
pub mod health;
pub mod hex;
pub mod hours;
pub mod location;
pub mod memory;
pub mod metrics;
pub mod oauth2;
pub mod parse;
pub mod pipeline;
pub mod private;
pub mod region;
pub mod report;
pub mod source;
pub mod spam;
pub mod store;
pub mod ticket;
pub mod tls;
pub mod trust;
pub mod types;
