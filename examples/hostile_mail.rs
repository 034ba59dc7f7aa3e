//! Writes hostile mail (see `tests/support/hostile.rs`) to disk, to reproduce issue 9's
//! poison mail by hand and measure what it costs:
//!
//! ```text
//! cargo run --example hostile_mail -- maildir DIR [COUNT] [SEED]   # a Maildir of hostile messages
//! cargo run --example hostile_mail -- poison FILE BYTES [qp|base64] [DISGUISE]
//!                                   # one encoded message/rfc822 chain, maybe disguised
//! /usr/bin/time -f '%M KiB' target/debug/debrief classify FILE      # the parser's peak memory on it
//! ```

#[path = "../tests/support/hostile.rs"]
mod hostile;

use anyhow::Context as _;
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("maildir") => {
            let dir = PathBuf::from(args.get(1).context("maildir DIR [COUNT] [SEED]")?);
            let count = args.get(2).map(|count| count.parse()).transpose()?.unwrap_or(300);
            let seed = args.get(3).map(|seed| seed.parse()).transpose()?.unwrap_or(9);
            for sub in ["new", "cur", "tmp"] {
                std::fs::create_dir_all(dir.join(sub))?;
            }
            for (index, message) in hostile::generate(seed, count).into_iter().enumerate() {
                let name = format!("{}.M{index}P1.{}", 1_764_000_000 + index, message.name);
                std::fs::write(dir.join("new").join(name), message.raw)?;
            }
            println!("Wrote {count} hostile messages to {}/new.", dir.display());
        }
        Some("poison") => {
            let usage = "poison FILE BYTES [qp|base64] [DISGUISE]";
            let file = PathBuf::from(args.get(1).context(usage)?);
            let bytes: usize = args.get(2).context(usage)?.parse()?;
            let base64 = args.get(3).is_none_or(|encoding| encoding != "qp");
            let raw = match args.get(4) {
                None => hostile::poison_message(bytes, base64),
                Some(disguise) if hostile::DISGUISES.contains(&disguise.as_str()) => {
                    hostile::disguised_poison_message(bytes, base64, disguise)
                }
                Some(other) => anyhow::bail!("no disguise {other:?}; the disguises are {:?}", hostile::DISGUISES),
            };
            std::fs::write(&file, &raw)?;
            println!("Wrote {} bytes to {}.", raw.len(), file.display());
        }
        _ => anyhow::bail!(
            "usage: hostile_mail maildir DIR [COUNT] [SEED] | hostile_mail poison FILE BYTES [qp|base64] [DISGUISE]"
        ),
    }
    Ok(())
}
