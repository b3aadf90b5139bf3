//! A small hand-made world for UI tests, frozen at Friday 2026-11-20 15:02 UTC (ISO week 47).
//!
//! MQL clock (4 business hours, warning after 3): Priya entered at 09:50 and is 1h12 over,
//! Aiko entered Thursday 16:00 and is 3h02 over, Maria entered 11:42 and has 0h40 left
//! (warning), Tom entered 14:00 and has 3h58 left. Jonas (SAL, accepted Wednesday 10:00) has
//! 2h58 of his 24-hour first-touch clock left (warning). Omar was recycled to nurture on
//! 1 November and nobody touched him: 5 days 7 hours over the 14-day pickup.

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::domain::action::{Action, ActionKind};
use crate::domain::feedback::{NoteKind, Verdict};
use crate::domain::snapshot::Snapshot;
use crate::domain::{Deal, DealStage, Lead, LeadDates, Note, Owner, Stage, Team};
use crate::store::Store;
use crate::sync::{ActionStatus, OutboxEntry, SourceHealth};

use super::ViewCtx;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid test time")
        .with_timezone(&Utc)
}

pub const NOW: &str = "2026-11-20T15:02:00Z";

pub struct Fixture {
    /// Whether the outbox is a file (the default) or in memory (`--no-cache`).
    pub durable_outbox: bool,
    /// The CRM owner the user maps to (`None` by default; `Some("s1")` is Sam Ortiz).
    pub me: Option<&'static str>,
    pub store: Store,
    pub snapshot: Snapshot,
    pub config: Config,
    pub health: Vec<SourceHealth>,
    pub outbox: Vec<OutboxEntry>,
    pub now: DateTime<Utc>,
    pub simulated: bool,
}

struct L<'a> {
    id: &'a str,
    name: &'a str,
    company: &'a str,
    country: &'a str,
    size: &'a str,
    stage: Option<Stage>,
    owner: Option<&'a str>,
}

fn lead(l: L, dates: LeadDates) -> Lead {
    let email_name = l.name.split(' ').next().unwrap_or("x").to_lowercase();
    Lead {
        id: l.id.into(),
        name: l.name.into(),
        email: format!("{email_name}@{}.example", l.id),
        company: l.company.into(),
        title: "Head of Operations".into(),
        country: l.country.into(),
        company_size: l.size.into(),
        lifecycle: String::new(),
        lead_status: String::new(),
        stage: l.stage,
        owner_id: l.owner.map(str::to_string),
        source_channel: "PAID_SEARCH".into(),
        first_campaign: None,
        last_campaign: None,
        recent_conversion: None,
        dates,
        extra: Default::default(),
        updated_at: at(NOW),
    }
}

fn owner(id: &str, name: &str, team: Team) -> Owner {
    Owner {
        id: id.into(),
        name: name.into(),
        email: format!(
            "{}@tandem.example",
            name.split(' ').next().unwrap_or(id).to_lowercase()
        ),
        team: Some(team),
    }
}

fn feedback(
    id: &str,
    lead: &str,
    who: &str,
    when: &str,
    campaign: &str,
    verdict: Verdict,
    text: &str,
) -> Note {
    Note {
        id: id.into(),
        lead_ids: vec![lead.into()],
        owner_id: Some(who.into()),
        at: at(when),
        kind: NoteKind::Feedback {
            campaign: campaign.into(),
            verdict,
            text: text.into(),
        },
    }
}

fn leads() -> Vec<Lead> {
    let d = |f: fn(&mut LeadDates)| {
        let mut dates = LeadDates {
            created: Some(at("2026-11-02T09:00:00Z")),
            ..LeadDates::default()
        };
        f(&mut dates);
        dates
    };
    let mut out = vec![
        lead(
            L {
                id: "mql-breached",
                name: "Priya Natarajan",
                company: "Acme Robotics",
                country: "DE",
                size: "1000-5000",
                stage: Some(Stage::Mql),
                owner: Some("m1"),
            },
            d(|d| d.mql = Some(at("2026-11-20T09:50:00Z"))),
        ),
        lead(
            L {
                id: "mql-late",
                name: "Aiko Tanaka",
                company: "株式会社サクラ精機",
                country: "JP",
                size: "100-500",
                stage: Some(Stage::Mql),
                owner: Some("m2"),
            },
            d(|d| d.mql = Some(at("2026-11-19T16:00:00Z"))),
        ),
        lead(
            L {
                id: "mql-warning",
                name: "Maria Lopez",
                company: "Soltech",
                country: "US",
                size: "5-25",
                stage: Some(Stage::Mql),
                owner: Some("m1"),
            },
            d(|d| d.mql = Some(at("2026-11-20T11:42:00Z"))),
        ),
        lead(
            L {
                id: "mql-running",
                name: "Tom Becker",
                company: "Brightline Ltd",
                country: "GB",
                size: "25-50",
                stage: Some(Stage::Mql),
                owner: None,
            },
            d(|d| d.mql = Some(at("2026-11-20T14:00:00Z"))),
        ),
        lead(
            L {
                id: "sal-warning",
                name: "Jonas Weber",
                company: "Kleinfeld GmbH",
                country: "DE",
                size: "100-500",
                stage: Some(Stage::Sal),
                owner: Some("s1"),
            },
            d(|d| {
                d.mql = Some(at("2026-11-18T09:30:00Z"));
                d.accepted = Some(at("2026-11-18T10:00:00Z"));
            }),
        ),
        lead(
            L {
                id: "sal-touched",
                name: "Sofia Rossi",
                company: "Vento SpA",
                country: "IT",
                size: "500-1000",
                stage: Some(Stage::Sal),
                owner: Some("s2"),
            },
            d(|d| {
                d.mql = Some(at("2026-11-16T10:00:00Z"));
                d.accepted = Some(at("2026-11-16T11:30:00Z"));
                d.last_sales_activity = Some(at("2026-11-17T09:00:00Z"));
            }),
        ),
        lead(
            L {
                id: "inq-1",
                name: "Lena Hoffmann",
                company: "Nordlicht AG",
                country: "AT",
                size: "50-100",
                stage: Some(Stage::Inquiry),
                owner: Some("m1"),
            },
            d(|d| d.inquiry = Some(at("2026-11-19T13:00:00Z"))),
        ),
        lead(
            L {
                id: "inq-2",
                name: "Raj Patel",
                company: "Cobalt Systems",
                country: "IN",
                size: "1000-5000",
                stage: Some(Stage::Inquiry),
                owner: None,
            },
            d(|d| d.inquiry = Some(at("2026-11-20T08:00:00Z"))),
        ),
        lead(
            L {
                id: "inq-long",
                name: "Maximilian Alexander von Hohenzollern-Sigmaringen",
                company: "Internationale Maschinenbau- und Verwaltungsgesellschaft mbH",
                country: "CH",
                size: "10000+",
                stage: Some(Stage::Inquiry),
                owner: Some("m2"),
            },
            d(|d| d.inquiry = Some(at("2026-11-12T08:00:00Z"))),
        ),
        lead(
            L {
                id: "sql-1",
                name: "Emma Dubois",
                company: "Atelier Numérique",
                country: "FR",
                size: "100-500",
                stage: Some(Stage::Sql),
                owner: Some("s2"),
            },
            d(|d| {
                d.mql = Some(at("2026-11-10T10:00:00Z"));
                d.accepted = Some(at("2026-11-10T12:00:00Z"));
                d.sql = Some(at("2026-11-17T11:00:00Z"));
            }),
        ),
        lead(
            L {
                id: "opp-1",
                name: "Noah Williams",
                company: "Harborline Logistics",
                country: "US",
                size: "5000-10000",
                stage: Some(Stage::Opportunity),
                owner: Some("s1"),
            },
            d(|d| {
                d.mql = Some(at("2026-11-03T10:00:00Z"));
                d.accepted = Some(at("2026-11-03T11:00:00Z"));
                d.sql = Some(at("2026-11-06T11:00:00Z"));
                d.opportunity = Some(at("2026-11-16T09:00:00Z"));
            }),
        ),
        lead(
            L {
                id: "cust-1",
                name: "Olivia Brown",
                company: "Pinecrest Health",
                country: "CA",
                size: "1000-5000",
                stage: Some(Stage::Customer),
                owner: Some("s2"),
            },
            d(|d| d.customer = Some(at("2026-11-18T16:00:00Z"))),
        ),
        lead(
            L {
                id: "nurture-1",
                name: "Omar Haddad",
                company: "Dune Analytics",
                country: "AE",
                size: "25-50",
                stage: Some(Stage::Nurture),
                owner: Some("m2"),
            },
            d(|d| d.inquiry = Some(at("2026-11-01T08:00:00Z"))),
        ),
        lead(
            L {
                id: "dq-1",
                name: "Greta Lind",
                company: "Fjord Foods",
                country: "SE",
                size: "5-25",
                stage: Some(Stage::Disqualified),
                owner: None,
            },
            LeadDates::default(),
        ),
        lead(
            L {
                id: "unmapped-1",
                name: "Pat Doe",
                company: "Mystery Co",
                country: "",
                size: "",
                stage: None,
                owner: None,
            },
            LeadDates::default(),
        ),
    ];
    for l in &mut out {
        match l.id.as_str() {
            "mql-breached" => {
                l.last_campaign = Some("ROI calculator webinar".into());
                l.first_campaign = Some("Q4 security whitepaper".into());
                l.recent_conversion = Some("ROI calculator".into());
            }
            "inq-1" | "mql-warning" | "sal-warning" => {
                l.first_campaign = Some("ROI calculator webinar".into());
            }
            "opp-1" => l.first_campaign = Some("Q4 security whitepaper".into()),
            "unmapped-1" => l.lifecycle = "other".into(),
            _ => {}
        }
    }
    out
}

fn notes() -> Vec<Note> {
    vec![
        feedback(
            "n1",
            "opp-1",
            "s1",
            "2026-11-20T13:02:00Z",
            "ROI calculator webinar",
            Verdict::Works,
            "CFOs quoted the payback slide back to me",
        ),
        feedback(
            "n2",
            "sal-warning",
            "s2",
            "2026-11-18T10:00:00Z",
            "ROI calculator webinar",
            Verdict::Works,
            "good opener",
        ),
        feedback(
            "n3",
            "sql-1",
            "s2",
            "2026-11-19T11:00:00Z",
            "Q4 security whitepaper",
            Verdict::DoesNotWork,
            "too technical for the buyer persona",
        ),
        feedback(
            "n4",
            "cust-1",
            "s1",
            "2026-11-17T09:00:00Z",
            "Q4 security whitepaper",
            Verdict::DoesNotWork,
            "nobody read past page two",
        ),
        feedback(
            "n5",
            "mql-breached",
            "s1",
            "2026-11-16T09:00:00Z",
            "Customer story: Kleinfeld",
            Verdict::Works,
            "peers in the same industry made it click",
        ),
        Note {
            id: "n6".into(),
            lead_ids: vec!["mql-breached".into()],
            owner_id: Some("m1".into()),
            at: at("2026-11-20T10:05:00Z"),
            kind: NoteKind::Plain(
                "Asked for pricing on the webinar; wants a call before Friday".into(),
            ),
        },
        Note {
            id: "n7".into(),
            lead_ids: vec!["nurture-1".into()],
            owner_id: Some("s2".into()),
            at: at("2026-11-01T08:00:00Z"),
            kind: NoteKind::Recycle {
                reason: Some("bad_timing".into()),
                text: "budget frozen until Q1".into(),
            },
        },
    ]
}

fn deals() -> (Vec<DealStage>, Vec<Deal>) {
    let stage = |id: &str, closed, won| DealStage {
        id: id.into(),
        label: id.into(),
        order: 0,
        is_closed: closed,
        is_won: won,
    };
    let deal = |id: &str, amount: f64, stage: &str, contact: &str, close: Option<&str>| Deal {
        id: id.into(),
        name: format!("{contact} deal"),
        amount,
        stage_id: stage.into(),
        created_at: Some(at("2026-11-16T09:00:00Z")),
        close_date: close.map(at),
        owner_id: Some("s1".into()),
        contact_ids: vec![contact.into()],
        updated_at: at(NOW),
    };
    (
        vec![
            stage("open", false, false),
            stage("won", true, true),
            stage("lost", true, false),
        ],
        vec![
            deal("d1", 1_200_000.0, "open", "opp-1", None),
            deal(
                "d2",
                300_000.0,
                "won",
                "cust-1",
                Some("2026-11-18T16:00:00Z"),
            ),
            deal(
                "d3",
                80_000.0,
                "lost",
                "sql-1",
                Some("2026-11-19T12:00:00Z"),
            ),
        ],
    )
}

fn entry(
    id: u64,
    lead_id: &str,
    lead_name: &str,
    kind: ActionKind,
    status: ActionStatus,
    updated: &str,
) -> OutboxEntry {
    OutboxEntry {
        action: Action {
            id,
            key: format!("k{id}"),
            lead_id: lead_id.into(),
            lead_name: lead_name.into(),
            kind,
            seen: Default::default(),
            actor: Default::default(),
            created_at: at(updated),
        },
        status,
        updated_at: at(updated),
    }
}

impl Fixture {
    pub fn new() -> Self {
        let mut store = Store::default();
        store.set_owners(vec![
            owner("m1", "Dana Kim", Team::Marketing),
            owner("m2", "Alex Rivera", Team::Marketing),
            owner("s1", "Sam Ortiz", Team::Sales),
            owner("s2", "Lee Chen", Team::Sales),
        ]);
        store.upsert_leads(leads());
        store.upsert_notes(notes());
        let (stages, deals) = deals();
        store.set_deal_stages(stages);
        store.upsert_deals(deals);
        let mut health = SourceHealth::new("HubSpot");
        health.loaded = true;
        health.last_success = Some(at("2026-11-20T15:01:48Z"));
        let handoff = |o: &str| ActionKind::HandOff { owner_id: o.into() };
        let outbox = vec![
            entry(
                1,
                "mql-warning",
                "Maria Lopez",
                handoff("s2"),
                ActionStatus::Queued,
                "2026-11-20T15:01:30Z",
            ),
            entry(
                2,
                "sal-warning",
                "Jonas Weber",
                handoff("s1"),
                ActionStatus::Done,
                "2026-11-20T15:01:55Z",
            ),
        ];
        let mut fx = Fixture {
            me: None,
            durable_outbox: true,
            store,
            snapshot: Snapshot::default(),
            config: Config::builtin(),
            health: vec![health],
            outbox,
            now: at(NOW),
            simulated: true,
        };
        fx.rebuild();
        fx
    }

    /// No data at all, first load under way. The snapshot is built from the empty store, as
    /// the app builds one before the first page arrives: zero MQLs, a pace far behind.
    pub fn empty() -> Self {
        let mut health = SourceHealth::new("HubSpot");
        health.loaded_leads = 1200;
        let mut fx = Fixture {
            me: None,
            durable_outbox: true,
            store: Store::default(),
            snapshot: Snapshot::default(),
            config: Config::builtin(),
            health: vec![health],
            outbox: Vec::new(),
            now: at(NOW),
            simulated: false,
        };
        fx.rebuild();
        fx
    }

    /// `n` extra MQL leads, for virtualisation tests.
    pub fn big(n: usize) -> Self {
        let mut fx = Fixture::new();
        let extra: Vec<Lead> = (0..n)
            .map(|i| {
                let id = format!("bulk-{i:05}");
                let name = format!("Bulk Lead {i:05}");
                let mut l = lead(
                    L {
                        id: &id,
                        name: &name,
                        company: "Bulk Co",
                        country: "US",
                        size: "25-50",
                        stage: Some(Stage::Mql),
                        owner: None,
                    },
                    LeadDates::default(),
                );
                // Spread MQL times over the last weeks so the order is by due time.
                l.dates.mql = Some(at(NOW) - Duration::minutes(7 * i as i64 + 1));
                l
            })
            .collect();
        fx.store.upsert_leads(extra);
        fx.rebuild();
        fx
    }

    pub fn rebuild(&mut self) {
        self.snapshot =
            self.store
                .snapshot(&self.config, crate::domain::kpi::PeriodKind::Week, self.now);
    }

    /// Move a lead to another stage (as a sync would) and rebuild the snapshot.
    pub fn move_lead(&mut self, id: &str, stage: Stage) {
        let mut lead = self.store.lead(id).expect("lead in fixture").clone();
        lead.stage = Some(stage);
        lead.dates.accepted = Some(self.now);
        lead.dates.last_sales_activity = Some(self.now + Duration::seconds(1));
        self.store.upsert_leads(vec![lead]);
        self.rebuild();
    }

    pub fn ctx(&self) -> ViewCtx<'_> {
        ViewCtx {
            store: &self.store,
            snapshot: &self.snapshot,
            config: &self.config,
            health: &self.health,
            outbox: &self.outbox,
            now: self.now,
            simulated: self.simulated,
            durable_outbox: self.durable_outbox,
            lens: "everyone",
            me: self.me,
        }
    }
}

/// The screen as text, one line per row, drawn from `ui` over the fixture at `w`×`h`.
pub fn screen(ui: &super::UiState, fx: &Fixture, w: u16, h: u16) -> String {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| super::draw(f, ui, &fx.ctx())).expect("draw");
    let buf = term.backend().buffer().clone();
    buf.content
        .chunks(usize::from(w))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A UI over the fixture with the named lead selected in its stage's list.
pub fn on_lead(fx: &Fixture, name: &str) -> super::UiState {
    let mut ui = super::UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    let stage = fx
        .store
        .leads()
        .iter()
        .find(|l| l.name == name)
        .and_then(|l| l.stage)
        .expect("a lead in a stage");
    ui.leads
        .set_stage(crate::domain::snapshot::stage_index(stage), &ctx);
    let pos = ui
        .leads
        .visible(&ctx)
        .iter()
        .position(|&i| fx.store.leads()[i].name == name)
        .expect("listed in its stage");
    ui.leads.select(pos, &ctx);
    ui
}
