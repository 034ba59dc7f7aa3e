//! The classifier on hand-written fixtures in other styles and languages than the shared
//! corpus (tests/fixtures/classify, labels in the same schema): each one is checked
//! explicitly, and the whole folder through the same scoring as `debrief eval`.

use debrief::classify::eval::{Case, evaluate};
use debrief::classify::{LabelJson, MessageKind, classify_message};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify")
}

fn labels() -> BTreeMap<String, LabelJson> {
    let text = std::fs::read_to_string(fixtures_dir().join("labels.json")).expect("fixture labels");
    serde_json::from_str(&text).expect("fixture labels parse")
}

#[test]
fn every_fixture_gets_its_label() {
    let cases: Vec<Case> = labels()
        .into_iter()
        .map(|(file, expected)| {
            let raw = std::fs::read(fixtures_dir().join(&file)).expect("fixture");
            let got = classify_message(&raw).map(|c| c.classification.to_label_json()).map_err(|e| e.to_string());
            Case { file, expected, got }
        })
        .collect();
    assert!(cases.len() >= 40);
    let report = evaluate(&cases);
    assert_eq!(report.kind_correct, report.total, "{}", report.render());
    assert!(report.fields_percent() >= 95.0, "{}", report.render());
    assert_eq!(report.critical_count(), 0, "{}", report.render());
}

fn classify(file: &str) -> debrief::classify::Classification {
    let raw = std::fs::read(fixtures_dir().join(file)).expect("fixture");
    classify_message(&raw).expect("classifies").classification
}

#[test]
fn kinds_of_the_fixtures() {
    let table = [
        ("f01-greenhouse-rejection.eml", MessageKind::Rejection),
        ("f02-casual-offer.eml", MessageKind::Offer),
        ("f03-phone-screen-invite.eml", MessageKind::InterviewInvitation),
        ("f04-ats-confirmation-cet.eml", MessageKind::InterviewConfirmation),
        ("f05-spanish-rejection.eml", MessageKind::Rejection),
        ("f06-french-invitation.eml", MessageKind::InterviewInvitation),
        ("f07-german-confirmation.eml", MessageKind::InterviewConfirmation),
        ("f08-timeline-business-days.eml", MessageKind::Timeline),
        ("f09-timeline-early-next-week.eml", MessageKind::Timeline),
        ("f10-ooo-no-headers.eml", MessageKind::AutoReply),
        ("f11-text-cancel.eml", MessageKind::InterviewCancelled),
        ("f12-text-reschedule.eml", MessageKind::InterviewRescheduled),
        ("f13-newsletter.eml", MessageKind::Unrelated),
        ("f14-lever-received.eml", MessageKind::ApplicationReceived),
        ("f15-german-offer.eml", MessageKind::Offer),
        ("f16-ack-quoting-rejection.eml", MessageKind::Acknowledgement),
        ("f17-teams-invite-pacific.eml", MessageKind::InterviewConfirmation),
        ("f18-not-selected-html.eml", MessageKind::Rejection),
        ("f19-agency-recruiter-gmail.eml", MessageKind::InterviewConfirmation),
        ("f20-timeline-be-in-touch.eml", MessageKind::Timeline),
        ("f21-bulk-ats-invitation.eml", MessageKind::InterviewInvitation),
        ("f22-ack-not-a-reply.eml", MessageKind::Acknowledgement),
        ("f23-not-move-you-forward.eml", MessageKind::Rejection),
        ("f24-timeline-numeric-date.eml", MessageKind::Timeline),
        ("f25-ooo-auto-generated.eml", MessageKind::AutoReply),
        ("f26-reminder.eml", MessageKind::InterviewConfirmation),
        ("f27-bottom-posted-rejection.eml", MessageKind::Rejection),
        ("f28-offer-join-as.eml", MessageKind::Offer),
        ("f29-ooo-person-no-headers.eml", MessageKind::AutoReply),
        ("f30-assessment-invite.eml", MessageKind::InterviewInvitation),
        ("f31-calendar-text-invite.eml", MessageKind::InterviewConfirmation),
        ("f32-offer-withdrawn-freeze.eml", MessageKind::Rejection),
        ("f33-disclaimer-position-filled.eml", MessageKind::Rejection),
        ("f34-timeline-revert-by-the-nth.eml", MessageKind::Timeline),
        ("f35-timeline-fortnight.eml", MessageKind::Timeline),
        ("f36-dutch-rejection.eml", MessageKind::Rejection),
        ("f37-portuguese-offer.eml", MessageKind::Offer),
        ("f38-italian-receipt.eml", MessageKind::ApplicationReceived),
        ("f39-swedish-rejection.eml", MessageKind::Rejection),
        ("f40-german-negated-offer.eml", MessageKind::Rejection),
        ("f41-one-line-yes-to-quoted-time.eml", MessageKind::InterviewConfirmation),
        ("f42-second-window-bottom-posted.eml", MessageKind::InterviewConfirmation),
        ("f43-day-at-hour-works.eml", MessageKind::InterviewConfirmation),
        ("f44-off-the-calendar.eml", MessageKind::InterviewCancelled),
        ("f45-pick-a-block.eml", MessageKind::InterviewInvitation),
        ("f46-interleaved-move.eml", MessageKind::InterviewRescheduled),
        ("f47-itinerary-date-label.eml", MessageKind::InterviewConfirmation),
        ("f48-bounce.eml", MessageKind::Unrelated),
        ("f49-newsletter-about-offers.eml", MessageKind::Unrelated),
        ("f50-german-informal-invite.eml", MessageKind::InterviewInvitation),
        ("f51-italian-proposed-slots.eml", MessageKind::InterviewInvitation),
        ("f52-dutch-receipt.eml", MessageKind::ApplicationReceived),
        ("f53-moved-half-past.eml", MessageKind::InterviewRescheduled),
        ("f54-amsterdam-time-after-dst.eml", MessageKind::InterviewConfirmation),
        ("f55-uk-time-hours-apart.eml", MessageKind::InterviewConfirmation),
        ("f56-wrapped-prose-time.eml", MessageKind::InterviewRescheduled),
        ("f57-day-first-numeric-date.eml", MessageKind::InterviewCancelled),
        ("f58-portuguese-interviewers-line.eml", MessageKind::InterviewConfirmation),
        ("f59-first-name-in-subject-cc.eml", MessageKind::InterviewConfirmation),
        ("f60-moved-same-panel.eml", MessageKind::InterviewRescheduled),
        ("f61-team-organiser-staff-line.eml", MessageKind::InterviewConfirmation),
        ("f62-cancel-our-slot-quoted-end.eml", MessageKind::InterviewCancelled),
    ];
    for (file, kind) in table {
        assert_eq!(classify(file).kind, kind, "{file}");
    }
}

#[test]
fn the_out_of_office_fixture_states_its_return_date() {
    let classification = classify("f10-ooo-no-headers.eml");
    assert_eq!(classification.return_date, Some(jiff::civil::date(2027, 4, 19)));
}

#[test]
fn the_outlook_fixture_keeps_rooms_and_the_organiser_out() {
    let classification = classify("f17-teams-invite-pacific.eml");
    let interview = classification.interview.expect("an interview");
    let emails: Vec<_> = interview.interviewers.iter().filter_map(|p| p.email.as_deref()).collect();
    assert_eq!(emails, ["victor.ruiz@redwoodai.com", "amy.zhou@redwoodai.com"]);
    assert_eq!(interview.time_zone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(interview.location.as_deref(), Some("Board Room 4"));
}

#[test]
fn the_configured_candidate_is_never_an_interviewer() {
    let raw = std::fs::read(fixtures_dir().join("f17-teams-invite-pacific.eml")).expect("fixture");
    let classified = debrief::classify::classify_message_for(&raw, Some("Sam.Okafor@example.net")).expect("classifies");
    let interview = classified.classification.interview.expect("an interview");
    assert!(interview.interviewers.iter().all(|p| p.email.as_deref() != Some("sam.okafor@example.net")));
}

#[test]
fn a_negated_offer_is_explained_as_rejection_evidence() {
    let classification = classify("f40-german-negated-offer.eml");
    assert_eq!(classification.kind, MessageKind::Rejection);
    assert!(classification.confidence >= 0.8, "{}", classification.confidence);
    let classification = classify("f28-offer-join-as.eml");
    assert!(classification.reasons.iter().any(|r| r.contains("offer.join_as [en]")), "{:?}", classification.reasons);
}

#[test]
fn the_organiser_of_a_one_to_one_text_invitation_is_the_interviewer() {
    let interview = classify("f31-calendar-text-invite.eml").interview.expect("an interview");
    let people: Vec<Option<&str>> = interview.interviewers.iter().map(|p| p.email.as_deref()).collect();
    assert_eq!(people, [Some("nora.quint@brightkite.example")]);
}

#[test]
fn a_bottom_posted_answer_is_read_below_the_quote() {
    let classification = classify("f27-bottom-posted-rejection.eml");
    assert_eq!(classification.kind, MessageKind::Rejection);
    assert!(classification.confidence >= 0.8, "{}", classification.confidence);
}

#[test]
fn a_reply_that_takes_up_a_proposed_time_reads_the_slot_from_the_quote() {
    for (file, start, how) in [
        ("f41-one-line-yes-to-quoted-time.eml", "2027-04-21T18:00:00Z", "the only proposal"),
        ("f42-second-window-bottom-posted.eml", "2027-04-20T14:00:00Z", "proposal 2 of 3"),
        ("f43-day-at-hour-works.eml", "2027-04-15T22:00:00Z", "the proposal on Thursday"),
    ] {
        let classification = classify(file);
        let interview = classification.interview.as_ref().expect("an interview");
        assert_eq!(interview.start.to_string(), start, "{file}");
        assert!(classification.reasons.iter().any(|r| r.contains(how)), "{file}: {:?}", classification.reasons);
    }
}

#[test]
fn a_newsletter_with_outcome_words_is_held_for_review_not_dropped() {
    let classification = classify("f49-newsletter-about-offers.eml");
    assert_eq!(classification.kind, MessageKind::Unrelated);
    assert!(classification.confidence < 0.8, "held for review: {}", classification.confidence);
}
