//! Addresses that refused mail for good, as a delivery report in the inbox said (issue 12;
//! migration 007). The planner reads them; ingest writes them.

use super::{ts_from_sql, ts_to_sql};
use crate::domain::MessageId;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

/// A refusal: which address, the status code and the server's words, the bounce's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedAddress {
    pub address: String,
    /// The enhanced status code, "5.1.1".
    pub status: String,
    pub diagnostic: Option<String>,
    pub message: MessageId,
    pub refused_at: Timestamp,
}

/// Records (or replaces with the newer report) that `address` refused mail for good.
pub fn record_refused_address(
    conn: &Connection,
    address: &str,
    status: &str,
    diagnostic: Option<&str>,
    message: MessageId,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO refused_addresses (address, status, diagnostic, message_id, refused_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (address) DO UPDATE SET status = excluded.status, diagnostic = excluded.diagnostic,
             message_id = excluded.message_id, refused_at = excluded.refused_at",
    )?
    .execute(params![address, status, diagnostic, message.0, ts_to_sql(now)])?;
    Ok(())
}

/// The refusal recorded for `address` (any case), if there is one.
pub fn refused_address(conn: &Connection, address: &str) -> rusqlite::Result<Option<RefusedAddress>> {
    conn.prepare_cached(
        "SELECT address, status, diagnostic, message_id, refused_at FROM refused_addresses WHERE address = ?1",
    )?
    .query_row([address], |row| {
        Ok(RefusedAddress {
            address: row.get(0)?,
            status: row.get(1)?,
            diagnostic: row.get(2)?,
            message: MessageId(row.get(3)?),
            refused_at: ts_from_sql(&row.get::<_, String>(4)?)?,
        })
    })
    .optional()
}
