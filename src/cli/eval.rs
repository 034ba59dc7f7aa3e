//! `debrief eval DIR...`: classify every `DIR/*.eml` that `DIR/labels.json` labels and
//! print, per set, per-kind precision and recall, the confusion matrix, field accuracy,
//! the misses and a last line `kind accuracy A% (n/N), fields F% (interview I%),
//! critical C, held for review H (W wrong), wrong and not held X`; with several sets, a final `combined:`
//! line. A set is one directory, or with `--by-inbox` one candidate's mail in it (the
//! first `To:` recipient). The `--min-*`/`--max-critical` targets apply to every set
//! and turn a miss into exit code 1 (for CI).

use crate::classify::eval::{Case, DEFAULT_REVIEW_BELOW, Report, evaluate_with};
use crate::classify::{LabelJson, classify_message_for};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folders of .eml files, each with a labels.json (the schema of shared/corpus/README.md).
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Score each candidate's inbox in a folder as its own set (the first To: recipient).
    #[arg(long)]
    pub by_inbox: bool,
    /// Exit 1 when the kind accuracy (percent) of any set is below this.
    #[arg(long, value_name = "PERCENT")]
    pub min_kind_accuracy: Option<f64>,
    /// Exit 1 when the field accuracy (percent) of any set is below this.
    #[arg(long, value_name = "PERCENT")]
    pub min_fields: Option<f64>,
    /// Exit 1 when the interview field accuracy (percent) of any set is below this.
    #[arg(long, value_name = "PERCENT")]
    pub min_interview_fields: Option<f64>,
    /// Exit 1 when any set has more critical errors than this.
    #[arg(long, value_name = "COUNT")]
    pub max_critical: Option<usize>,
    /// Confidence below which a message counts as held for review (as
    /// policy.confidence_threshold).
    #[arg(long, value_name = "CONFIDENCE", default_value_t = DEFAULT_REVIEW_BELOW)]
    pub review_below: f64,
    /// The candidate's own address [default: each message's first To: recipient].
    #[arg(long, value_name = "ADDRESS")]
    pub me: Option<String>,
}

/// One scored set of messages.
struct Set {
    name: String,
    cases: Vec<Case>,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.review_below) {
        return Err(crate::cli::usage(format!(
            "--review-below {} is out of range: a confidence is between 0 and 1",
            args.review_below
        )));
    }
    let mut sets = Vec::new();
    for dir in &args.dirs {
        sets.extend(load_sets(dir, args)?);
    }
    let mut failed = Vec::new();
    let mut combined = Report::default();
    let several = sets.len() > 1;
    for set in &sets {
        let report = evaluate_with(&set.cases, args.review_below);
        if several {
            println!("== {}", set.name);
        }
        print!("{}", report.render());
        if several {
            println!();
        }
        failed.extend(missed_targets(&report, args).into_iter().map(|miss| format!("{}: {miss}", set.name)));
        combined.merge(&report);
    }
    if several {
        println!("combined: {}", combined.summary_line());
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("debrief: targets missed: {}", failed.join("; "));
        Ok(ExitCode::from(1))
    }
}

fn missed_targets(report: &Report, args: &EvalArgs) -> Vec<String> {
    let mut failed = Vec::new();
    if let Some(min) = args.min_kind_accuracy
        && report.kind_accuracy() < min
    {
        failed.push(format!("kind accuracy {:.1}% is below {min}%", report.kind_accuracy()));
    }
    if let Some(min) = args.min_fields
        && report.fields_percent() < min
    {
        failed.push(format!("field accuracy {:.1}% is below {min}%", report.fields_percent()));
    }
    if let Some(min) = args.min_interview_fields
        && report.interview_fields_percent() < min
    {
        failed.push(format!("interview field accuracy {:.1}% is below {min}%", report.interview_fields_percent()));
    }
    if let Some(max) = args.max_critical
        && report.critical_count() > max
    {
        failed.push(format!("{} critical errors, more than {max}", report.critical_count()));
    }
    failed
}

/// Reads and classifies one folder: one set, or one per inbox with `--by-inbox`.
fn load_sets(dir: &Path, args: &EvalArgs) -> anyhow::Result<Vec<Set>> {
    let labels_path = dir.join("labels.json");
    let labels_text = std::fs::read_to_string(&labels_path).with_context(|| {
        format!("Reading {} (eval needs a labels.json next to the .eml files)", labels_path.display())
    })?;
    let labels: BTreeMap<String, LabelJson> = serde_json::from_str(&labels_text)
        .with_context(|| format!("Parsing {}: expected an object of file name -> label", labels_path.display()))?;
    let mut inboxes: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut labelled = Vec::with_capacity(labels.len());
    for (file, expected) in labels {
        let path = dir.join(&file);
        let (got, inbox) = match std::fs::read(&path) {
            Ok(raw) => match classify_message_for(&raw, args.me.as_deref()) {
                Ok(classified) => {
                    let inbox = classified.envelope.to.first().map(|to| to.email.to_ascii_lowercase());
                    (Ok(classified.classification.to_label_json()), inbox)
                }
                Err(err) => (Err(err.to_string()), None),
            },
            Err(err) => (Err(format!("cannot read {}: {err}", path.display())), None),
        };
        let key = if args.by_inbox { inbox.unwrap_or_else(|| "(no recipient)".to_string()) } else { String::new() };
        if !order.contains(&key) {
            order.push(key.clone());
        }
        labelled.push(file.clone());
        inboxes.entry(key).or_default().push(Case { file, expected, got });
    }
    let unlabelled = std::fs::read_dir(dir)
        .with_context(|| format!("Listing {}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
        .filter(|entry| !labelled.iter().any(|file| entry.file_name().to_string_lossy() == file.as_str()))
        .count();
    if unlabelled > 0 {
        eprintln!("debrief: {unlabelled} .eml file(s) in {} have no label and were skipped", dir.display());
    }
    Ok(order
        .into_iter()
        .map(|key| {
            let cases = inboxes.remove(&key).unwrap_or_default();
            let name = if key.is_empty() { dir.display().to_string() } else { format!("{} [{key}]", dir.display()) };
            Set { name, cases }
        })
        .collect())
}
