//! `debrief classify [FILE|-]`: classify one message offline, with no config and no
//! database. `--json` prints the label keys of `shared/corpus/README.md` plus
//! `confidence`; `--explain` adds the features and rules that decided.

use crate::classify::{ClassifiedMessage, classify_message_for};
use anyhow::Context;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// The message: a file, or - (the default) for standard input.
    pub file: Option<PathBuf>,
    /// Print why: the features and rules that decided the kind and the fields.
    #[arg(long)]
    pub explain: bool,
    /// The candidate's own address, so that they are never taken for an interviewer
    /// [default: the first To: recipient].
    #[arg(long, value_name = "ADDRESS")]
    pub me: Option<String>,
}

pub fn run(args: &ClassifyArgs, json: bool) -> anyhow::Result<ExitCode> {
    let raw = read_input(args.file.as_ref())?;
    let classified = classify_message_for(&raw, args.me.as_deref())
        .with_context(|| format!("Classifying {}", describe(args.file.as_ref())))?;
    if json {
        // Keys in the label order of shared/corpus/README.md, then `reasons` with --explain.
        #[derive(serde::Serialize)]
        struct Explained<'a> {
            #[serde(flatten)]
            label: crate::classify::LabelJson,
            #[serde(skip_serializing_if = "Option::is_none")]
            reasons: Option<&'a [String]>,
        }
        let explained = Explained {
            label: classified.classification.to_label_json(),
            reasons: args.explain.then_some(classified.classification.reasons.as_slice()),
        };
        println!("{}", serde_json::to_string_pretty(&explained)?);
    } else {
        print!("{}", summary(&classified, args.explain));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(file: Option<&PathBuf>) -> String {
    match file {
        Some(path) if path.as_os_str() != "-" => path.display().to_string(),
        _ => "standard input".to_string(),
    }
}

fn read_input(file: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    match file {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::read(path).with_context(|| format!("Reading the message {}", path.display()))
        }
        _ => {
            let mut raw = Vec::new();
            std::io::stdin().read_to_end(&mut raw).context("Reading the message from standard input")?;
            Ok(raw)
        }
    }
}

/// A readable summary of one classified message.
pub fn summary(classified: &ClassifiedMessage, explain: bool) -> String {
    let c = &classified.classification;
    let envelope = &classified.envelope;
    let mut out = String::new();
    let line = |out: &mut String, label: &str, value: &str| out.push_str(&format!("{label:<13}{value}\n"));
    if let Some(from) = &envelope.from {
        let name = from.name.as_deref().map(|n| format!("{n} ")).unwrap_or_default();
        line(&mut out, "from", &format!("{name}<{}>", from.email));
    }
    if let Some(subject) = &envelope.subject {
        line(&mut out, "subject", subject);
    }
    if let Some(date) = envelope.date {
        line(&mut out, "date", &date.to_string());
    }
    line(&mut out, "kind", &format!("{} (confidence {:.2})", c.kind, c.confidence));
    line(&mut out, "company", c.company.as_deref().unwrap_or("-"));
    line(&mut out, "role", c.role.as_deref().unwrap_or("-"));
    if let Some(interview) = &c.interview {
        let end = interview.end.map(|e| format!(" - {e}")).unwrap_or_default();
        line(&mut out, "interview", &format!("{}{end}", interview.start));
        if let Some(zone) = &interview.time_zone {
            line(&mut out, "time zone", zone);
        }
        if let Some(location) = &interview.location {
            line(&mut out, "location", location);
        }
        for person in &interview.interviewers {
            let name = person.name.as_deref().unwrap_or("?");
            let email = person.email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default();
            line(&mut out, "interviewer", &format!("{name}{email}"));
        }
    }
    if let Some(date) = c.reply_after {
        line(&mut out, "reply after", &date.to_string());
    } else if c.kind == crate::classify::MessageKind::Timeline {
        line(&mut out, "reply after", "wait for further notice");
    }
    if let Some(date) = c.return_date {
        line(&mut out, "back on", &date.to_string());
    }
    if envelope.is_automated {
        line(&mut out, "automated", "yes");
    }
    if explain {
        out.push_str("why:\n");
        for reason in &c.reasons {
            out.push_str(&format!("  - {reason}\n"));
        }
    }
    out
}
