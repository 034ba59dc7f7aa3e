//! Guessing a person's address from the addresses already seen at their employer
//! (issue 12: interviewers named without an address). A guess is only ever shown to the
//! user as a suggestion; nothing is sent to it until they confirm it with
//! `debrief person "Name" --email ADDRESS`.
//!
//! Pure: names and addresses in, a suggestion out.

/// How an employer builds addresses from names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// jane.doe@
    FirstDotLast,
    /// jdoe@
    InitialLast,
    /// jane@
    First,
    /// janedoe@
    FirstLast,
    /// jane_doe@
    FirstUnderscoreLast,
    /// doe@
    Last,
}

impl Pattern {
    const ALL: [Pattern; 6] = [
        Pattern::FirstDotLast,
        Pattern::InitialLast,
        Pattern::FirstLast,
        Pattern::FirstUnderscoreLast,
        Pattern::First,
        Pattern::Last,
    ];

    /// The local part this pattern makes of a name, when the name has what it needs.
    pub fn local_part(self, name: &str) -> Option<String> {
        // "Émile" is "emile" at some employers and "mile" at none: no guess beats a wrong one.
        if name.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) {
            return None;
        }
        let words: Vec<String> = name
            .split_whitespace()
            .map(|word| word.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase())
            .filter(|word| !word.is_empty())
            .collect();
        let first = words.first()?;
        let last = words.last().filter(|_| words.len() > 1);
        Some(match (self, last) {
            (Pattern::FirstDotLast, Some(last)) => format!("{first}.{last}"),
            (Pattern::InitialLast, Some(last)) => format!("{}{last}", first.chars().next()?),
            (Pattern::FirstLast, Some(last)) => format!("{first}{last}"),
            (Pattern::FirstUnderscoreLast, Some(last)) => format!("{first}_{last}"),
            (Pattern::First, _) => first.clone(),
            (Pattern::Last, Some(last)) => last.clone(),
            _ => return None,
        })
    }

    /// A short description for the user ("first.last@").
    pub fn describe(self) -> &'static str {
        match self {
            Pattern::FirstDotLast => "first.last@",
            Pattern::InitialLast => "flast@",
            Pattern::First => "first@",
            Pattern::FirstLast => "firstlast@",
            Pattern::FirstUnderscoreLast => "first_last@",
            Pattern::Last => "last@",
        }
    }
}

/// A suggested address and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub address: String,
    pub pattern: Pattern,
    /// How many known (name, address) pairs at that domain follow the pattern.
    pub seen: usize,
}

/// Suggests an address for `name` at `domain` from `known` (name, address) pairs: the
/// pattern most of the known people at that domain follow. `None` when nobody known at
/// the domain has a name that fits a pattern: no evidence, no suggestion.
pub fn suggest_address(name: &str, domain: &str, known: &[(String, String)]) -> Option<Suggestion> {
    let domain = domain.to_ascii_lowercase();
    let mut best: Option<(Pattern, usize)> = None;
    for pattern in Pattern::ALL {
        let seen = known
            .iter()
            .filter(|(known_name, address)| {
                let Some((local, at)) =
                    address.to_ascii_lowercase().rsplit_once('@').map(|(l, d)| (l.to_owned(), d.to_owned()))
                else {
                    return false;
                };
                at == domain && pattern.local_part(known_name).is_some_and(|expected| expected == local)
            })
            .count();
        if seen > 0 && best.is_none_or(|(_, most)| seen > most) {
            best = Some((pattern, seen));
        }
    }
    let (pattern, seen) = best?;
    Some(Suggestion { address: format!("{}@{domain}", pattern.local_part(name)?), pattern, seen })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(name, address)| (name.to_string(), address.to_string())).collect()
    }

    #[test]
    fn the_pattern_of_the_employers_known_addresses_is_applied_to_the_name() {
        let seen = known(&[("Jane Doe", "jane.doe@acme.example"), ("Bob Lee", "bob.lee@acme.example")]);
        let suggestion = suggest_address("Carol Ng", "acme.example", &seen).unwrap();
        assert_eq!(suggestion.address, "carol.ng@acme.example");
        assert_eq!((suggestion.pattern, suggestion.seen), (Pattern::FirstDotLast, 2));

        let initials = known(&[("Jane Doe", "jdoe@globex.example"), ("Rita Moss", "rita.moss@other.example")]);
        assert_eq!(suggest_address("Carol Ng", "globex.example", &initials).unwrap().address, "cng@globex.example");
        assert_eq!(
            suggest_address("Anne-Marie O'Neil", "acme.example", &seen).unwrap().address,
            "annemarie.oneil@acme.example"
        );
        assert_eq!(suggest_address("Émile Zola", "acme.example", &seen), None, "no guess at how accents are spelt");
    }

    #[test]
    fn no_evidence_at_the_domain_means_no_suggestion() {
        let elsewhere = known(&[("Jane Doe", "jane.doe@other.example"), ("Recruiting", "jobs@acme.example")]);
        assert_eq!(suggest_address("Carol Ng", "acme.example", &elsewhere), None);
        let first_only = known(&[("Jane Doe", "jane@acme.example")]);
        assert_eq!(suggest_address("Carol Ng", "acme.example", &first_only).unwrap().address, "carol@acme.example");
        assert_eq!(suggest_address("", "acme.example", &first_only), None);
    }
}
