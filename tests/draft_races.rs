//! Races on a draft between `debrief edit` and everything else that changes drafts
//! (issue 9, part 2): the real binary, a real SQLite file, and an `$EDITOR` that changes
//! the draft through another `debrief` command while the user is "editing", which makes
//! the race happen every time. The edit must not undo that change; the user is told in
//! one line, and their text is kept in a file beside the database.

#[path = "support/rig.rs"]
mod rig;

#[path = "support/home.rs"]
mod home;
use home::{BINARY, Home, faketime};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

const EDITED: &str =
    "To: dana@clockwork.example\nSubject: Thank you, Dana\n\nMy own careful words about the pipeline.\n";

impl Home {
    fn new() -> Home {
        Home::open_all_week("").without_env(&["VISUAL"])
    }

    /// A home over the rig's IMAP and SMTP (`rig_config`), its database here.
    fn with_rig(rig_config: &rig::RigConfig) -> Home {
        let text = std::fs::read_to_string(&rig_config.path).unwrap();
        Home::open_all_week_with_config(&text).with_maildir("maildir").without_env(&["VISUAL"])
    }

    /// The interview with Dana, and its thank-you note (draft 1).
    fn interviewed(&self) {
        self.interview(&["Dana Reyes <dana@clockwork.example>"]);
    }

    /// `debrief edit ID` at `at` with `script` as the editor (`$1` is the file).
    fn edit_with(&self, at: &str, id: i64, script: &str) -> Output {
        let editor = self.path("editor.sh");
        std::fs::write(&editor, format!("#!/bin/sh\nset -e\n{script}\n")).unwrap();
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
        self.command(Some(at), &["edit", &id.to_string()]).env("EDITOR", &editor).output().unwrap()
    }
}

/// The one line of an error, and the file it says the text was kept in.
fn kept_file(output: &Output) -> (String, PathBuf) {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    let path = stderr.trim_end().rsplit_once("your text is kept in ").expect("the path of the kept text").1;
    (stderr.clone(), PathBuf::from(path))
}

fn assert_kept(path: &Path, home: &Home) {
    assert_eq!(std::fs::read_to_string(path).unwrap(), EDITED, "the user's text, as written");
    assert_eq!(path.parent().unwrap(), home.path("data"), "beside the database");
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "it is mail: private");
}

#[test]
fn a_draft_rejected_while_it_is_edited_stays_rejected_and_the_text_is_kept() {
    let home = Home::new();
    home.interviewed();
    let script = format!("printf '%s' '{EDITED}' > \"$1\"\n\"{BINARY}\" reject 1 >/dev/null 2>&1");
    let output = home.edit_with("2026-12-07 18:00:00", 1, &script);

    assert_eq!(output.status.code(), Some(1), "a lost race is a runtime failure");
    let (line, path) = kept_file(&output);
    assert!(line.contains("draft 1 was changed while you were editing it (it is rejected now)"), "{line}");
    assert!(!line.contains("panicked"), "{line}");
    assert_kept(&path, &home);
    let draft = home.show(1);
    assert_eq!(draft["status"], "rejected", "the edit did not revive it: {draft}");
    assert!(!draft["body"].as_str().unwrap().contains("My own careful words"), "{draft}");
}

#[test]
fn a_follow_up_cancelled_by_the_employers_reply_while_it_is_edited_is_not_revived() {
    let home = Home::new();
    home.interviewed();
    home.ok("2026-12-07 17:00:00", &["reject", "1"]);
    // Every note rejected: follow up anyway (issue 12 asks for the user's word).
    home.ok("2026-12-07 17:00:00", &["mark", "1", "following_up"]);
    // A week after the interview the first follow-up is drafted (draft 2).
    home.ok("2026-12-13 17:00:00", &["sync"]);
    let follow_up = home.show(2);
    assert_eq!((follow_up["kind"].as_str(), follow_up["status"].as_str()), (Some("follow_up"), Some("pending")));
    let message_id = follow_up["message_id"].as_str().unwrap();
    let reply = format!(
        "From: Dana Reyes <dana@clockwork.example>\nTo: Casey Candidate <casey@clock.test>\n\
         Subject: Re: {subject}\nDate: Sun, 13 Dec 2026 17:50:00 +0000\n\
         Message-ID: <dana-answer-1@clockwork.example>\nIn-Reply-To: {message_id}\nReferences: {message_id}\n\n\
         Hi Casey,\n\nThanks for checking in. The team is still meeting people; I will write again once we have decided.\n\nDana\n",
        subject = follow_up["subject"].as_str().unwrap(),
    );
    std::fs::write(home.path("reply.eml"), reply).unwrap();
    // While the user edits, the reply arrives and a sync applies it.
    let script = format!(
        "printf '%s' '{EDITED}' > \"$1\"\n\
         cp '{reply}' '{maildir}/new/1765648200.M1P1.clockwork'\n\
         {clock} \"{BINARY}\" sync >/dev/null 2>&1",
        reply = home.path("reply.eml").display(),
        maildir = home.path("maildir").display(),
        clock = faketime::shell_prefix("2026-12-13 17:55:00"),
    );
    let output = home.edit_with("2026-12-13 17:30:00", 2, &script);

    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let (line, path) = kept_file(&output);
    assert!(line.contains("draft 2 was changed while you were editing it (it is cancelled now)"), "{line}");
    assert_kept(&path, &home);
    assert_eq!(home.show(2)["status"], "cancelled", "no follow-up after they answered");
}

#[test]
fn an_edit_that_cannot_be_saved_is_refused_and_kept() {
    let home = Home::new();
    home.interviewed();
    let bad = "To: dana@clockwork.example\nBcc: someone@elsewhere.example\nSubject: Hi\n\nWords.\n";
    let output = home.edit_with("2026-12-07 18:00:00", 1, &format!("printf '%s' '{bad}' > \"$1\""));
    assert_eq!(output.status.code(), Some(2), "a refused edit is a usage error");
    let (line, path) = kept_file(&output);
    assert!(line.contains("only To and Subject can be edited"), "{line}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), bad, "nothing lost on bad input");
    assert_eq!(home.show(1)["status"], "pending");
}

#[test]
fn an_edit_with_nothing_in_the_way_is_saved() {
    let home = Home::new();
    home.interviewed();
    let output = home.edit_with("2026-12-07 18:00:00", 1, &format!("printf '%s' '{EDITED}' > \"$1\""));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let draft = home.show(1);
    assert_eq!(draft["body"], "My own careful words about the pipeline.\n");
    assert_eq!(draft["subject"], "Thank you, Dana");
    assert!(
        std::fs::read_dir(home.path("data"))
            .unwrap()
            .all(|entry| { !entry.unwrap().file_name().to_string_lossy().starts_with("draft-") })
    );
}

/// The worst case: a thank-you approved, opened in the editor, sent by a sync
/// meanwhile; saving used to make it pending again, and approving it again sent it a
/// second time with the same Message-ID. Now the edit is refused, and the draft stays
/// sent: it reaches the SMTP server once.
#[test]
fn a_draft_sent_while_it_is_edited_is_not_revived_and_never_sent_twice() {
    let rig = rig::Rig::start();
    let _turn = rig.shared_blocking();
    let me = "edit-race@rig.test";
    let rig_config = rig.config_for(me).build();
    let home = Home::with_rig(&rig_config);
    home.ok(
        "2026-01-05 10:00:00",
        &[
            "add",
            "--company",
            "Acme",
            "--role",
            "Engineer",
            "--start",
            "2026-01-05T15:00:00Z",
            "--interviewer",
            "Edna Racer <edna-race@acme.example>",
        ],
    );
    home.ok("2026-01-05 17:00:00", &["sync"]);
    let output = home.command(None, &["approve", "1"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let message_id = home.show(1)["message_id"].as_str().unwrap().to_owned();
    let edited = EDITED.replace("dana@clockwork.example", "edna-race@acme.example");
    let script = format!("printf '%s' '{edited}' > \"$1\"\n\"{BINARY}\" sync >/dev/null 2>&1");
    let editor = home.path("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\nset -e\n{script}\n")).unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = home.command(None, &["edit", "1"]).env("EDITOR", &editor).output().unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let (line, path) = kept_file(&output);
    assert!(line.contains("draft 1 was changed while you were editing it (it is sent now)"), "{line}");
    assert_eq!(std::fs::read_to_string(path).unwrap(), edited);
    // It cannot be approved again, and another pass sends nothing.
    let again = home.command(None, &["approve", "1"]).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", String::from_utf8_lossy(&again.stderr));
    home.command(None, &["sync"]).output().unwrap();
    let wanted = message_id.as_str();
    let times = rig.smtp_log().iter().filter(|entry| entry.message_id.as_deref() == Some(wanted)).count();
    assert_eq!(times, 1, "sent exactly once");
    assert_eq!(home.show(1)["status"], "sent");
}
