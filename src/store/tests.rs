use super::*;
use crate::domain::Stage;

/// The cache reads reference data back by id; the vendor sends its own order. At 1M a
/// needless change rebuilt the whole snapshot on every start.
#[test]
fn reference_data_in_another_order_is_no_change() {
    let stage = |id: &str, order| DealStage {
        id: id.into(),
        label: id.into(),
        order,
        is_closed: false,
        is_won: false,
    };
    let mut store = Store::default();
    assert!(store.set_deal_stages(vec![stage("b", 1), stage("a", 2)]));
    assert!(!store.set_deal_stages(vec![stage("a", 2), stage("b", 1)]));
    assert!(
        store.set_deal_stages(vec![stage("a", 3), stage("b", 1)]),
        "a changed order"
    );
    assert!(store.set_deal_stages(vec![stage("a", 3)]), "one went");
    let owner = |id: &str| Owner {
        id: id.into(),
        name: id.into(),
        email: String::new(),
        team: None,
    };
    assert!(store.set_owners(vec![owner("2"), owner("1")]));
    assert!(!store.set_owners(vec![owner("1"), owner("2")]));
    assert!(store.set_owners(vec![owner("1"), owner("3")]));
}
use crate::domain::lead::tests_support::lead_in;

#[test]
fn upsert_reports_only_real_changes() {
    let mut store = Store::default();
    let lead = lead_in(Stage::Mql);
    assert!(store.upsert_leads(vec![lead.clone()]));
    assert!(!store.upsert_leads(vec![lead.clone()]));
    let mut moved = lead.clone();
    moved.stage = Some(Stage::Sal);
    assert!(store.upsert_leads(vec![moved]));
    assert_eq!(store.leads().len(), 1);
    assert_eq!(store.lead("1").unwrap().stage, Some(Stage::Sal));
}

#[test]
fn a_first_batch_is_taken_whole_and_a_repeated_id_keeps_its_last_version() {
    let lead = |id: &str, stage| {
        let mut l = lead_in(stage);
        l.id = id.to_string().into();
        l
    };
    let mut store = Store::default();
    assert!(store.upsert_leads(vec![lead("a", Stage::Mql), lead("b", Stage::Sal)]));
    assert_eq!(store.index_of("b"), Some(1));
    assert_eq!(store.lead("a").unwrap().stage, Some(Stage::Mql));
    let mut store = Store::default();
    store.upsert_leads(vec![
        lead("a", Stage::Mql),
        lead("b", Stage::Sal),
        lead("a", Stage::Sql),
    ]);
    assert_eq!(store.leads().len(), 2);
    assert_eq!(store.lead("a").unwrap().stage, Some(Stage::Sql));
    assert_eq!(store.lead("b").unwrap().stage, Some(Stage::Sal));
    assert!(!Store::default().upsert_leads(Vec::new()));
}

proptest::proptest! {
    /// The table (rows in place, an index of places only) behaves like rows in a `Vec`
    /// where a removal moves the last row into the gap, whatever the sequence.
    #[test]
    fn the_table_finds_every_row_after_any_upserts_and_removals(
        start in proptest::collection::vec(0u8..40, 0..30),
        steps in proptest::collection::vec((proptest::bool::ANY, 0u8..40, 0u8..3), 0..120),
    ) {
        let lead = |id: u8, v: u8| {
            let mut l = lead_in(Stage::Mql);
            l.id = format!("lead {id}").into();
            l.card = l.card.with_name(&format!("v{v}"));
            l
        };
        let mut table = Table::<Lead>::default();
        let mut model: Vec<Lead> = Vec::new();
        let put = |model: &mut Vec<Lead>, l: Lead| match model.iter().position(|m| m.id == l.id) {
            Some(i) => model[i] = l,
            None => model.push(l),
        };
        let first: Vec<Lead> = start.iter().map(|&id| lead(id, 0)).collect();
        for l in &first {
            put(&mut model, l.clone());
        }
        table.adopt(first);
        for (insert, id, v) in steps {
            if insert {
                table.upsert(lead(id, v));
                put(&mut model, lead(id, v));
            } else {
                let key = format!("lead {id}");
                let held = model.iter().position(|m| m.id == key);
                proptest::prop_assert_eq!(table.remove(&key), held.is_some());
                if let Some(i) = held {
                    model.swap_remove(i);
                }
            }
            proptest::prop_assert_eq!(&table.rows, &model);
        }
        for (i, l) in model.iter().enumerate() {
            proptest::prop_assert_eq!(table.place_of(&l.id), Some(i));
        }
        proptest::prop_assert_eq!(table.place_of("lead 99"), None);
        table.shrink_to_fit();
        for (i, l) in model.iter().enumerate() {
            proptest::prop_assert_eq!(table.place_of(&l.id), Some(i));
        }
    }
}

#[test]
fn removing_keeps_the_index_right() {
    let mut store = Store::default();
    let leads: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            let mut l = lead_in(Stage::Mql);
            l.id = id.to_string().into();
            l
        })
        .collect();
    store.upsert_leads(leads);
    assert!(store.remove(&["a".into(), "zz".into()], &[], &[]));
    assert!(!store.remove(&["a".into()], &[], &[]));
    assert_eq!(store.leads().len(), 2);
    assert!(store.lead("a").is_none());
    assert_eq!(store.lead("c").unwrap().id, "c");
    assert_eq!(store.lead("b").unwrap().id, "b");
}
