//! PLACEHOLDER with the agreed signature; replaced by the `outbox` branch at merge.
use crate::config::Config;
use crate::mail::imap::ImapSession;
use crate::mail::smtp::SmtpSender;
use crate::store::Store;
use jiff::Timestamp;
use rusqlite::Connection;

pub struct Outbox<'a> {
    pub config: &'a Config,
}
#[derive(Debug, Default)]
pub struct OutboxReport {
    pub sent: usize,
}
#[derive(Debug, Default)]
pub struct RecoverReport {}
impl Outbox<'_> {
    pub async fn send_due<F>(
        &self,
        _store: &mut Store,
        _smtp: &SmtpSender,
        _imap: Option<&mut ImapSession>,
        _refresh_inbox: F,
        _now: Timestamp,
    ) -> anyhow::Result<OutboxReport>
    where
        F: AsyncFnMut(&mut Store) -> anyhow::Result<()>,
    {
        unimplemented!()
    }
    pub async fn recover(
        &self,
        _store: &mut Store,
        _imap: Option<&mut ImapSession>,
        _now: Timestamp,
    ) -> anyhow::Result<RecoverReport> {
        unimplemented!()
    }
}
pub fn next_due(_conn: &Connection) -> anyhow::Result<Option<Timestamp>> {
    unimplemented!()
}
