//! The kind decision: weighted features, then ordered precedence rules, with reasons.
//!
//! Features are vocabularies of how recruiters say things (English first, with German,
//! French and Spanish phrases), each with a kind and a weight, matched in one of three
//! scopes: the sender's own words (never quoted history or the signature), the subject
//! (only when the message is not a reply, since a reply's subject was written by
//! someone else), or the headers and calendar. Per-kind scores then go through rules in
//! a fixed order that encodes the corpus precedence: auto-replies first, then bulk mail,
//! outcomes (rejection before offer), automated application receipts, calendar methods,
//! cancellations and moves, confirmations with a fixed time, invitations, timelines,
//! and last acknowledgements and unrelated mail.
//!
//! It does not extract fields itself: `fields` does, once the kind is known.

use super::calendar::CalendarEvent;
use super::datetime::{self, Slot, ZoneSpec};
use super::envelope::{self, ParsedEnvelope};
use super::fields;
use super::text::Body;
use super::{Classification, MessageKind};
use jiff::civil;
use regex::Regex;
use std::sync::LazyLock;

/// Everything the decision looks at, prepared once per message.
pub struct MessageContext<'a> {
    pub parsed: &'a ParsedEnvelope,
    pub body: &'a Body,
    pub events: &'a [CalendarEvent],
    /// The candidate's own address, lower case.
    pub candidate: Option<&'a str>,
    /// The subject without reply/forward prefixes.
    pub subject_core: String,
    pub subject_lower: String,
    pub is_reply: bool,
    /// The sender's own words with URLs blanked out (same byte offsets).
    pub own: String,
    pub own_lower: String,
    /// Quoted history with URLs blanked out.
    pub quoted: String,
    pub signature: String,
    /// The sender's local date and time (from the Date header).
    pub local: Option<civil::DateTime>,
    /// The sender's own offset, the zone of last resort for prose times.
    pub default_zone: ZoneSpec,
}

static REPLY_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(r"(?i)^\s*(?:(?:re|aw|sv|vs|antw|r|rif|tr|wg|fw|fwd|rv|enc)\s*(?:\[\d+\])?\s*:\s*)+")
        .expect("reply prefix pattern")
});
static FORWARD_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| super::word_regex(r"(?i)^\s*(?:fw|fwd|wg|tr|rv|enc)\s*:").expect("forward prefix pattern"));
static URL: LazyLock<Regex> =
    LazyLock::new(|| super::word_regex(r"(?i)\b(?:https?://|www\.|mailto:)[^\s<>()]+").expect("url pattern"));

/// Blanks out URLs, keeping byte offsets, so that links never look like dates or words.
pub fn mask_urls(text: &str) -> String {
    let mut out = text.to_string();
    let spans: Vec<(usize, usize)> = URL.find_iter(text).map(|m| (m.start(), m.end())).collect();
    for (start, end) in spans.into_iter().rev() {
        out.replace_range(start..end, &" ".repeat(end - start));
    }
    out
}

impl<'a> MessageContext<'a> {
    pub fn new(
        parsed: &'a ParsedEnvelope,
        body: &'a Body,
        events: &'a [CalendarEvent],
        candidate: Option<&'a str>,
    ) -> Self {
        let subject = parsed.envelope.subject.clone().unwrap_or_default();
        let subject_core = REPLY_PREFIX.replace(&subject, "").trim().to_string();
        let has_reply_prefix = subject_core.len() != subject.trim().len() && !FORWARD_PREFIX.is_match(&subject);
        let is_reply = has_reply_prefix || !parsed.envelope.in_reply_to.is_empty();
        let own = mask_urls(&body.own);
        let default_zone = ZoneSpec::Fixed(parsed.envelope.date_offset_seconds.unwrap_or(0));
        MessageContext {
            parsed,
            body,
            events,
            candidate,
            subject_lower: subject.to_lowercase(),
            subject_core,
            is_reply,
            own_lower: own.to_lowercase(),
            own,
            quoted: mask_urls(&body.quoted),
            signature: body.signature.clone(),
            local: parsed.local_date_time,
            default_zone,
        }
    }

    /// The reference for relative dates: the sender's local time, else a fixed date far
    /// from any real one so nothing relative resolves by accident.
    pub fn reference(&self) -> civil::DateTime {
        self.local.unwrap_or_else(|| civil::date(2000, 1, 1).at(12, 0, 0, 0))
    }

    /// Date-and-time slots in the sender's own words.
    pub fn own_slots(&self) -> Vec<Slot> {
        if self.local.is_none() {
            return Vec::new();
        }
        datetime::find_slots(&self.own, self.reference(), &self.default_zone)
    }

    /// Slots in the subject, when the subject is the sender's own (not a reply).
    pub fn subject_slots(&self) -> Vec<Slot> {
        if self.is_reply || self.local.is_none() {
            return Vec::new();
        }
        datetime::find_slots(&self.subject_core, self.reference(), &self.default_zone)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scope {
    /// The sender's own words.
    Own,
    /// The subject without prefixes, when the message is not a reply.
    Subject,
    /// The whole subject as written, reply or not (auto-reply prefixes).
    RawSubject,
}

struct Feature {
    name: &'static str,
    kind: MessageKind,
    weight: f64,
    scope: Scope,
    /// A preceding "not", "unable", "n't" in the same sentence cancels the match.
    negatable: bool,
    /// Only counts in replies (e.g. "this mailbox is not monitored").
    reply_only: bool,
    regex: Regex,
}

use MessageKind as K;
use Scope::{Own, RawSubject, Subject};

type Spec = (&'static str, MessageKind, f64, Scope, &'static str);

#[rustfmt::skip]
const FEATURE_SPECS: &[Spec] = &[
    // Rejection.
    ("rejection.forward_with_others", K::Rejection, 3.0, Own, r"\b(?:move|moving|go|going|proceed|proceeding|continue|continuing)\s+(?:forward\s+)?with\s+(?:another|other|a\s+different|different|the\s+other|a\s+more|someone|more)\b[^.]{0,40}?\b(?:candidate|applicant|profile|person|individual)s?"),
    ("rejection.pursue_others", K::Rejection, 3.0, Own, r"\bpursue\s+(?:other|another|different)\s+(?:candidate|applicant|profile)s?"),
    ("rejection.pursue_candidates_who", K::Rejection, 2.5, Own, r"\bpursue\s+(?:other\s+|another\s+)?(?:candidates|applicants|profiles)\s+(?:who|whose|with|that)\b"),
    ("rejection.not_move_you_forward", K::Rejection, 3.0, Own, r"\b(?:not|n't|unable\s+to|won't|will\s+not|decided\s+not\s+to)\s+(?:be\s+)?(?:able\s+to\s+)?(?:move|moving|advance|advancing|progress|progressing|take|taking)\s+you\s+(?:forward|further|to\s+the\s+next|through)"),
    ("rejection.not_moving_forward_bare", K::Rejection, 2.5, Own, r"\b(?:not|n't)\s+(?:be\s+)?(?:moving|going\s+to\s+move)\s+forward\b"),
    ("rejection.not_extend_offer", K::Rejection, 3.0, Own, r"\bnot\s+to\s+(?:extend|make)\s+(?:you\s+)?an?\s+offer\b"),
    ("rejection.pass", K::Rejection, 2.5, Own, r"\b(?:going\s+to|decided\s+to|will|'ll|have\s+to)\s+pass\s+on\s+(?:your|this|the)\b|\bpassing\s+on\s+your\s+(?:application|candidacy|profile)"),
    ("rejection.close_search", K::Rejection, 2.0, Own, r"\b(?:close|closing|cancel|cancelling|canceling)\s+(?:the|this|our)\s+(?:search|requisition|role|position|opening)\b"),
    ("rejection.not_moving_forward", K::Rejection, 3.0, Own, r"\b(?:not|n't|no\s+longer|unable\s+to|decided\s+not\s+to|won't|will\s+not|cannot|can't)\s+(?:be\s+)?(?:able\s+to\s+)?(?:moving|move|proceed|proceeding|going|progress|progressing|advance|advancing|continue|continuing|taking)\s+(?:forward\s+|ahead\s+|further\s+)?(?:with\s+)?(?:your|the|this)\s+(?:application|candidacy|candidature|profile|process)"),
    ("rejection.not_progress", K::Rejection, 3.0, Own, r"\bnot\s+to\s+(?:progress|proceed\s+with|move\s+forward\s+with|take\s+forward|advance)\s+(?:your|the|with\s+your)"),
    ("rejection.position_filled", K::Rejection, 3.0, Own, r"\b(?:position|role|vacancy|opening|job|req|requisition)\s+(?:has|have|had|is|was)\s+(?:now\s+|already\s+|since\s+)?(?:been\s+)?(?:filled|closed|cancelled|canceled|eliminated|withdrawn)"),
    ("rejection.on_hold", K::Rejection, 2.5, Own, r"\b(?:role|position|search|hiring|requisition|opening|headcount)\b[^.]{0,60}\bon\s+hold\b|\bon\s+hold\b[^.]{0,40}\b(?:role|position|search|hiring|requisition)"),
    ("rejection.closed_requisition", K::Rejection, 2.0, Own, r"\bclosed\s+(?:the|this|our)\s+(?:requisition|role|position|search|opening)"),
    ("rejection.regret", K::Rejection, 3.0, Own, r"\bregret\s+to\s+(?:inform|let\s+you\s+know|tell|share|say)"),
    ("rejection.sorry_to_share", K::Rejection, 2.0, Own, r"\b(?:sorry|sad|disappointed)\s+to\s+(?:share|say|tell\s+you|inform|let\s+you\s+know|report)"),
    ("rejection.not_selected", K::Rejection, 3.0, Own, r"\b(?:not|n't)\s+(?:been\s+)?(?:selected|shortlisted|chosen|successful)\b|\bunsuccessful\b"),
    ("rejection.other_direction", K::Rejection, 3.0, Own, r"\b(?:a\s+different|another)\s+direction\b"),
    ("rejection.chose_other", K::Rejection, 3.0, Own, r"\b(?:chose|chosen|selected|hired|decided\s+on|offered\s+the\s+(?:role|position)\s+to|extended\s+an\s+offer\s+to)\s+(?:another|a\s+different|other|a)\s+(?:\w+\s+)?(?:candidate|applicant|person)"),
    ("rejection.not_a_fit", K::Rejection, 1.5, Own, r"\bnot\s+(?:the\s+|a\s+)?(?:right\s+|best\s+|strong\s+)?(?:fit|match)\b"),
    ("rejection.closer_match", K::Rejection, 1.5, Own, r"\b(?:more\s+closely|better|closer|more\s+directly)\s+(?:match|matches|matched|align|aligns|aligned|suited)"),
    ("rejection.cannot_offer", K::Rejection, 3.0, Own, r"\b(?:not|unable|n't)\s+(?:be\s+)?(?:able\s+to\s+)?(?:offer|extend)\s+(?:you\s+)?(?:an?\s+|the\s+)?(?:offer|position|role|job)"),
    ("rejection.keep_on_file", K::Rejection, 1.0, Own, r"\b(?:keep|retain|hold)\s+(?:your|you)\b[^.]{0,40}\b(?:on\s+file|talent\s+(?:community|pool|network)|database)"),
    ("rejection.future_openings", K::Rejection, 1.0, Own, r"\b(?:future|other)\s+(?:opportunities|openings|roles|positions|vacancies)\b"),
    ("rejection.wish_luck", K::Rejection, 1.0, Own, r"\bwish\s+you\b[^.]{0,30}\b(?:success|luck|best)\b[^.]{0,30}\b(?:search|career|future|endeavou?rs)"),
    ("rejection.careful_consideration", K::Rejection, 0.8, Own, r"\bafter\s+(?:careful|much|a\s+lot\s+of|long)\s+(?:consideration|deliberation|discussion|thought|review)"),
    ("rejection.unfortunately", K::Rejection, 0.8, Own, r"\bunfortunately\b"),
    ("rejection.german", K::Rejection, 3.0, Own, r"\b(?:absage|nicht\s+(?:weiter\s+)?berücksichtigen|nicht\s+in\s+die\s+engere\s+wahl|für\s+(?:einen\s+)?andere[nr]?\s+(?:kandidat|bewerber)|anderweitig\s+(?:besetzt|entschieden)|bereits\s+besetzt)"),
    ("rejection.german_leider", K::Rejection, 0.8, Own, r"\bleider\b"),
    ("rejection.french", K::Rejection, 3.0, Own, r"\b(?:ne\s+pas\s+donner\s+suite|ne\s+(?:pouvons|pourrons)\s+pas\s+donner\s+suite|pas\s+été\s+retenue?|pas\s+retenu|un\s+autre\s+candidat)"),
    ("rejection.french_malheureusement", K::Rejection, 0.8, Own, r"\bmalheureusement\b"),
    ("rejection.french_regret", K::Rejection, 3.0, Own, r"\bavons\s+le\s+regret\b"),
    ("rejection.spanish", K::Rejection, 3.0, Own, r"\b(?:no\s+(?:ha|has)\s+sido\s+seleccionad|continuar\s+con\s+otros?\s+candidat|no\s+continuar\s+con\s+tu|no\s+avanzar)"),
    ("rejection.spanish_lamentablemente", K::Rejection, 0.8, Own, r"\b(?:lamentablemente|lamentamos)\b"),
    ("rejection.spanish_no_seguir", K::Rejection, 3.0, Own, r"\bno\s+(?:seguir|continuar)\s+adelante\b"),
    // Offer.
    ("offer.offer_you_the_position", K::Offer, 3.0, Own, r"\b(?:offer|offering)\s+you\s+(?:the|a|this|our)\s+(?:[\w,-]+\s+){0,7}?(?:position|role|job|post)\b"),
    ("offer.extend_an_offer", K::Offer, 3.0, Own, r"\b(?:extend|extending|make|making|send|sending|sent|extended|made)\s+(?:you\s+)?(?:an?|the|our|your)\s+(?:formal\s+|verbal\s+|written\s+|official\s+|conditional\s+)?(?:job\s+|employment\s+)?offer\b"),
    ("offer.pleased_to_offer", K::Offer, 3.0, Own, r"\b(?:pleased|delighted|happy|thrilled|excited|glad)\s+to\s+(?:offer|extend|present)\b"),
    ("offer.like_to_offer", K::Offer, 3.0, Own, r"\b(?:would|'d)\s+(?:like|love)\s+to\s+(?:offer|extend)\b"),
    ("offer.your_offer", K::Offer, 1.5, Own, r"\byour\s+(?:formal\s+|written\s+)?offer\b"),
    ("offer.offer_letter", K::Offer, 1.5, Own, r"\boffer\s+(?:letter|package|details|documents?|expires)\b"),
    ("offer.offer_of_employment", K::Offer, 2.5, Own, r"\b(?:offer\s+of\s+employment|employment\s+offer|job\s+offer)\b"),
    ("offer.congratulations", K::Offer, 0.8, Own, r"\bcongratulations\b|\bcongrats\b"),
    ("offer.terms", K::Offer, 0.8, Own, r"\b(?:start\s+date|base\s+salary|annual\s+salary|salary|signing\s+bonus|rsus?|stock\s+options|equity\s+grant)\b"),
    ("offer.sign", K::Offer, 1.0, Own, r"\b(?:sign|countersign|accept|review)\s+(?:and\s+\w+\s+)?(?:the|your)\s+(?:offer|letter|contract)"),
    ("offer.bring_you_on", K::Offer, 3.0, Own, r"\b(?:bring|have|welcome)\s+you\s+(?:on\s+board|onboard|aboard)\b|\b(?:want|like|love)\s+to\s+hire\s+you\b"),
    ("offer.selected_for_the_role", K::Offer, 2.5, Own, r"\b(?:you've|you\s+have)\s+been\s+selected\s+(?:for|as)\s+(?:the|our)\s+(?:[\w,-]+\s+){0,5}?(?:role|position|job)\b"),
    ("offer.welcome_aboard", K::Offer, 1.0, Own, r"\bwelcome\s+(?:you\s+)?(?:aboard|to\s+the\s+team)\b"),
    ("offer.german", K::Offer, 3.0, Own, r"\b(?:vertragsangebot|ein\s+angebot\s+(?:machen|unterbreiten)|freuen\s+uns,?\s+ihnen\s+(?:die|eine)\s+(?:stelle|position)\s+anzubieten|\bstelle\b[^.]{0,60}\banbieten\b|angebot\s+für\s+die\s+stelle)"),
    ("offer.french", K::Offer, 3.0, Own, r"\b(?:offre\s+d'(?:emploi|embauche)|proposition\s+d'embauche|vous\s+proposer\s+le\s+poste)"),
    ("offer.spanish", K::Offer, 3.0, Own, r"\b(?:oferta\s+(?:de\s+empleo|laboral|de\s+trabajo)|ofrecerte\s+el\s+puesto|ofrecerle\s+el\s+puesto)"),
    ("offer.subject", K::Offer, 1.5, Subject, r"\boffer\b|\btilbud\b|\bangebot\b|\boferta\b|\boffre\b"),
    // Application received.
    ("application.received_your_application", K::ApplicationReceived, 3.0, Own, r"\b(?:received|receipt\s+of|got)\s+your\s+(?:job\s+)?(?:application|resume|cv|candidacy|submission)\b"),
    ("application.has_been_received", K::ApplicationReceived, 3.0, Own, r"\b(?:application|submission|candidacy)\s+(?:has\s+been|was|is)\s+(?:successfully\s+)?(?:received|submitted|recorded)"),
    ("application.thanks_for_applying", K::ApplicationReceived, 1.5, Own, r"\bthank(?:s|\s+you)\s+(?:so\s+much\s+)?for\s+(?:applying|your\s+(?:recent\s+)?application|submitting\s+your\s+application)"),
    ("application.will_review", K::ApplicationReceived, 1.0, Own, r"\b(?:will|team\s+will|are\s+(?:currently\s+)?)\s*(?:now\s+)?(?:carefully\s+)?(?:review|reviewing|assess|evaluate)\w*\s+(?:it|them|your\s+(?:application|qualifications|profile|background|resume|experience|documents|materials)|every\s+application|all\s+applications)"),
    ("application.portal", K::ApplicationReceived, 1.0, Own, r"\b(?:candidate\s+(?:portal|home|profile|dashboard)|track\s+(?:the\s+status\s+of\s+)?your\s+application|status\s+of\s+your\s+application|application\s+status)\b"),
    ("application.reviewing_your_application", K::ApplicationReceived, 1.5, Own, r"\b(?:we're|we\s+are|team\s+is)\s+(?:currently\s+)?reviewing\s+your\s+(?:application|resume|cv|profile)\b"),
    ("application.if_a_match", K::ApplicationReceived, 1.0, Own, r"\bif\s+(?:your|you)\b[^.]{0,60}\b(?:match|fit|meet\s+the)"),
    ("application.german", K::ApplicationReceived, 3.0, Own, r"\b(?:eingangsbestätigung|(?:bewerbung|unterlagen)\s+(?:ist|sind)\s+(?:bei\s+uns\s+)?(?:gut\s+)?eingegangen|bewerbung\s+erhalten)"),
    ("application.german_thanks", K::ApplicationReceived, 1.5, Own, r"\bvielen\s+dank\s+für\s+ihre\s+bewerbung"),
    ("application.french", K::ApplicationReceived, 3.0, Own, r"\b(?:(?:bien\s+)?reçu\s+votre\s+candidature|accusé\s+de\s+réception)"),
    ("application.spanish", K::ApplicationReceived, 3.0, Own, r"\bhemos\s+recibido\s+(?:tu|su)\s+(?:solicitud|candidatura|postulación|cv)"),
    ("application.subject", K::ApplicationReceived, 2.5, Subject, r"\b(?:application\s+(?:received|confirmation|submitted)|thank(?:s|\s+you)\s+for\s+(?:applying|your\s+application)|we(?:'ve|\s+have)\s+received\s+your\s+application|eingangsbestätigung|candidature\s+reçue|solicitud\s+recibida)"),
    // Auto-reply wording (the headers are checked separately).
    ("auto_reply.out_of_office", K::AutoReply, 2.5, Own, r"\bout\s+of\s+(?:the\s+)?office\b|\booo\b"),
    ("auto_reply.away", K::AutoReply, 2.5, Own, r"\b(?:i\s+am|i'm|i\s+will\s+be|i'll\s+be)\s+(?:currently\s+)?(?:away|out|off|travell?ing|on\s+(?:vacation|holiday|leave|pto|annual\s+leave|parental\s+leave|maternity\s+leave|paternity\s+leave|sabbatical|a\s+break))\b"),
    ("auto_reply.limited_access", K::AutoReply, 2.5, Own, r"\b(?:limited|no|without)\s+access\s+to\s+(?:my\s+)?e-?mail"),
    ("auto_reply.not_checking_email", K::AutoReply, 2.5, Own, r"\b(?:not|n't)\s+(?:be\s+)?(?:checking|reading|monitoring|responding\s+to)\s+(?:my\s+)?e-?mails?"),
    ("auto_reply.respond_when_back", K::AutoReply, 2.0, Own, r"\b(?:respond|reply|get\s+back\s+to\s+you|answer)\b[^.]{0,60}\b(?:when|once|upon|after)\s+(?:i|we)\s+(?:return|get\s+back|am\s+back|are\s+back|'m\s+back)"),
    ("auto_reply.back_on", K::AutoReply, 1.0, Own, r"\b(?:i\s+will\s+be|i'll\s+be|i\s+am|i'm)\s+back\s+(?:in\s+the\s+office\s+)?on\b|\breturn(?:ing)?\s+(?:to\s+the\s+office\s+)?on\b"),
    ("auto_reply.offices_closed", K::AutoReply, 2.0, Own, r"\b(?:offices?|we)\s+(?:are|will\s+be|is)\s+closed\b"),
    ("auto_reply.automatic", K::AutoReply, 2.5, Own, r"\bautomatic(?:ally\s+generated)?\s+(?:reply|response)\b|\bauto-?(?:reply|response|responder)\b"),
    ("auto_reply.urgent", K::AutoReply, 1.0, Own, r"\bfor\s+(?:anything\s+|something\s+|matters\s+)?urgent\b|\bif\s+(?:this\s+is|your\s+(?:matter|message)\s+is)\s+urgent\b|\bin\s+(?:my|the)\s+absence\b"),
    ("auto_reply.german", K::AutoReply, 3.0, Own, r"\b(?:abwesenheitsnotiz|bin\s+(?:bis|vom|ab)\b[^.]{0,40}\bnicht\s+(?:im\s+büro|erreichbar)|außer\s+haus)"),
    ("auto_reply.french", K::AutoReply, 3.0, Own, r"\b(?:absente?\s+du\s+bureau|je\s+suis\s+absente?|message\s+automatique)"),
    ("auto_reply.spanish", K::AutoReply, 3.0, Own, r"\b(?:fuera\s+de\s+la\s+oficina|estoy\s+de\s+vacaciones|respuesta\s+automática)"),
    ("auto_reply.subject", K::AutoReply, 4.0, RawSubject, r"^\s*(?:automatic\s+reply|auto(?:matic)?[\s-]*(?:reply|response|antwort|risposta)|out\s+of\s+(?:the\s+)?office|ooo\b|abwesen|réponse\s+automatique|respuesta\s+automática|autosvar|fraværsmelding|frånvaro|vacation\s+(?:reply|response)|away\s+from\s+(?:the\s+office|my\s+desk))"),
    // Cancellation.
    ("cancelled.need_to_cancel", K::InterviewCancelled, 2.5, Own, r"\b(?:need|have|had|going|decided|forced)\s+to\s+(?:cancel|call\s+off)\b"),
    ("cancelled.has_been_cancelled", K::InterviewCancelled, 2.5, Own, r"\b(?:has|have|had|is|was)\s+(?:been\s+)?(?:cancel+ed|called\s+off)\b"),
    ("cancelled.cancel_the_interview", K::InterviewCancelled, 2.0, Own, r"\bcancel+(?:ing|ed)?\s+(?:the|your|our|this|today's|tomorrow's|\w+day's)\b[^.]{0,30}\b(?:interview|call|meeting|panel|session|conversation|chat|screen|onsite|on-site|appointment)"),
    ("cancelled.will_not_happen", K::InterviewCancelled, 1.5, Own, r"\b(?:will\s+not|won't|no\s+longer)\s+(?:go\s+ahead|take\s+place|happen|be\s+(?:able\s+to\s+)?(?:go\s+ahead|happen))"),
    ("cancelled.postponed_indefinitely", K::InterviewCancelled, 2.5, Own, r"\bpostpone(?:d)?\b[^.]{0,40}\b(?:until\s+further\s+notice|indefinitely)\b"),
    ("cancelled.german", K::InterviewCancelled, 2.5, Own, r"\b(?:absagen|abgesagt|storniert)\b"),
    ("cancelled.french", K::InterviewCancelled, 2.5, Own, r"\b(?:annuler|annulation|annulons|annulée?)"),
    ("cancelled.spanish", K::InterviewCancelled, 2.5, Own, r"\b(?:cancelar|cancelada|cancelado|cancelamos)\b"),
    ("cancelled.offered_link", K::InterviewCancelled, -2.0, Own, r"\b(?:if\s+you\s+(?:need|have)\s+to|need\s+to\s+make\s+changes|want\s+to|wish\s+to)\s+(?:reschedule\s+or\s+)?cancel\b|\bcancel\s*:"),
    ("cancelled.subject", K::InterviewCancelled, 3.0, Subject, r"^(?:(?:cancel+ed|cancel+ation|abgesagt|cancelad[oa])\b|annulée?)|\bcancel+ed\b"),
    // Reschedule.
    ("rescheduled.moved_to", K::InterviewRescheduled, 3.0, Own, r"\b(?:moved|rescheduled|pushed|shifted|bumped|changed|postponed|switched|(?:had|have|need|needed|going)\s+to\s+(?:move|push|shift|reschedule|bump))\b[^.!?]{0,80}?\bto\s+(?:(?:next\s+|this\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)|[a-z]{3,9}\s+\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})"),
    ("rescheduled.reschedule", K::InterviewRescheduled, 2.0, Own, r"\b(?:reschedul(?:e|ed|ing)|re-schedul\w*|new\s+(?:time|date|slot)|updated\s+(?:time|schedule|invitation|invite)|time\s+change|change\s+of\s+(?:time|date|plans))\b"),
    ("rescheduled.event_updated", K::InterviewRescheduled, 2.5, Own, r"\bthis\s+event\s+has\s+been\s+(?:updated|changed|rescheduled)|\bchanged:\s*(?:time|date)|\bpreviously:|\bhas\s+been\s+moved\b|\binstead\s+of\s+(?:monday|tuesday|wednesday|thursday|friday|the\s+\d)"),
    ("rescheduled.offered_link", K::InterviewRescheduled, -2.0, Own, r"\b(?:if\s+you\s+(?:need|have)\s+to|need\s+to\s+make\s+changes|want\s+to|wish\s+to)\s+reschedule\b|\breschedule\s*:"),
    ("rescheduled.german", K::InterviewRescheduled, 3.0, Own, r"\b(?:verschoben|verlegt|neuer\s+termin)"),
    ("rescheduled.french", K::InterviewRescheduled, 3.0, Own, r"\b(?:reporté|déplacé|nouvelle\s+date|nouvel\s+horaire)"),
    ("rescheduled.spanish", K::InterviewRescheduled, 3.0, Own, r"\b(?:reprogramad|nueva\s+fecha)"),
    ("rescheduled.subject", K::InterviewRescheduled, 3.0, Subject, r"^(?:updated\s+invitation|updated\s+event|updated|rescheduled|new\s+time|time\s+change|invitation\s+mise\s+à\s+jour|aktualisierte\s+einladung|verschoben)"),
    // Confirmation.
    ("confirmation.is_confirmed", K::InterviewConfirmation, 2.5, Own, r"\b(?:is|are|has\s+been|have\s+been|been|now)\s+(?:now\s+|all\s+)?(?:confirmed|scheduled|booked|set\s+up|locked\s+in)\b"),
    ("confirmation.confirming", K::InterviewConfirmation, 2.5, Own, r"\b(?:confirming|to\s+confirm|this\s+(?:email\s+)?confirms|i\s+can\s+confirm|happy\s+to\s+confirm|just\s+confirming|confirmation\s+of)\s+(?:your|the|our|that|you)\b"),
    ("confirmation.lock_in", K::InterviewConfirmation, 2.0, Own, r"\block(?:ed)?\s+(?:it\s+|that\s+|this\s+)?in\b|\bpencil(?:led|ed)?\s+(?:you\s+)?in\b"),
    ("confirmation.on_the_calendar", K::InterviewConfirmation, 2.0, Own, r"\b(?:it's|it\s+is|you're|you\s+are)\s+(?:now\s+)?(?:on|in)\s+(?:the|my|our)\s+calendar|\b(?:sent|added)\s+(?:you\s+)?(?:a\s+|the\s+)?(?:calendar\s+)?(?:invite|invitation)\b|\bcalendar\s+(?:invite|invitation)\s+(?:is\s+)?(?:attached|on\s+its\s+way|has\s+been\s+sent)|\bin\s+the\s+attached\s+invite"),
    ("confirmation.booked", K::InterviewConfirmation, 2.0, Own, r"\b(?:i've|i\s+have|we've|we\s+have)\s+(?:booked|scheduled|set\s+up|arranged|reserved|blocked)\s+(?:you|your|the|a|an|our)\b"),
    ("confirmation.works", K::InterviewConfirmation, 1.5, Own, r"\b(?:works|work)\s+(?:great|perfectly|well|fine|for\s+(?:us|both|me|everyone|the\s+team))\b|\bsounds\s+(?:good|great|perfect)\b"),
    ("confirmation.see_you", K::InterviewConfirmation, 1.0, Own, r"\bsee\s+you\s+(?:then|on|there|next)\b|\btalk\s+(?:to\s+you\s+)?then\b|\blooking\s+forward\s+to\s+(?:speaking|talking|meeting|seeing|chatting)\s+(?:with\s+)?you\s+(?:on|then)"),
    ("confirmation.event_scheduled", K::InterviewConfirmation, 2.5, Own, r"\byour\s+(?:event|interview|call|meeting|appointment|session|booking)\s+(?:has\s+been|is)\s+(?:scheduled|confirmed|booked)"),
    ("confirmation.itinerary", K::InterviewConfirmation, 1.5, Own, r"\b(?:here\s+is|here's|below\s+is|find\s+below)\s+(?:your|the)\s+(?:schedule|itinerary|agenda|plan)\b|\bitinerary\b"),
    ("confirmation.all_set", K::InterviewConfirmation, 1.5, Own, r"\b(?:you're|you\s+are|we're|we\s+are)\s+all\s+set\b"),
    ("confirmation.takes_place", K::InterviewConfirmation, 2.0, Own, r"\b(?:interview|call|meeting|chat|onsite|on-site|session|conversation|screen|panel)\s+(?:is|will\s+be|will\s+take\s+place|takes\s+place|is\s+scheduled)\s+(?:on|at|for|this|next|tomorrow)\b"),
    ("confirmation.reminder", K::InterviewConfirmation, 1.5, Own, r"\b(?:a\s+)?(?:friendly\s+|quick\s+)?reminder\b[^.]{0,40}\b(?:interview|call|onsite|on-site|screen|session)"),
    ("confirmation.details_block", K::InterviewConfirmation, 1.0, Own, r"(?m)^\s*(?:when|date|time|where|who|panel|interviewers?)\s*:"),
    ("confirmation.german", K::InterviewConfirmation, 2.5, Own, r"\b(?:bestätigen?\s+(?:wir\s+)?(?:ihnen\s+)?(?:den|ihren)\s+termin|termin\s+(?:ist\s+)?bestätigt|eingeplant)"),
    ("confirmation.french", K::InterviewConfirmation, 2.5, Own, r"\b(?:je\s+vous\s+confirme|confirmons\s+(?:votre|notre)\s+(?:entretien|rendez-vous))"),
    ("confirmation.spanish", K::InterviewConfirmation, 2.5, Own, r"\b(?:te\s+confirmo|confirmamos\s+(?:tu|su)\s+entrevista)"),
    ("confirmation.subject", K::InterviewConfirmation, 1.5, Subject, r"\b(?:confirmed|confirmation|invitation|einladung|bestätigung|scheduled)\b"),
    ("confirmation.reminder_subject", K::InterviewConfirmation, 1.5, Subject, r"\breminder\b"),
    // Invitation.
    ("invitation.invite_you", K::InterviewInvitation, 3.0, Own, r"\b(?:like|love|happy|pleased|excited|delighted|glad|want)\s+to\s+invite\s+you\b|\binvit(?:e|ing)\s+you\s+to\s+(?:an?\s+|the\s+|our\s+)?(?:[\w-]+\s+){0,3}?(?:interview|conversation|call|chat|round|onsite|on-site|panel|meeting|screen|assessment|next\s+step)"),
    ("invitation.has_invited_you", K::InterviewInvitation, 2.5, Own, r"\bhas\s+invited\s+you\s+to\b"),
    ("invitation.move_you_forward", K::InterviewInvitation, 2.5, Own, r"\b(?:move|moving|advance|advancing|progress|progressing|take|taking)\s+you\s+(?:forward\s+)?(?:to|into|through\s+to)\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:next|final|second|third|technical|onsite|on-site|[\d-]+minute|\w+\s+(?:round|interview|conversation|stage))"),
    ("invitation.next_round", K::InterviewInvitation, 1.0, Own, r"\b(?:next|final|second|third|technical|onsite|on-site)\s+(?:step|round|stage|interview)s?\b"),
    ("invitation.pick_a_time", K::InterviewInvitation, 2.5, Own, r"\b(?:pick|choose|select|book|grab|find|reserve)\s+(?:a|an|one|your|the|some|any)?\s*(?:open\s+|available\s+|convenient\s+|free\s+)?(?:time|slot|date|time\s+slot|timeslot)s?\b|\b(?:one\s+of\s+)?the\s+following\s+(?:times|slots|dates|windows)\b|\bbook\s+(?:a\s+)?(?:slot|time|call|meeting)"),
    ("invitation.availability", K::InterviewInvitation, 2.5, Own, r"\b(?:your|share|send|provide)\s+(?:me\s+|us\s+)?(?:your\s+)?availability\b|\b(?:send|share|give|provide|let\s+me\s+know|reply\s+with|tell\s+me)\s+(?:me\s+|us\s+)?(?:a\s+few|some|two\s+or\s+three|2-3|a\s+couple\s+of|several|your|good|the\s+best)?\s*(?:times|windows|slots|dates|days|options|half-day\s+blocks|blocks)\b"),
    ("invitation.when_free", K::InterviewInvitation, 2.0, Own, r"\b(?:when|what\s+times?|which\s+days?)\s+(?:are|would|will)\s+you\s+(?:be\s+)?(?:available|free)\b|\b(?:would|do|are|will)\s+you\s+(?:have|be\s+)?(?:available|free|open)\b|\bwould\s+you\s+have\s+(?:\d+|some|a\s+few)\s+minutes"),
    ("invitation.like_to_schedule", K::InterviewInvitation, 2.0, Own, r"\b(?:would|'d)\s+(?:like|love)\s+to\s+(?:schedule|set\s+up|arrange|book|have\s+you\s+(?:meet|come|speak|talk|join))\b"),
    ("invitation.scheduling_link", K::InterviewInvitation, 1.5, Own, r"\b(?:scheduling|booking)\s+(?:link|tool|page)\b|\bthe\s+link\s+below\b|\bbook\s+(?:a\s+slot|a\s+time)?\s*(?:here|below)\b"),
    ("invitation.schedule_your", K::InterviewInvitation, 2.0, Own, r"\b(?:schedule|book|set\s+up)\s+(?:your|an?|the)\s+(?:[\w-]+\s+){0,2}?(?:interview|call|chat|onsite|on-site|screen|conversation|meeting)\b|\b(?:use|via|through)\s+(?:the|this)\s+link\b[^.]{0,40}\b(?:schedule|book|pick|choose)\b"),
    ("invitation.what_works", K::InterviewInvitation, 2.0, Own, r"\bwhat\s+(?:times?\s+|days?\s+)?(?:would\s+)?works?\s+(?:best\s+)?for\s+you\b|\bwhen\s+(?:would\s+)?(?:works?|suits?)\s+(?:best\s+)?(?:for\s+)?you\b"),
    ("invitation.german", K::InterviewInvitation, 3.0, Own, r"\b(?:(?:möchten|würden)\s+sie\s+(?:gerne\s+)?(?:zu\s+einem\s+)?(?:\w+\s+)?(?:einladen|kennenlernen)|einladung\s+zu(?:m)?\s+(?:einem\s+)?(?:vorstellungs)?gespräch|terminvorschläge|ihre\s+verfügbarkeit)"),
    ("invitation.french", K::InterviewInvitation, 3.0, Own, r"\b(?:vous\s+inviter|vos\s+disponibilités|convier\s+à\s+un\s+entretien)"),
    ("invitation.spanish", K::InterviewInvitation, 3.0, Own, r"\b(?:invitarte|invitarle|tu\s+disponibilidad|su\s+disponibilidad)"),
    ("invitation.subject", K::InterviewInvitation, 1.0, Subject, r"\b(?:next\s+steps?|invitation\s+to|interview\s+request|choose\s+your\s+interview|schedule\s+your|final\s+round|technical\s+round)\b"),
    // Timeline (the period itself is found sentence by sentence in `timeline_evidence`).
    ("timeline.wait", K::Timeline, 2.0, Own, r"\b(?:hang\s+tight|please\s+(?:wait|bear\s+with)|be\s+patient|bear\s+with\s+(?:me|us)|stay\s+tuned|keep\s+you\s+(?:posted|updated|informed)|as\s+soon\s+as\s+(?:i|we)\s+(?:know|hear|have)|no\s+(?:update|news|decision)\s+(?:yet|to\s+share)|(?:reach|get)\s+(?:out|back)\b[^.]{0,40}\b(?:once|when|after|as\s+soon\s+as)\b)"),
    ("timeline.still_deciding", K::Timeline, 1.0, Own, r"\b(?:still|currently)\s+(?:reviewing|interviewing|meeting|speaking|talking|waiting|gathering|collecting|finali[sz]ing)\b|\bwrapping\s+up\b"),
    ("timeline.check_back", K::Timeline, 2.5, Own, r"\bcheck\s+back\b|\bcircle\s+back\b"),
    ("timeline.we_will_be_in_touch", K::Timeline, 2.0, Own, r"\b(?:we|i)(?:'ll|\s+will|\s+shall)\s+(?:be\s+in\s+touch|reach\s+out|get\s+back\s+to\s+you|circle\s+back|follow\s+up|let\s+you\s+know|come\s+back\s+to\s+you)\b"),
    ("timeline.will_update", K::Timeline, 1.5, Own, r"\b(?:decision|feedback|an\s+update)\s+(?:by|within|in|early|later|next|this|soon|to\s+share)\b|\b(?:will|'ll)\s+(?:update|inform|get\s+back\s+to)\s+you\b|\bhear\s+(?:back\s+)?from\s+(?:me|us)\b"),
    ("timeline.german", K::Timeline, 2.5, Own, r"\b(?:melden\s+uns|rückmeldung|bescheid\s+geben)"),
    ("timeline.french", K::Timeline, 2.5, Own, r"\b(?:reviendrons\s+vers\s+vous|tiendrons\s+au\s+courant|retour\s+d'ici)"),
    ("timeline.spanish", K::Timeline, 2.5, Own, r"\b(?:te\s+contactaremos|nos\s+pondremos\s+en\s+contacto|te\s+mantendremos\s+informad)"),
    // Acknowledgement.
    ("acknowledgement.thanks", K::Acknowledgement, 1.0, Own, r"\b(?:thanks|thank\s+you)\s+(?:for\s+(?:the|your)\s+(?:note|message|email|update|follow-?up|kind\s+words|sending|checking)|so\s+much|again)\b|\bgot\s+(?:it|them|both|this|your)\b|\b(?:received|appreciate)\b"),
    ("acknowledgement.pleasantry", K::Acknowledgement, 0.5, Own, r"\b(?:great|nice|lovely|good)\s+(?:talking|speaking|chatting|meeting|to\s+meet|to\s+talk)\b|\benjoy\s+(?:the|your)\b|\bhappy\s+(?:new\s+year|holidays)\b|\bhave\s+a\s+(?:great|good|nice)\b"),
    // Unrelated: marketing, commerce, social networks, personal mail.
    ("unrelated.unsubscribe", K::Unrelated, 1.5, Own, r"\bunsubscribe\b|\bmanage\s+(?:your\s+)?(?:alerts|preferences|subscriptions|notifications)\b|\bemail\s+preferences\b"),
    ("unrelated.job_alert", K::Unrelated, 2.5, Own, r"\b(?:job\s+alerts?|new\s+jobs|jobs?\s+(?:near|matching|for\s+you|you\s+may\s+like)|recommended\s+(?:jobs|roles)|easy\s+apply|top\s+picks)\b"),
    ("unrelated.event_marketing", K::Unrelated, 2.5, Own, r"\b(?:webinar|workshop|masterclass|live\s+session|register\s+(?:now|today|anyway|here)|save\s+(?:my|your)\s+seat|free\s+(?:trial|live|workshop|webinar)|sign\s+up\s+(?:now|today))\b"),
    ("unrelated.commerce", K::Unrelated, 2.5, Own, r"\b(?:receipt|order\s+(?:#|number|confirmation)|your\s+order|subtotal|sales\s+tax|invoice|payment\s+received|tracking\s+number)\b"),
    ("unrelated.social", K::Unrelated, 2.5, Own, r"\b(?:viewed\s+your\s+profile|appeared\s+in\s+\d+\s+searches|reacted\s+to\s+your\s+post|connection\s+request|new\s+followers?|endorsed\s+you|people\s+you\s+may\s+know)\b"),
    ("unrelated.newsletter", K::Unrelated, 2.0, Own, r"\b(?:newsletter|weekly\s+digest|weekly\s+roundup)\b"),
    ("unrelated.subject", K::Unrelated, 2.0, Subject, r"\b(?:receipt|your\s+order|newsletter|webinar|workshop|new\s+jobs|jobs\s+near|job\s+alert|searches\s+this\s+week|sale|discount)\b"),
];

static FEATURES: LazyLock<Vec<Feature>> = LazyLock::new(|| {
    FEATURE_SPECS
        .iter()
        .map(|(name, kind, weight, scope, pattern)| Feature {
            name,
            kind: *kind,
            weight: *weight,
            scope: *scope,
            negatable: name.starts_with("offer.") && *weight >= 2.5,
            reply_only: false,
            regex: super::word_regex(pattern).unwrap_or_else(|err| panic!("feature {name}: {err}")),
        })
        .chain(std::iter::once(Feature {
            name: "auto_reply.unmonitored_mailbox",
            kind: K::AutoReply,
            weight: 3.0,
            scope: Own,
            negatable: false,
            reply_only: true,
            regex: super::word_regex(r"\b(?:mailbox|inbox|e-?mail\s+address|address|account)\s+(?:is\s+)?(?:not|isn't|is\s+not|no\s+longer)\s+(?:being\s+)?monitored|\bunmonitored\b|\bhas\s+not\s+been\s+delivered\b").expect("unmonitored pattern"),
        }))
        .collect()
});

static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(r"\b(?:not|unable|cannot|no\s+longer|never)\b|n't\b").expect("negation pattern")
});
static OFFER_TO_OTHERS: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(r"^\s*(?:to|for)\s+(?:another|a\s+different|someone|other|the\s+other)\b")
        .expect("offer to others")
});

/// Cue words of a sentence that tells when the employer will decide or get back.
static TIMELINE_CUE: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(
        r"\b(?:get\s+back\s+to\s+you|hear\s+(?:back\s+)?from\s+(?:me|us)|(?:update|inform)\s+you|let\s+you\s+know|be\s+in\s+touch|(?:reach|circle|come)\s+back|reach\s+out|follow\s+up\s+with\s+you|decision|decide|feedback|news|an\s+update|check\s+(?:back|in)|next\s+steps|answer|respond\s+to\s+you|(?:melden|rückmeldung|entscheidung)|(?:décision|reviendrons)|(?:decisión|respuesta))",
    )
    .expect("timeline cue pattern")
});

/// The features that matched, per kind.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    values: [f64; 11],
    pub matched: Vec<(String, MessageKind, f64, String)>,
}

impl Scores {
    pub fn get(&self, kind: MessageKind) -> f64 {
        self.values[kind_index(kind)]
    }

    fn add(&mut self, name: &str, kind: MessageKind, weight: f64, evidence: &str) {
        self.values[kind_index(kind)] += weight;
        self.matched.push((name.to_string(), kind, weight, evidence.to_string()));
    }
}

fn kind_index(kind: MessageKind) -> usize {
    MessageKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

fn sentence_start(text: &str, position: usize) -> usize {
    text[..position].rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1)
}

fn snippet(text: &str, start: usize, end: usize) -> String {
    let mut s = text[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Matches every feature against its scope.
pub fn score_features(context: &MessageContext<'_>) -> Scores {
    let mut scores = Scores::default();
    let subject_core_lower = context.subject_core.to_lowercase();
    for feature in FEATURES.iter() {
        let text: &str = match feature.scope {
            Own => &context.own_lower,
            Subject if context.is_reply => continue,
            Subject => &subject_core_lower,
            RawSubject => &context.subject_lower,
        };
        if feature.reply_only && !context.is_reply {
            continue;
        }
        let found = feature.regex.find_iter(text).find(|m| {
            if !feature.negatable {
                return true;
            }
            let before = &text[sentence_start(text, m.start())..m.start()];
            let window_start = before.len().saturating_sub(40);
            let mut window_start = window_start;
            while !before.is_char_boundary(window_start) {
                window_start -= 1;
            }
            !NEGATION.is_match(&before[window_start..]) && !OFFER_TO_OTHERS.is_match(&text[m.end()..])
        });
        if let Some(m) = found {
            let scope = match feature.scope {
                Own => "body",
                Subject | RawSubject => "subject",
            };
            scores.add(
                feature.name,
                feature.kind,
                feature.weight,
                &format!("{scope}: \"{}\"", snippet(text, m.start(), m.end())),
            );
        }
    }
    scores
}

/// Timeline periods in the sender's own sentences that talk about a decision or an
/// update, with the latest first-follow-up day among them.
pub fn timeline_evidence(context: &MessageContext<'_>) -> Option<(civil::Date, String)> {
    let reference = context.local?.date();
    let mut best: Option<(civil::Date, String)> = None;
    for sentence in context.own_lower.split(['.', '!', '?', '\n', ';']) {
        if !TIMELINE_CUE.is_match(sentence) || sentence.contains("let me know") || sentence.contains("let us know") {
            continue;
        }
        for period in datetime::find_periods(sentence, reference) {
            if best.as_ref().is_none_or(|(date, _)| period.reply_after > *date) {
                best = Some((period.reply_after, period.phrase));
            }
        }
    }
    best
}

/// Words that show a message is about a hiring process at all.
static RECRUITING_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(r"(?i)\b(?:interview\w*|application|applying|applied|role|position|candida\w+|recruit\w*|hiring|offer|onsite|on-site|references?|code\s+sample|take-home|opening|job|talent|bewerbung|stelle|candidature|poste|entretien|puesto|entrevista)\b")
        .expect("recruiting context pattern")
});

/// Words for the meetings of a hiring process.
static INTERVIEW_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    super::word_regex(r"(?i)\b(?:interview\w*|phone\s+screen|screening|onsite|on-site|panel|hiring\s+manager|technical\s+(?:round|call|session)|final\s+round|vorstellungsgespräch|gespräch|entretien|entrevista)\b")
        .expect("interview words pattern")
});

/// Decides the kind and fills the fields.
pub fn classify(context: &MessageContext<'_>) -> Classification {
    let scores = score_features(context);
    let mut reasons: Vec<String> = Vec::new();
    let parsed = context.parsed;
    let s = |kind| scores.get(kind);
    let calendar_cancel = context.events.iter().any(|e| e.is_cancel());
    let calendar_request = context.events.iter().any(|e| !e.is_cancel() && e.method.as_deref() != Some("REPLY"));
    let max_sequence = context.events.iter().map(|e| e.sequence).max().unwrap_or(0);
    let own_slots = context.own_slots();
    let subject_slots = context.subject_slots();
    let has_slot =
        own_slots.iter().any(|slot| slot.explicit_date) || !own_slots.is_empty() || !subject_slots.is_empty();
    let timeline = timeline_evidence(context);
    let from_robot = parsed.envelope.from.as_ref().is_some_and(|from| envelope::is_robot_address(&from.email));
    let automated_sender = parsed.auto_submitted || from_robot || parsed.list_unsubscribe;
    let outcome = s(K::Rejection).max(s(K::Offer));
    // An interview kind needs a hiring context: a dentist's calendar invite is not one.
    let about_an_interview = has_recruiting_context(context)
        || context.events.iter().filter_map(|e| e.summary.as_deref()).any(|summary| INTERVIEW_WORDS.is_match(summary))
        || INTERVIEW_WORDS.is_match(&context.own)
        || INTERVIEW_WORDS.is_match(&context.subject_core);

    for (name, kind, weight, evidence) in &scores.matched {
        reasons.push(format!("feature {name} ({kind}, {weight:+.1}) {evidence}"));
    }
    if let Some((date, phrase)) = &timeline {
        reasons.push(format!("feature timeline.period (timeline, +3.0) \"{phrase}\" -> reply after {date}"));
    }
    let timeline_score = s(K::Timeline) + if timeline.is_some() { 3.0 } else { 0.0 };

    let decide = |kind: MessageKind, confidence: f64, rule: &str| (kind, confidence, rule.to_string());
    let (kind, confidence, rule) = if parsed.auto_reply_header {
        decide(
            K::AutoReply,
            0.97,
            "auto-reply header (Auto-Submitted: auto-replied, X-Autoreply or Precedence: auto_reply)",
        )
    } else if scores.matched.iter().any(|(name, ..)| name == "auto_reply.subject") {
        decide(K::AutoReply, 0.93, "auto-reply subject prefix")
    } else if s(K::AutoReply) >= 3.0 && outcome < 3.0 && context.events.is_empty() {
        let confidence = (0.7 + 0.04 * s(K::AutoReply)).min(0.92);
        decide(K::AutoReply, confidence, "out-of-office wording in the sender's own text, no outcome, no calendar")
    } else if parsed.bulk_header
        && context.events.is_empty()
        && outcome < 3.0
        && (max_kind_score(&scores) < 2.5 || s(K::Unrelated) >= max_kind_score(&scores))
    {
        decide(K::Unrelated, 0.93, "bulk mail (Precedence: bulk/list or List-Id) with no outcome or calendar")
    } else if s(K::Rejection) >= 2.5 && s(K::Rejection) >= s(K::Offer) {
        let margin = s(K::Rejection) - s(K::Offer).max(s(K::Timeline));
        decide(
            K::Rejection,
            confidence_from(s(K::Rejection), margin),
            "rejection wording outweighs everything but an auto-reply",
        )
    } else if s(K::Offer) >= 2.5 {
        let margin = s(K::Offer) - s(K::Rejection);
        decide(
            K::Offer,
            confidence_from(s(K::Offer), margin),
            "offer wording (a date or deadline in an offer does not make it a timeline)",
        )
    } else if s(K::ApplicationReceived) >= 3.0
        && (automated_sender || (s(K::InterviewInvitation) < 3.0 && !calendar_request))
    {
        decide(
            K::ApplicationReceived,
            confidence_from(s(K::ApplicationReceived), 1.5),
            "application receipt (precedence over interview or timeline mentions)",
        )
    } else if s(K::Unrelated) >= 2.5 && s(K::Unrelated) >= max_kind_score(&scores) {
        decide(K::Unrelated, 0.85, "marketing, commerce or social-network wording")
    } else if calendar_cancel && about_an_interview {
        decide(K::InterviewCancelled, 0.95, "calendar METHOD:CANCEL / STATUS:CANCELLED")
    } else if calendar_request && about_an_interview {
        let moved = s(K::InterviewRescheduled) >= 2.5 || (max_sequence > 0 && s(K::InterviewRescheduled) >= 1.5);
        if moved {
            decide(
                K::InterviewRescheduled,
                0.92,
                "calendar REQUEST that says it moved (updated subject/body or SEQUENCE > 0 with a move)",
            )
        } else if s(K::InterviewCancelled) >= 2.5 {
            decide(K::InterviewCancelled, 0.8, "calendar request with cancellation wording")
        } else {
            let confidence = if max_sequence > 0 { 0.8 } else { 0.95 };
            decide(K::InterviewConfirmation, confidence, "calendar METHOD:REQUEST with a start time")
        }
    } else if s(K::InterviewCancelled) >= 2.5 && about_an_interview {
        if s(K::InterviewRescheduled) >= 3.0 && has_slot {
            decide(K::InterviewRescheduled, 0.8, "cancelled and moved to a new time")
        } else {
            decide(
                K::InterviewCancelled,
                confidence_from(s(K::InterviewCancelled), 1.0),
                "cancellation wording without a new time",
            )
        }
    } else if s(K::InterviewRescheduled) >= 3.0 && has_slot && about_an_interview {
        decide(K::InterviewRescheduled, confidence_from(s(K::InterviewRescheduled), 1.0), "moved to a new time")
    } else if s(K::InterviewConfirmation) >= 2.0
        && has_slot
        && about_an_interview
        && s(K::InterviewConfirmation) + 1.0 >= s(K::InterviewInvitation)
    {
        let margin = s(K::InterviewConfirmation) - s(K::InterviewInvitation);
        decide(
            K::InterviewConfirmation,
            confidence_from(s(K::InterviewConfirmation), margin),
            "confirmation wording with a fixed date and time",
        )
    } else if s(K::InterviewInvitation) >= 2.0 {
        let margin = s(K::InterviewInvitation) - s(K::InterviewConfirmation);
        decide(
            K::InterviewInvitation,
            confidence_from(s(K::InterviewInvitation), margin),
            "invitation wording, no fixed time",
        )
    } else if timeline_score >= 2.0 {
        decide(
            K::Timeline,
            confidence_from(timeline_score, 1.0),
            "the employer says when (or that) they will get back, without an outcome",
        )
    } else if s(K::ApplicationReceived) >= 2.5 {
        decide(K::ApplicationReceived, 0.75, "application receipt wording")
    } else if (context.is_reply || (s(K::Acknowledgement) >= 1.0 && context.own.trim().len() < 600))
        && !parsed.bulk_header
        && has_recruiting_context(context)
        && !from_robot
    {
        let confidence = if s(K::Acknowledgement) > 0.0 { 0.8 } else { 0.65 };
        decide(K::Acknowledgement, confidence, "a human reply in a hiring thread with no outcome, time or timeline")
    } else {
        let confidence = if s(K::Unrelated) > 0.0 || !has_recruiting_context(context) { 0.85 } else { 0.6 };
        decide(K::Unrelated, confidence, "nothing about this candidate's hiring process")
    };
    reasons.push(format!("rule: {rule} -> {kind} (confidence {confidence:.2})"));

    let mut classification = Classification {
        kind,
        company: None,
        role: None,
        interview: None,
        reply_after: None,
        return_date: None,
        confidence,
        reasons,
    };
    fields::fill(context, &mut classification, &own_slots, &subject_slots, timeline.map(|(date, _)| date));
    classification
}

fn max_kind_score(scores: &Scores) -> f64 {
    MessageKind::ALL
        .iter()
        .filter(|k| **k != K::Unrelated && **k != K::Acknowledgement)
        .map(|k| scores.get(*k))
        .fold(0.0, f64::max)
}

/// Confidence from the winning score and its margin over the strongest rival.
fn confidence_from(score: f64, margin: f64) -> f64 {
    let strength = (score / 4.0).min(1.0);
    let separation = (margin / 3.0).clamp(0.0, 1.0);
    (0.55 + 0.25 * strength + 0.17 * separation).clamp(0.5, 0.97)
}

fn has_recruiting_context(context: &MessageContext<'_>) -> bool {
    RECRUITING_CONTEXT.is_match(&context.subject_core)
        || RECRUITING_CONTEXT.is_match(&context.own)
        || RECRUITING_CONTEXT.is_match(&context.quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_pattern_compiles() {
        assert!(FEATURES.len() > 100);
    }

    #[test]
    fn urls_are_masked_in_place() {
        let text = "book at https://x.example/2026-12-15/10am now";
        let masked = mask_urls(text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("10am"));
        assert!(masked.ends_with(" now"));
    }

    #[test]
    fn confidence_is_bounded() {
        assert!(confidence_from(10.0, 10.0) <= 0.97);
        assert!(confidence_from(0.0, -5.0) >= 0.5);
        assert!(confidence_from(3.0, 3.0) >= 0.9);
    }
}
