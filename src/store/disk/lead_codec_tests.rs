use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::super::sym_dict::SymDict;
use super::{decode, encode, encode_text};
use crate::domain::dates::DATES;
use crate::domain::lead::{Card, History, LeadDates, Props, Sym};
use crate::domain::moment::Moment;
use crate::domain::{Lead, Stage};

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // Before and after 1970, with and without sub-millisecond parts.
    (-2_000_000_000i64..4_000_000_000, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| DateTime::from_timestamp(s, ns).unwrap())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-zA-Z0-9 .@é—\u{1F600}-]{1,40}"]
}

fn sym() -> impl Strategy<Value = Sym> {
    text().prop_map(Sym::from)
}

fn dates() -> impl Strategy<Value = LeadDates> {
    // A lead's dates hold whole milliseconds; history keeps chrono's full precision.
    let moment = time().prop_map(Moment::of);
    proptest::collection::vec(proptest::option::of(moment), DATES)
        .prop_map(|d| LeadDates::from_moments(d.try_into().unwrap()))
}

fn history() -> impl Strategy<Value = History> {
    crate::domain::history::tests::lists().prop_map(History::from)
}

fn lead() -> impl Strategy<Value = Lead> {
    let texts = proptest::collection::vec(text(), 4);
    let syms = proptest::collection::vec(sym(), 4);
    let opts = proptest::collection::vec(proptest::option::of(sym()), 4);
    let stage = proptest::option::of(proptest::sample::select(Stage::ALL.to_vec()));
    let props = proptest::collection::vec((sym(), sym()), 0..4);
    (texts, syms, opts, stage, dates(), props, time(), history()).prop_map(
        |(t, s, o, stage, dates, props, updated_at, history)| Lead {
            id: t[0].as_str().into(),
            card: Card::new(&t[1], &t[2], &t[3]),
            company: s[0],
            country: s[1],
            company_size: s[2],
            source_channel: s[3],
            stage,
            owner_id: o[0],
            first_campaign: o[1],
            last_campaign: o[2],
            recent_conversion: o[3],
            dates,
            props: props.into_iter().collect::<Props>(),
            updated_at,
            history,
        },
    )
}

/// `lead`'s body in both versions, with the dictionary the numbered one names.
fn bodies(lead: &Lead) -> (Vec<u8>, Vec<u8>, SymDict) {
    let mut dict = SymDict::default();
    let numbered = encode(lead, &mut dict);
    (numbered, encode_text(lead), dict)
}

proptest! {
    #[test]
    fn a_lead_decodes_to_itself_in_either_version(lead in lead()) {
        let (numbered, text, dict) = bodies(&lead);
        prop_assert_eq!(decode(&numbered, &dict), Some(lead.clone()));
        // A body written before the dictionary reads the same, with or without one.
        prop_assert_eq!(decode(&text, &dict), Some(lead.clone()));
        prop_assert_eq!(decode(&text, &SymDict::default()), Some(lead));
    }

    #[test]
    fn a_cut_or_damaged_body_is_refused_not_misread(lead in lead(), cut in 0.0f64..1.0, flip in any::<u8>()) {
        let (numbered, text, mut dict) = bodies(&lead);
        for body in [numbered, text] {
            let at = (body.len() as f64 * cut) as usize;
            prop_assert_eq!(decode(&body[..at], &dict), None);
            // A damaged byte must not panic; whatever it decodes to is a complete lead.
            let mut damaged = body.clone();
            damaged[at.min(body.len() - 1)] ^= flip | 1;
            if let Some(l) = decode(&damaged, &dict) {
                let again = encode(&l, &mut dict);
                prop_assert_eq!(decode(&again, &dict), Some(l));
            }
        }
    }

    #[test]
    fn noise_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut dict = SymDict::default();
        dict.code(Sym::new("EMEA"));
        if let Some(l) = decode(&bytes, &dict) {
            let again = encode(&l, &mut dict);
            prop_assert_eq!(decode(&again, &dict), Some(l));
        }
    }
}

#[test]
fn a_body_is_much_smaller_than_its_json() {
    let lead = crate::domain::lead::tests_support::lead_in(Stage::Mql);
    let json = serde_json::to_string(&lead).unwrap();
    let (body, text, _) = bodies(&lead);
    assert!(
        body.len() * 3 < json.len(),
        "{} vs {}",
        body.len(),
        json.len()
    );
    assert_eq!(body[0], 2, "the version leads: values by number");
    assert_eq!(text[0], 1);
    assert!(body.len() < text.len(), "numbers are shorter than the text");
}

/// A number the dictionary lacks (a body from another file, a lost row) makes the body
/// unreadable, never another lead's company.
#[test]
fn a_number_the_dictionary_lacks_is_refused() {
    let lead = crate::domain::lead::tests_support::lead_in(Stage::Mql);
    let (body, _, _) = bodies(&lead);
    assert_eq!(decode(&body, &SymDict::default()), None);
}
