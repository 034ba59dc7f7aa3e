//! How long the page takes to render the queue and the pipeline with 500 drafts and 200
//! applications (issue 13: under 50 ms). Builds that database in a temporary folder,
//! serves the page in process on a loopback port, and times whole HTTP requests (render
//! and loopback transfer) from a plain client. Run it in a release build:
//!
//! ```text
//! cargo run --release --example web_bench -- [ROUNDS]
//! ```

use debrief::domain::{ApplicationState, DraftKind};
use debrief::store::{self, NewDraft, Store};
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args().nth(1).map(|r| r.parse()).transpose()?.unwrap_or(30);
    let dir = tempfile::tempdir()?;
    let database = dir.path().join("debrief.db");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[identity]\nname = \"Bench User\"\nemail = \"bench@example.net\"\ntime_zone = \"Europe/Berlin\"\n\
             [storage]\npath = {:?}\n",
            database.display().to_string()
        ),
    )?;
    fill(&database)?;

    let session = debrief::cli::common::Session::open(Some(&config))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let address = listener.local_addr()?;
    let web = Arc::new(debrief::web::Web::new(session, address, false)?);
    let cookie = web.cookie();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        runtime.block_on(debrief::web::serve(listener, web, async {
            let _ = stopped.await;
        }))
    });

    for path in ["/queue", "/pipeline"] {
        let mut times = Vec::new();
        let mut size = 0;
        for round in 0..=rounds {
            let started = Instant::now();
            let body = get(address.port(), path, &cookie)?;
            let took = started.elapsed();
            size = body.len();
            if round > 0 {
                times.push(took); // round 0 warms up
            }
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times[times.len() - 1];
        println!("{path}: median {} ms, worst {} ms over {rounds} requests ({size} bytes)", ms(median), ms(worst));
    }
    let _ = stop.send(());
    server.join().map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    Ok(())
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// 200 applications in every state, 500 drafts (2 or 3 each), pending and approved.
fn fill(database: &std::path::Path) -> anyhow::Result<()> {
    let mut store = Store::open(database)?;
    let tx = store.transaction()?;
    let now: jiff::Timestamp = "2026-12-01T09:00:00Z".parse()?;
    let states = ApplicationState::ALL;
    let mut drafts = 0;
    for index in 0..200 {
        let company = format!("Company {index}");
        let domain = format!("company{index}.example");
        let id = store::insert_application(
            &tx,
            &company,
            "Backend Engineer",
            Some(&domain),
            states[index % states.len()],
            now,
        )?;
        let count = if index < 100 { 3 } else { 2 };
        for number in 0..count {
            drafts += 1;
            let draft = NewDraft {
                application_id: id,
                kind: if number == 0 { DraftKind::ThankYou } else { DraftKind::FollowUp },
                round_id: None,
                person_id: None,
                series: 1,
                number,
                reply_to_message: None,
                to: vec![format!("person{number}@{domain}")],
                subject: format!("Thank you, {company}"),
                body: "Hello,\n\nThank you for the conversation about the role.\n\nBest,\nBench\n".repeat(3),
                message_id: format!("bench.{drafts}@example.net"),
                in_reply_to: None,
                references: Vec::new(),
                send_at: now + jiff::SignedDuration::from_mins(drafts),
                deadline: None,
                needs_topic: false,
            };
            store::insert_draft(&tx, &draft, now)?;
        }
    }
    tx.commit()?;
    anyhow::ensure!(drafts == 500, "{drafts} drafts");
    Ok(())
}

fn get(port: u16, path: &str, cookie: &str) -> anyhow::Result<Vec<u8>> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    anyhow::ensure!(
        response.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&response[..80.min(response.len())])
    );
    Ok(response)
}
