//! debrief: a daemon that runs a job seeker's post-interview follow-up.
//!
//! The crate is split into a functional core and an imperative shell (see
//! `ARCHITECTURE.md`):
//!
//! - core, no I/O and no clock: [`domain`] (states, the rules of the process, send
//!   windows, threading) and [`classify`] (reading a raw message into facts);
//! - shell: [`config`], [`store`], [`templates`], [`planner`] (loads, asks the core,
//!   applies), [`mail`], [`outbox`] (sends approved drafts, once), [`cli`], [`web`] (the
//!   approval page) and [`clock`], the one module that reads the time.

pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod domain;
pub mod ingest;
pub mod logging;
pub mod mail;
pub mod outbox;
pub mod planner;
pub mod quarantine;
pub mod sources;
pub mod store;
pub mod templates;
pub mod watcher;
pub mod web;
