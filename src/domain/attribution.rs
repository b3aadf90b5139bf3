//! Attribution: sharing each deal's amount over the campaign touches that led to it, so credit
//! is split by an agreed rule instead of argued about.

use chrono::{DateTime, Duration, Utc};

/// One campaign interaction of a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Touch {
    pub campaign: super::sym::Sym,
    pub at: DateTime<Utc>,
}

/// The moments W-shaped and full-path models give a fixed share to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Milestones {
    /// The contact became a lead (MQL).
    pub lead_created: Option<DateTime<Utc>>,
    /// The deal (opportunity) was created.
    pub opportunity_created: Option<DateTime<Utc>>,
    /// The deal closed (won).
    pub closed: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    FirstTouch,
    LastTouch,
    Linear,
    /// 40% first, 40% last, 20% spread over the middle.
    UShaped,
    /// 30% each to first touch, lead creation and opportunity creation, 10% spread.
    WShaped,
    /// 22.5% each to first touch, lead creation, opportunity creation and close, 10% spread.
    FullPath,
    /// Each touch weighs half as much per `half_life` before the deal was created.
    TimeDecay {
        half_life: Duration,
    },
}

impl Model {
    /// The order the KPI pane cycles through.
    pub fn all(half_life: Duration) -> [Model; 7] {
        [
            Model::FirstTouch,
            Model::LastTouch,
            Model::Linear,
            Model::UShaped,
            Model::WShaped,
            Model::FullPath,
            Model::TimeDecay { half_life },
        ]
    }

    pub fn id(self) -> &'static str {
        match self {
            Model::FirstTouch => "first_touch",
            Model::LastTouch => "last_touch",
            Model::Linear => "linear",
            Model::UShaped => "u_shaped",
            Model::WShaped => "w_shaped",
            Model::FullPath => "full_path",
            Model::TimeDecay { .. } => "time_decay",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Model::FirstTouch => "first touch",
            Model::LastTouch => "last touch",
            Model::Linear => "linear",
            Model::UShaped => "U-shaped",
            Model::WShaped => "W-shaped",
            Model::FullPath => "full path",
            Model::TimeDecay { .. } => "time decay",
        }
    }

    pub fn parse(id: &str, half_life: Duration) -> Option<Model> {
        Model::all(half_life).into_iter().find(|m| m.id() == id)
    }
}

/// Index of the last touch at or before `t` (the touch that "caused" that milestone).
fn touch_at(touches: &[Touch], t: Option<DateTime<Utc>>) -> Option<usize> {
    let t = t?;
    touches.iter().rposition(|x| x.at <= t)
}

/// Fixed shares for key touches, with `spread` shared by the others (or by everyone when
/// no other touch exists). Coinciding milestones add up on one touch.
fn positional(n: usize, keys: &[(Option<usize>, f64)], spread: f64) -> Vec<f64> {
    let mut w = vec![0.0; n];
    let mut unassigned = spread;
    for &(key, share) in keys {
        match key {
            Some(i) => w[i] += share,
            None => unassigned += share,
        }
    }
    let others: Vec<usize> = (0..n)
        .filter(|&i| keys.iter().all(|(k, _)| *k != Some(i)))
        .collect();
    let pool: Vec<usize> = if others.is_empty() {
        (0..n).collect()
    } else {
        others
    };
    for &i in &pool {
        w[i] += unassigned / pool.len() as f64;
    }
    w
}

/// Weights over `touches` (sorted by time), summing to 1; empty when there are none.
pub fn weights(model: Model, touches: &[Touch], m: &Milestones) -> Vec<f64> {
    let n = touches.len();
    if n == 0 {
        return Vec::new();
    }
    let w = match model {
        Model::FirstTouch => positional(n, &[(Some(0), 1.0)], 0.0),
        Model::LastTouch => positional(n, &[(Some(n - 1), 1.0)], 0.0),
        Model::Linear => vec![1.0 / n as f64; n],
        Model::UShaped if n == 1 => vec![1.0],
        Model::UShaped if n == 2 => vec![0.5, 0.5],
        Model::UShaped => positional(n, &[(Some(0), 0.4), (Some(n - 1), 0.4)], 0.2),
        Model::WShaped => positional(
            n,
            &[
                (Some(0), 0.3),
                (touch_at(touches, m.lead_created), 0.3),
                (touch_at(touches, m.opportunity_created), 0.3),
            ],
            0.1,
        ),
        Model::FullPath => positional(
            n,
            &[
                (Some(0), 0.225),
                (touch_at(touches, m.lead_created), 0.225),
                (touch_at(touches, m.opportunity_created), 0.225),
                (touch_at(touches, m.closed), 0.225),
            ],
            0.1,
        ),
        Model::TimeDecay { half_life } => {
            let reference = m.opportunity_created.unwrap_or_else(|| touches[n - 1].at);
            let half = half_life.num_seconds().max(1) as f64;
            touches
                .iter()
                .map(|t| {
                    let age = (reference - t.at).num_seconds().max(0) as f64;
                    0.5f64.powf(age / half)
                })
                .collect()
        }
    };
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

/// Share `amount` over `touches`; the credits sum to `amount` exactly (the last one takes
/// the rounding remainder). An amount that is not finite is invalid data and credits nobody.
pub fn credit(model: Model, amount: f64, touches: &[Touch], m: &Milestones) -> Vec<(String, f64)> {
    if !amount.is_finite() {
        return Vec::new();
    }
    let w = weights(model, touches, m);
    let mut out: Vec<(String, f64)> = Vec::with_capacity(w.len());
    let mut given = 0.0;
    for (i, (touch, weight)) in touches.iter().zip(&w).enumerate() {
        let share = if i + 1 == w.len() {
            amount - given
        } else {
            amount * weight
        };
        given += share;
        out.push((touch.campaign.to_string(), share));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(day: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::days(day)
    }

    fn touches(days: &[i64]) -> Vec<Touch> {
        days.iter()
            .enumerate()
            .map(|(i, d)| Touch {
                campaign: format!("c{i}").into(),
                at: t(*d),
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn hand_computed_weights() {
        let ts = touches(&[0, 5, 10, 20, 30]);
        let m = Milestones {
            lead_created: Some(t(12)),
            opportunity_created: Some(t(25)),
            closed: Some(t(40)),
        };
        assert!(close(
            &weights(Model::FirstTouch, &ts, &m),
            &[1.0, 0.0, 0.0, 0.0, 0.0]
        ));
        assert!(close(
            &weights(Model::LastTouch, &ts, &m),
            &[0.0, 0.0, 0.0, 0.0, 1.0]
        ));
        assert!(close(&weights(Model::Linear, &ts, &m), &[0.2; 5]));
        let third = 0.2 / 3.0;
        assert!(close(
            &weights(Model::UShaped, &ts, &m),
            &[0.4, third, third, third, 0.4]
        ));
        // W: first (c0), lead created → c2 (day 10), opportunity → c3 (day 20); 10% over c1, c4.
        assert!(close(
            &weights(Model::WShaped, &ts, &m),
            &[0.3, 0.05, 0.3, 0.3, 0.05]
        ));
        // Full path: close → c4 (day 30); 10% on c1.
        assert!(close(
            &weights(Model::FullPath, &ts, &m),
            &[0.225, 0.1, 0.225, 0.225, 0.225]
        ));
        // Time decay, half-life 7 days before day 25: ages 25, 20, 15, 5, -5→0 days.
        let hl = Duration::days(7);
        let raw: Vec<f64> = [25.0, 20.0, 15.0, 5.0, 0.0]
            .iter()
            .map(|a: &f64| 0.5f64.powf(a / 7.0))
            .collect();
        let sum: f64 = raw.iter().sum();
        let want: Vec<f64> = raw.iter().map(|x| x / sum).collect();
        assert!(close(
            &weights(Model::TimeDecay { half_life: hl }, &ts, &m),
            &want
        ));
    }

    #[test]
    fn small_paths_degrade_sensibly() {
        let m = Milestones::default();
        assert!(close(
            &weights(Model::UShaped, &touches(&[0, 1]), &m),
            &[0.5, 0.5]
        ));
        // No milestones known: W-shaped gives first touch 30% and spreads the rest.
        assert!(close(
            &weights(Model::WShaped, &touches(&[0, 1, 2]), &m),
            &[0.3, 0.35, 0.35]
        ));
        assert!(close(&weights(Model::FullPath, &touches(&[0]), &m), &[1.0]));
        assert!(weights(Model::Linear, &[], &m).is_empty());
    }

    #[test]
    fn an_amount_that_is_not_finite_credits_nobody() {
        let m = Milestones::default();
        for amount in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert!(credit(Model::Linear, amount, &touches(&[0, 1]), &m).is_empty());
        }
    }

    fn any_model() -> impl Strategy<Value = Model> {
        (0usize..7, 1i64..60).prop_map(|(i, hl)| Model::all(Duration::days(hl))[i])
    }

    proptest! {
        #[test]
        fn prop_credits_of_a_deal_sum_to_its_amount(
            model in any_model(),
            amount in 0.0f64..10_000_000.0,
            mut days in prop::collection::vec(0i64..365, 1..12),
            lead in prop::option::of(0i64..400),
            opp in prop::option::of(0i64..400),
            closed in prop::option::of(0i64..400),
        ) {
            days.sort();
            let ts = touches(&days);
            let m = Milestones {
                lead_created: lead.map(t),
                opportunity_created: opp.map(t),
                closed: closed.map(t),
            };
            let credits = credit(model, amount, &ts, &m);
            prop_assert_eq!(credits.len(), ts.len());
            let total: f64 = credits.iter().map(|(_, c)| c).sum();
            prop_assert!((total - amount).abs() <= 1e-6 * amount.max(1.0), "{} vs {}", total, amount);
            prop_assert!(credits.iter().all(|(_, c)| *c >= -1e-6 * amount.max(1.0)));
        }
    }
}
