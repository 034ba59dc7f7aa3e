//! The classifier against the shared development corpus, in process: the targets of the
//! issue (kind accuracy ≥ 98%, fields ≥ 95%, no critical error) must hold.

use debrief::classify::eval::{Case, evaluate};
use debrief::classify::{LabelJson, classify_message};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn load_cases(dir: &Path) -> Vec<Case> {
    let labels_path = dir.join("labels.json");
    let text = std::fs::read_to_string(&labels_path).unwrap_or_else(|err| {
        panic!("the corpus labels are missing at {}: {err}; this test needs ../shared/corpus", labels_path.display())
    });
    let labels: BTreeMap<String, LabelJson> = serde_json::from_str(&text).expect("labels.json parses");
    assert!(!labels.is_empty(), "labels.json at {} is empty", labels_path.display());
    labels
        .into_iter()
        .map(|(file, expected)| {
            let raw = std::fs::read(dir.join(&file)).unwrap_or_else(|err| panic!("reading {file}: {err}"));
            let got = classify_message(&raw).map(|c| c.classification.to_label_json()).map_err(|e| e.to_string());
            Case { file, expected, got }
        })
        .collect()
}

#[test]
fn the_corpus_meets_the_targets() {
    let dir = corpus_dir();
    assert!(dir.is_dir(), "the shared corpus is missing: expected it at {}", dir.display());
    let cases = load_cases(&dir);
    assert_eq!(cases.len(), 55, "the corpus should hold 55 labelled messages");
    let report = evaluate(&cases);
    let rendered = report.render();
    assert!(report.kind_accuracy() >= 98.0, "kind accuracy below 98%:\n{rendered}");
    assert!(report.fields_percent() >= 95.0, "field accuracy below 95%:\n{rendered}");
    assert_eq!(report.critical_count(), 0, "critical errors:\n{rendered}");
}

#[test]
fn confidence_is_high_on_clear_corpus_cases() {
    let dir = corpus_dir();
    assert!(dir.is_dir(), "the shared corpus is missing: expected it at {}", dir.display());
    for file in
        ["006-brightwater-note.eml", "009-corvid-mail.eml", "017-northgate-mail.eml", "038-brightwater-thread.eml"]
    {
        let raw = std::fs::read(dir.join(file)).expect("corpus file");
        let classified = classify_message(&raw).expect("classifies");
        assert!(classified.classification.confidence >= 0.9, "{file}: {}", classified.classification.confidence);
    }
}
