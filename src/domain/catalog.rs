//! What each shared stage means, who owns it, and how vendor records map onto it — as the
//! teams wrote it in their config.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use super::stage::{Stage, Team};
use super::sym::Sym;

#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub label: String,
    /// Whose move it is while a lead sits here; nobody's for an exit like disqualified.
    pub team: Option<Team>,
    pub definition: String,
}

/// One vendor rule: every listed property must have one of the listed values
/// (`""` matches an empty or missing value; `">= 60"`, `"> 50"`, `"<= 10"`, `"< 5"` a number
/// so compared). Case-insensitive.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRule {
    /// The vendor whose properties the rule reads, by its config id (`hubspot`,
    /// `salesforce`, `marketo`): `[[stage.<vendor>]]`.
    pub vendor: String,
    pub stage: Stage,
    pub priority: i32,
    pub when: Vec<(String, Vec<String>)>,
}

impl MatchRule {
    fn matches<'a>(&self, prop: &impl Fn(&str) -> Option<&'a str>) -> bool {
        self.when.iter().all(|(name, values)| {
            let actual = prop(name).map(str::trim).unwrap_or("");
            values.iter().any(|v| {
                // Only a value opening with a comparison can be a threshold: the others
                // (nearly all) skip the parse on a path every lead's every change takes.
                let threshold = match v.trim_start().as_bytes().first() {
                    Some(b'<' | b'>') => Threshold::parse(v),
                    _ => None,
                };
                match threshold {
                    Some(t) => t.admits(actual),
                    None => v.eq_ignore_ascii_case(actual),
                }
            })
        })
    }
}

/// A rule value that compares a number (`">= 60"`): a score threshold, say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub op: &'static str,
    pub bound: f64,
}

impl Threshold {
    /// `None` when `v` is a plain value to match.
    pub fn parse(v: &str) -> Option<Threshold> {
        let v = v.trim();
        let (op, rest) = [">=", "<=", ">", "<"]
            .into_iter()
            .find_map(|op| v.strip_prefix(op).map(|rest| (op, rest)))?;
        let bound: f64 = rest.trim().parse().ok().filter(|b: &f64| b.is_finite())?;
        Some(Threshold { op, bound })
    }

    /// Whether a property's value meets it; a missing or non-numeric value never does.
    pub fn admits(self, actual: &str) -> bool {
        let Ok(x) = actual.trim().parse::<f64>() else {
            return false;
        };
        match self.op {
            ">=" => x >= self.bound,
            "<=" => x <= self.bound,
            ">" => x > self.bound,
            _ => x < self.bound,
        }
    }

    /// As people write it: `≥ 60`.
    pub fn words(self) -> String {
        let op = match self.op {
            ">=" => "≥",
            "<=" => "≤",
            other => other,
        };
        format!("{op} {}", self.bound)
    }
}

#[derive(Debug, Clone)]
pub struct StageCatalog {
    /// In [`Stage::ALL`] order.
    info: Vec<StageInfo>,
    /// Highest priority first, then in the order written.
    rules: Vec<MatchRule>,
    /// Every property a rule reads, interned, for [`classify_interned`](Self::classify_interned).
    fields: Box<[Sym]>,
    /// Names these rules in the per-thread memo of `classify_interned`; a clone keeps it
    /// (same rules, same answers).
    memo_id: u64,
}

impl PartialEq for StageCatalog {
    fn eq(&self, other: &Self) -> bool {
        self.info == other.info && self.rules == other.rules
    }
}

/// The stage each combination of rule values gave, on this thread, for one catalog.
#[derive(Default)]
struct Memo {
    catalog: u64,
    /// The values of the catalog's fields, by interned number: the key being looked up.
    key: Vec<u32>,
    values: Vec<Sym>,
    stages: HashMap<Vec<u32>, Option<Stage>, foldhash::fast::RandomState>,
}

/// Past this many combinations (a threshold rule over a raw score can make many) the memo
/// starts over: it is a cache, not the record.
const MEMO_MAX: usize = 1 << 16;

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

impl StageCatalog {
    /// `info` must have one entry per stage, in [`Stage::ALL`] order.
    pub fn new(info: Vec<StageInfo>, mut rules: Vec<MatchRule>) -> Self {
        assert_eq!(info.len(), Stage::ALL.len(), "one StageInfo per stage");
        // A stable sort keeps the written order among equal priorities.
        rules.sort_by_key(|r| std::cmp::Reverse(r.priority));
        Self::of(info, rules)
    }

    fn of(info: Vec<StageInfo>, rules: Vec<MatchRule>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let mut fields: Vec<Sym> = Vec::new();
        for (name, _) in rules.iter().flat_map(|r| r.when.iter()) {
            let field = Sym::new(name);
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        StageCatalog {
            info,
            rules,
            fields: fields.into(),
            memo_id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    pub fn info(&self, stage: Stage) -> &StageInfo {
        &self.info[super::snapshot::stage_index(stage)]
    }

    pub fn team(&self, stage: Stage) -> Option<Team> {
        self.info(stage).team
    }

    /// The first matching rule's stage; `None` when no rule matches (shown as unmapped).
    pub fn classify<'a>(&self, prop: impl Fn(&str) -> Option<&'a str>) -> Option<Stage> {
        self.rules
            .iter()
            .find(|r| r.matches(&prop))
            .map(|r| r.stage)
    }

    /// [`classify`](Self::classify) for interned properties (`value(name)`, the empty
    /// value for a missing one). Each thread remembers the stage every combination of the
    /// rules' values gave: a start classifies a million leads and every point of their
    /// histories, and they share a few dozen combinations.
    pub fn classify_interned(&self, value: impl Fn(Sym) -> Sym) -> Option<Stage> {
        MEMO.with_borrow_mut(|memo| {
            if memo.catalog != self.memo_id || memo.stages.len() >= MEMO_MAX {
                memo.catalog = self.memo_id;
                memo.stages.clear();
            }
            let Memo {
                key,
                values,
                stages,
                ..
            } = memo;
            values.clear();
            values.extend(self.fields.iter().map(|f| value(*f)));
            key.clear();
            key.extend(values.iter().map(|v| v.number()));
            if let Some(stage) = stages.get(key.as_slice()) {
                return *stage;
            }
            let stage = self.classify(|name| {
                let at = self.fields.iter().position(|f| f.as_str() == name)?;
                Some(values[at].as_str()).filter(|v| !v.is_empty())
            });
            stages.insert(key.clone(), stage);
            stage
        })
    }

    pub fn rules(&self) -> &[MatchRule] {
        &self.rules
    }

    /// The same stages with only `vendors`' rules: what one source classifies by (a joined
    /// source, by its CRM's and its MAP's).
    pub fn for_vendors(&self, vendors: &[&str]) -> StageCatalog {
        StageCatalog::of(
            self.info.clone(),
            self.rules
                .iter()
                .filter(|r| vendors.contains(&r.vendor.as_str()))
                .cloned()
                .collect(),
        )
    }

    /// The fields `vendor`'s rules read, as written in its `[[stage.<vendor>]]` rules
    /// (without the tag the catalog files them under).
    pub fn fields_of(&self, vendor: &str) -> Vec<String> {
        let tag = format!("{vendor}.");
        let mut out: Vec<String> = self
            .rules
            .iter()
            .filter(|r| r.vendor == vendor)
            .flat_map(|r| r.when.iter())
            .map(|(name, _)| name.strip_prefix(&tag).unwrap_or(name).to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// This catalog with `other`'s rules after all of its own: a source loaded with it reads
    /// (and keeps the history of) every property either reads. Its own rules still decide
    /// wherever one matches; a replay classifies each side by that side's catalog.
    pub fn reading_also(&self, other: &StageCatalog) -> StageCatalog {
        let mut rules = self.rules.clone();
        rules.extend(other.rules.iter().map(|r| MatchRule {
            priority: i32::MIN,
            ..r.clone()
        }));
        StageCatalog::of(self.info.clone(), rules)
    }

    /// Every vendor property some rule reads, so the connector can ask for it.
    pub fn properties(&self) -> BTreeSet<String> {
        self.rules
            .iter()
            .flat_map(|r| r.when.iter().map(|(name, _)| name.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sym::Props;

    fn info() -> Vec<StageInfo> {
        Stage::ALL
            .iter()
            .map(|s| StageInfo {
                label: s.id().into(),
                team: None,
                definition: String::new(),
            })
            .collect()
    }

    fn rule(stage: Stage, priority: i32, when: &[(&str, &[&str])]) -> MatchRule {
        MatchRule {
            vendor: "hubspot".into(),
            stage,
            priority,
            when: when
                .iter()
                .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn a_score_threshold_compares_numbers_and_refuses_what_is_not_one() {
        let catalog = StageCatalog::new(
            info(),
            vec![rule(
                Stage::Mql,
                0,
                &[("lifecyclestage", &["lead"]), ("hubspotscore", &[">= 60"])],
            )],
        );
        let scored = |score: Option<&'static str>| {
            move |name: &str| match name {
                "lifecyclestage" => Some("lead"),
                "hubspotscore" => score,
                _ => None,
            }
        };
        assert_eq!(catalog.classify(scored(Some("60"))), Some(Stage::Mql));
        assert_eq!(catalog.classify(scored(Some(" 72.5 "))), Some(Stage::Mql));
        assert_eq!(catalog.classify(scored(Some("59.9"))), None);
        assert_eq!(catalog.classify(scored(Some("high"))), None, "not a number");
        assert_eq!(catalog.classify(scored(None)), None, "no score, no MQL");
        let t = |s| Threshold::parse(s).map(|t| (t.op, t.bound));
        assert_eq!(t(">=60"), Some((">=", 60.0)));
        assert_eq!(t("< 5"), Some(("<", 5.0)));
        assert_eq!(t(">= sixty"), None);
        assert_eq!(t("60"), None, "a plain value is matched, not compared");
        assert!(Threshold::parse("> 50").unwrap().admits("51"));
        assert!(!Threshold::parse("> 50").unwrap().admits("50"));
        assert!(Threshold::parse("<= 10").unwrap().admits("10"));
    }

    #[test]
    fn priority_then_written_order_and_empty_matches_missing() {
        let catalog = StageCatalog::new(
            info(),
            vec![
                rule(
                    Stage::Mql,
                    0,
                    &[
                        ("lifecyclestage", &["marketingqualifiedlead"]),
                        ("hs_lead_status", &["", "NEW"]),
                    ],
                ),
                rule(
                    Stage::Sal,
                    0,
                    &[("lifecyclestage", &["marketingqualifiedlead"])],
                ),
                rule(Stage::Nurture, 10, &[("hs_lead_status", &["BAD_TIMING"])]),
            ],
        );
        let lead = |lc: &'static str, st: Option<&'static str>| {
            move |name: &str| match name {
                "lifecyclestage" => Some(lc),
                "hs_lead_status" => st,
                _ => None,
            }
        };
        assert_eq!(
            catalog.classify(lead("marketingqualifiedlead", None)),
            Some(Stage::Mql)
        );
        assert_eq!(
            catalog.classify(lead("MarketingQualifiedLead", Some("new"))),
            Some(Stage::Mql)
        );
        assert_eq!(
            catalog.classify(lead("marketingqualifiedlead", Some("OPEN"))),
            Some(Stage::Sal)
        );
        assert_eq!(
            catalog.classify(lead("marketingqualifiedlead", Some("BAD_TIMING"))),
            Some(Stage::Nurture)
        );
        assert_eq!(catalog.classify(lead("other", None)), None);
        assert_eq!(
            catalog.properties().into_iter().collect::<Vec<_>>(),
            ["hs_lead_status", "lifecyclestage"]
        );
    }

    proptest::proptest! {
        /// The remembered answer is the rules' answer: for any properties, under two
        /// catalogs taking turns on one thread (each turn must not read the other's memo).
        #[test]
        fn classifying_interned_properties_agrees_with_the_rules(
            leads in proptest::collection::vec(
                proptest::collection::vec((0usize..5, 0usize..8), 0..5),
                1..40,
            )
        ) {
            let builtin = crate::config::Config::builtin().stages.clone();
            let scored = StageCatalog::new(
                info(),
                vec![
                    rule(Stage::Mql, 0, &[("lifecyclestage", &["lead"]), ("hubspotscore", &[">= 60"])]),
                    rule(Stage::Sql, 1, &[("hs_lead_status", &["", "CONNECTED"])]),
                ],
            );
            let names = ["lifecyclestage", "hs_lead_status", "hubspotscore", "other", "LifecycleStage"];
            let values = ["", "lead", "LEAD", "marketingqualifiedlead", "CONNECTED", " 72.5 ", "59", "customer"];
            // The same fields as `scored`, other stages: the memo's key alone cannot tell
            // the two apart.
            let swapped = StageCatalog::new(
                info(),
                vec![
                    rule(Stage::Customer, 0, &[("lifecyclestage", &["lead"]), ("hubspotscore", &[">= 60"])]),
                    rule(Stage::Nurture, 1, &[("hs_lead_status", &["", "CONNECTED"])]),
                ],
            );
            for (turn, props) in leads.iter().enumerate() {
                let props: Props = props.iter().map(|&(n, v)| (names[n], values[v])).collect();
                let catalog = [&builtin, &scored, &swapped][turn % 3];
                let by_text = catalog.classify(|name| {
                    props.get(name).map(|v| v.as_str()).filter(|v| !v.is_empty())
                });
                proptest::prop_assert_eq!(
                    catalog.classify_interned(|name| props.value_of(name)),
                    by_text
                );
            }
        }
    }
}
