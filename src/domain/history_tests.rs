use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::*;

pub(crate) fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // Whole milliseconds, before and after 1970: what a lead's history holds.
    (-2_000_000_000_000i64..4_000_000_000_000)
        .prop_map(|ms| DateTime::from_timestamp_millis(ms).unwrap())
}

pub(crate) fn sym() -> impl Strategy<Value = Sym> {
    prop_oneof![
        Just(Sym::default()),
        "[a-z]{1,6}".prop_map(|s| Sym::from(s.as_str()))
    ]
}

/// Any history, its times whole milliseconds; the cache codec's tests use it too.
pub(crate) fn lists() -> impl Strategy<Value = HistoryLists> {
    use proptest::collection::vec;
    (
        vec((sym(), sym(), time()), 0..6),
        vec((proptest::option::of(sym()), time()), 0..4),
        vec(time(), 0..5),
        vec(time(), 0..5),
        vec((time(), sym()), 0..4),
    )
        .prop_map(
            |(props, owners, sales, marketing, campaigns)| HistoryLists {
                props: (props.into_iter())
                    .map(|(prop, value, at)| PropChange { prop, value, at })
                    .collect(),
                owners: (owners.into_iter())
                    .map(|(owner_id, at)| OwnerChange { owner_id, at })
                    .collect(),
                sales_touches: sales,
                marketing_touches: marketing,
                campaigns,
            },
        )
}

proptest! {
    /// Every list comes back whole and in order, whichever others are empty: a wrong
    /// length word or offset would shift one list into the next.
    #[test]
    fn the_lists_come_back_as_they_went_in(l in lists()) {
        let h = History::from(l.clone());
        prop_assert_eq!(h.lists(), l.clone());
        prop_assert_eq!(h.props().len(), l.props.len());
        prop_assert_eq!(h.owners().len(), l.owners.len());
        prop_assert_eq!(h.sales_touches().len(), l.sales_touches.len());
        prop_assert_eq!(h.marketing_touches().len(), l.marketing_touches.len());
        prop_assert_eq!(h.campaigns().len(), l.campaigns.len());
        prop_assert_eq!(h.props().last(), l.props.last().copied());
        let by_moment: Vec<PropChange> = (h.props().moments())
            .map(|(at, prop, value)| PropChange { prop, value, at: at.at() })
            .collect();
        prop_assert_eq!(by_moment, l.props.clone());
        prop_assert_eq!(h.sales_touches().first(), l.sales_touches.first().copied());
        let all_empty = l == HistoryLists::default();
        prop_assert_eq!(h.is_empty(), all_empty);
    }

    /// The touch questions compare bits; they answer as the times do.
    #[test]
    fn touch_questions_answer_as_the_times_do(
        touches in proptest::collection::vec(time(), 0..6),
        from in time(),
        until in proptest::option::of(time()),
        sub_ms in 0u32..1_000_000,
    ) {
        // A bound between two milliseconds, as `now` can be.
        let from = from + chrono::Duration::nanoseconds(i64::from(sub_ms));
        let h = History::from(HistoryLists { sales_touches: touches.clone(), ..HistoryLists::default() });
        let list = h.sales_touches();
        let within = touches.iter().any(|t| *t > from && until.is_none_or(|u| *t <= u));
        prop_assert_eq!(list.any_within(from, until), within);
        // Unsorted on purpose: the earliest after `from`, not the first listed.
        prop_assert_eq!(list.first_after(from), touches.iter().copied().filter(|t| *t > from).min());
    }
}

#[test]
fn a_history_is_one_pointer_and_an_empty_one_holds_no_block() {
    assert_eq!(std::mem::size_of::<History>(), 8);
    let h = History::from(HistoryLists::default());
    assert!(h.is_empty());
    assert!(h.props().is_empty() && h.campaigns().is_empty());
    assert_eq!(h.0.capacity(), 0);
}

#[test]
fn json_keeps_the_list_form() {
    let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let h = History::from(HistoryLists {
        sales_touches: vec![at],
        ..HistoryLists::default()
    });
    let json = serde_json::to_string(&h).unwrap();
    assert!(
        json.contains("\"sales_touches\":[\"2023-11-14T22:13:20Z\"]"),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<History>(&json).unwrap(), h);
}
