use super::*;
use crate::domain::Stage;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::sym::Sym;

fn owner(id: &str, team: Team) -> Owner {
    Owner {
        id: id.into(),
        name: format!("Owner {id}"),
        email: format!("{id}@x.example"),
        team: Some(team),
    }
}

fn lead(id: &str, stage: Stage, owner: Option<&str>, company: &str, country: &str) -> Lead {
    let mut l = lead_in(stage);
    l.id = id.into();
    l.owner_id = owner.map(Sym::from);
    l.company = company.into();
    l.country = country.into();
    l
}

fn deal(id: &str, contact: &str, amount: f64, stage: &str, owner: &str) -> Deal {
    Deal {
        id: id.into(),
        name: id.into(),
        amount,
        stage_id: stage.into(),
        created_at: None,
        close_date: None,
        owner_id: Some(owner.into()),
        contact_ids: vec![contact.into()],
        updated_at: chrono::DateTime::UNIX_EPOCH,
        stage_history: Vec::new(),
    }
}

fn stages() -> Vec<DealStage> {
    vec![
        DealStage {
            id: "open".into(),
            label: "Open".into(),
            order: 0,
            is_closed: false,
            is_won: false,
        },
        DealStage {
            id: "won".into(),
            label: "Won".into(),
            order: 1,
            is_closed: true,
            is_won: true,
        },
    ]
}

fn stage_team(s: Stage) -> Option<Team> {
    match s {
        Stage::Inquiry | Stage::Nurture => Some(Team::Marketing),
        Stage::Disqualified => None,
        _ => Some(Team::Sales),
    }
}

fn kept(
    lens: &Lens,
    leads: &[Lead],
    deals: &[Deal],
    owners: &[Owner],
) -> (Vec<String>, Vec<String>) {
    let st = stages();
    let input = LensInput {
        leads,
        deals,
        deal_stages: &st,
        owners,
        stage_team: &stage_team,
    };
    let k = keep(lens, &input);
    let mut l: Vec<String> = k.leads.into_iter().collect();
    let mut d: Vec<String> = k.deals.into_iter().collect();
    l.sort();
    d.sort();
    (l, d)
}

#[test]
fn each_lens_keeps_its_own_leads_and_deals() {
    let owners = [owner("s1", Team::Sales), owner("m1", Team::Marketing)];
    let leads = [
        lead("a", Stage::Sal, Some("s1"), "Acme", "DE"),
        lead("b", Stage::Mql, None, "Beta", "US"),
        lead("c", Stage::Inquiry, Some("m1"), "Acme", "DE"),
        lead("d", Stage::Nurture, None, "Gamma", "JP"),
    ];
    let deals = [
        deal("x", "a", 50_000.0, "open", "s1"),
        deal("y", "b", 10_000.0, "open", "s1"),
        deal("z", "d", 90_000.0, "won", "s1"),
    ];
    let me = Lens::Owner {
        id: "s1".into(),
        name: "Owner s1".into(),
        me: true,
    };
    // Their own lead, and the unowned MQL in the sales queue; their deals.
    assert_eq!(
        kept(&me, &leads, &deals, &owners),
        (
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into(), "z".into()]
        )
    );
    // A team: its owners' leads, and the unowned leads in its stages' queue.
    let (sales, _) = kept(&Lens::Team(Team::Sales), &leads, &deals, &owners);
    assert_eq!(sales, ["a", "b"]);
    let (marketing, _) = kept(&Lens::Team(Team::Marketing), &leads, &deals, &owners);
    assert_eq!(marketing, ["c", "d"]);
    // Top account by open deal value: Acme (50k); Gamma's deal is closed.
    let (top, top_deals) = kept(&Lens::TopAccounts(1), &leads, &deals, &owners);
    assert_eq!(
        (top, top_deals),
        (vec!["a".into(), "c".into()], vec!["x".into()])
    );
    // A named account list, matched without regard to case.
    let (named, _) = kept(
        &Lens::NamedAccounts(vec!["beta".into()]),
        &leads,
        &deals,
        &owners,
    );
    assert_eq!(named, ["b"]);
    let (all, _) = kept(&Lens::All, &leads, &deals, &owners);
    assert_eq!(all.len(), 4);
}

#[test]
fn the_cycle_starts_with_me_and_ends_with_everyone() {
    let leads = [
        lead("a", Stage::Sal, Some("s1"), "Acme", "DE"),
        lead("b", Stage::Mql, None, "Beta", "US"),
    ];
    let me = owner("s1", Team::Sales);
    let cycle = Lens::cycle(Some(&me), &leads, &TopAccounts::default());
    assert_eq!(cycle[0].label(), "me (Owner s1)");
    assert_eq!(cycle.last(), Some(&Lens::All));
    assert!(cycle.contains(&Lens::Segment("EMEA ent".into())));
    assert!(cycle.contains(&Lens::TopAccounts(20)));
    let none = TopAccounts {
        count: 0,
        named: Vec::new(),
    };
    assert_eq!(Lens::cycle(None, &leads, &none)[0], Lens::Team(Team::Sales));
    assert!(
        !Lens::cycle(None, &leads, &none)
            .iter()
            .any(|l| matches!(l, Lens::TopAccounts(_)))
    );
    let named = TopAccounts {
        count: 20,
        named: vec!["acme".into()],
    };
    assert!(Lens::cycle(None, &leads, &named).contains(&Lens::NamedAccounts(vec!["acme".into()])));
}
