//! The functional core: what an application is, the rules of the process, send
//! windows and threading. No I/O, no clock: every function takes `now`.

pub mod policy;
