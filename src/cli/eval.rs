//! `debrief eval DIR`: classify every `DIR/*.eml` that `DIR/labels.json` labels and
//! print per-kind precision and recall, the confusion matrix, field accuracy and the
//! misses; the last line is `kind accuracy A% (n/N), fields F%, critical C`. The
//! `--min-*`/`--max-critical` targets turn a miss into exit code 1 (for CI).

use crate::classify::eval::{Case, evaluate};
use crate::classify::{LabelJson, classify_message_for};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// A folder of .eml files with a labels.json (the schema of shared/corpus/README.md).
    pub dir: PathBuf,
    /// Exit 1 when the kind accuracy (percent) is below this.
    #[arg(long, value_name = "PERCENT")]
    pub min_kind_accuracy: Option<f64>,
    /// Exit 1 when the field accuracy (percent) is below this.
    #[arg(long, value_name = "PERCENT")]
    pub min_fields: Option<f64>,
    /// Exit 1 when there are more critical errors than this.
    #[arg(long, value_name = "COUNT")]
    pub max_critical: Option<usize>,
    /// The candidate's own address [default: each message's first To: recipient].
    #[arg(long, value_name = "ADDRESS")]
    pub me: Option<String>,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let labels_path = args.dir.join("labels.json");
    let labels_text = std::fs::read_to_string(&labels_path).with_context(|| {
        format!("Reading {} (eval needs a labels.json next to the .eml files)", labels_path.display())
    })?;
    let labels: BTreeMap<String, LabelJson> = serde_json::from_str(&labels_text)
        .with_context(|| format!("Parsing {}: expected an object of file name -> label", labels_path.display()))?;
    let mut cases = Vec::with_capacity(labels.len());
    for (file, expected) in labels {
        let path = args.dir.join(&file);
        let got = match std::fs::read(&path) {
            Ok(raw) => classify_message_for(&raw, args.me.as_deref())
                .map(|classified| classified.classification.to_label_json())
                .map_err(|err| err.to_string()),
            Err(err) => Err(format!("cannot read {}: {err}", path.display())),
        };
        cases.push(Case { file, expected, got });
    }
    let unlabelled = std::fs::read_dir(&args.dir)
        .with_context(|| format!("Listing {}", args.dir.display()))?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
        .filter(|entry| !cases.iter().any(|case| entry.file_name().to_string_lossy() == case.file.as_str()))
        .count();
    if unlabelled > 0 {
        eprintln!("debrief: {unlabelled} .eml file(s) in {} have no label and were skipped", args.dir.display());
    }
    let report = evaluate(&cases);
    print!("{}", report.render());
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
    if let Some(max) = args.max_critical
        && report.critical_count() > max
    {
        failed.push(format!("{} critical errors, more than {max}", report.critical_count()));
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("debrief: targets missed: {}", failed.join("; "));
        Ok(ExitCode::from(1))
    }
}
