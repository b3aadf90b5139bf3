//! The breach board: breached and warning SLA clocks grouped by the team that must act and
//! by SLA, most urgent first, and who must act on each one.
//!
//! Urgency has to compare clocks of different sizes and kinds (4 business hours to accept
//! an MQL, 14 calendar days to touch a recycled lead), so it is the time past due as a
//! share of the SLA's own limit, both measured on the SLA's own clock.

use chrono::{DateTime, Duration, Utc};

use super::business_hours::BusinessCalendar;
use super::lead::Owner;
use super::sla::{SlaDef, SlaState, SlaTimer};
use super::stage::Team;

/// Which clocks to list: one team's, one SLA's, or all (`None` keeps everything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub team: Option<Team>,
    /// Index into the SLA definitions.
    pub sla: Option<usize>,
}

impl Filter {
    pub fn keeps(&self, sla: usize, def: &SlaDef) -> bool {
        self.team.is_none_or(|t| t == def.team) && self.sla.is_none_or(|s| s == sla)
    }
}

/// Who an escalated breach of `team`'s went to: its lead (`lead`: the email the config
/// names), by the CRM's name for that email when the CRM has such an owner.
pub fn escalated_to(lead: Option<&str>, team: Team, owners: &[Owner]) -> String {
    match lead {
        Some(email) => owners
            .iter()
            .find(|o| o.email.eq_ignore_ascii_case(email))
            .map_or_else(|| email.to_string(), |o| o.name.clone()),
        None => format!("the {} lead (no [[team]] lead set)", team.label()),
    }
}

/// Time past due as a share of the SLA's limit (negative: time left). 54h58 over a
/// 4-business-hour limit is 13.7; 45d16 over a 14-calendar-day limit is 3.3.
pub fn urgency(def: &SlaDef, remaining: Duration) -> f64 {
    let limit = def.limit.num_seconds().max(1) as f64;
    -(remaining.num_seconds() as f64) / limit
}

/// One SLA's breached and warning clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Index into the SLA definitions.
    pub sla: usize,
    pub team: Team,
    /// Indices into the timers, most urgent first: within one SLA that is earliest due
    /// first, so every breach comes before every warning.
    pub timers: Vec<usize>,
    /// Breached clocks, escalated ones included.
    pub breached: usize,
    /// Of those, the ones gone up to the team's lead.
    pub escalated: usize,
    pub warnings: usize,
}

/// The breached and warning clocks at `now` that `filter` keeps, one group per SLA. Teams
/// come in order of their most urgent clock, a team's SLAs likewise, and a breach always
/// outranks a warning. Only each group's first clock has its remaining time worked out.
pub fn board(
    timers: &[SlaTimer],
    slas: &[SlaDef],
    cal: &BusinessCalendar,
    now: DateTime<Utc>,
    filter: Filter,
) -> Vec<Group> {
    let mut groups: Vec<Group> = slas
        .iter()
        .enumerate()
        .map(|(sla, def)| Group {
            sla,
            team: def.team,
            timers: Vec::new(),
            breached: 0,
            escalated: 0,
            warnings: 0,
        })
        .collect();
    for (i, t) in timers.iter().enumerate() {
        let Some(g) = groups.get_mut(t.sla) else {
            continue;
        };
        if !filter.keeps(t.sla, &slas[t.sla]) {
            continue;
        }
        match t.state(now) {
            SlaState::Running => continue,
            SlaState::Warning => g.warnings += 1,
            SlaState::Breached => g.breached += 1,
            SlaState::Escalated => {
                g.breached += 1;
                g.escalated += 1;
            }
        }
        g.timers.push(i);
    }
    groups.retain(|g| !g.timers.is_empty());
    for g in &mut groups {
        // Due order is urgency order within one SLA; ties keep the timers' own order.
        if !g.timers.is_sorted_by_key(|&i| timers[i].due_at) {
            g.timers.sort_by_key(|&i| (timers[i].due_at, i));
        }
    }
    let head = |g: &Group| {
        let (t, def) = (&timers[g.timers[0]], &slas[g.sla]);
        (t.state(now), urgency(def, t.remaining(def, cal, now)))
    };
    let mut keyed: Vec<((SlaState, f64), Group)> =
        groups.into_iter().map(|g| (head(&g), g)).collect();
    keyed.sort_by(|(a, ga), (b, gb)| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(ga.sla.cmp(&gb.sla))
    });
    // Teams in order of their most urgent group; the sort keeps each team's own order.
    let mut teams: Vec<Team> = Vec::new();
    for (_, g) in &keyed {
        if !teams.contains(&g.team) {
            teams.push(g.team);
        }
    }
    keyed.sort_by_key(|(_, g)| teams.iter().position(|t| *t == g.team));
    keyed.into_iter().map(|(_, g)| g).collect()
}

/// The groups holding clocks on leads `me` owns first (a rep's own breaches lead the board),
/// the rest after, each part in the board's order.
pub fn mine_first(
    groups: Vec<Group>,
    timers: &[SlaTimer],
    owner_of: impl Fn(&str) -> Option<String>,
    me: &str,
) -> Vec<Group> {
    let mine = |g: &Group| {
        g.timers
            .iter()
            .any(|&i| owner_of(&timers[i].lead_id).as_deref() == Some(me))
    };
    let (own, rest): (Vec<Group>, Vec<Group>) = groups.into_iter().partition(mine);
    own.into_iter().chain(rest).collect()
}

/// Where row `pos` of the board is: (group, timer index).
pub fn at(groups: &[Group], mut pos: usize) -> Option<(usize, usize)> {
    for (g, group) in groups.iter().enumerate() {
        match group.timers.get(pos) {
            Some(&t) => return Some((g, t)),
            None => pos -= group.timers.len(),
        }
    }
    None
}

/// Who must act on a breached lead: its owner when they are on the SLA's team (or their
/// team is unknown), else the SLA's queue. An MQL owned by marketing is still sales' to
/// accept, so it shows the sales queue, never a bare "—".
pub fn who_acts<'a>(def: &'a SlaDef, owner: Option<&'a Owner>) -> &'a str {
    match owner {
        Some(o) if o.team.is_none_or(|t| t == def.team) => &o.name,
        _ => &def.queue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;
    use crate::domain::lead::tests_support::lead_in;
    use crate::domain::sla::timer_for;
    use crate::domain::timeline::Timeline;

    fn at_(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// The built-in SLAs: mql_response (4 business hours), first_touch (24 business hours),
    /// nurture_pickup (14 calendar days).
    fn slas() -> Vec<SlaDef> {
        crate::config::Config::builtin().slas
    }

    /// Clocks for an MQL that entered at `mql` and a nurture lead recycled at `recycled`.
    fn timers(mql: &[&str], recycled: &[&str]) -> Vec<SlaTimer> {
        let (defs, cal) = (slas(), BusinessCalendar::default());
        let mut out = Vec::new();
        for (i, t) in mql.iter().enumerate() {
            let mut l = lead_in(Stage::Mql);
            l.id = format!("m{i}").into();
            l.dates.set_mql(Some(at_(t)));
            out.push(timer_for(0, &defs[0], &l, &Timeline::default(), &cal).unwrap());
        }
        for (i, t) in recycled.iter().enumerate() {
            let mut l = lead_in(Stage::Nurture);
            l.id = format!("n{i}").into();
            l.dates.set_inquiry(Some(at_(t)));
            out.push(timer_for(2, &defs[2], &l, &Timeline::default(), &cal).unwrap());
        }
        out.sort_by_key(|t| t.due_at);
        out
    }

    fn order<'a>(ts: &'a [SlaTimer], now: &str, filter: Filter) -> Vec<(Team, Vec<&'a str>)> {
        board(ts, &slas(), &BusinessCalendar::default(), at_(now), filter)
            .iter()
            .map(|g| {
                let ids = g.timers.iter().map(|&i| ts[i].lead_id.as_str()).collect();
                (g.team, ids)
            })
            .collect()
    }

    #[test]
    fn urgency_compares_clocks_as_a_share_of_their_limit() {
        let defs = slas();
        // 54h58 of business time over 4h: 13.7 limits; 45d16 over 14 days: 3.3.
        let mql = urgency(&defs[0], -(Duration::hours(54) + Duration::minutes(58)));
        let nurture = urgency(&defs[2], -(Duration::days(45) + Duration::hours(16)));
        assert!((mql - 13.74).abs() < 0.01, "{mql}");
        assert!((nurture - 3.26).abs() < 0.01, "{nurture}");
        assert_eq!(urgency(&defs[0], Duration::hours(1)), -0.25);
    }

    #[test]
    fn the_team_with_the_most_urgent_clock_comes_first_whatever_the_units() {
        // Friday 2026-11-20 15:02. The MQL from Tuesday 09:00 is 26h02 business time over
        // its 4h (6.5 limits); the recycle from 1 October is 36 days over 14 (2.6 limits),
        // far more time in raw seconds.
        let ts = timers(
            &["2026-11-17T09:00:00Z", "2026-11-20T14:00:00Z"],
            &["2026-10-01T08:00:00Z", "2026-11-01T09:00:00Z"],
        );
        let got = order(&ts, "2026-11-20T15:02:00Z", Filter::default());
        // The MQL from 14:00 is a running clock (1h02 of 4h): not on the board.
        assert_eq!(
            got,
            [
                (Team::Sales, vec!["m0"]),
                (Team::Marketing, vec!["n0", "n1"])
            ]
        );
        // An MQL only 0h30 over (0.125 limits) is less urgent than a recycle 5d06 over (0.38).
        let ts = timers(&["2026-11-20T10:32:00Z"], &["2026-11-01T09:00:00Z"]);
        let got = order(&ts, "2026-11-20T15:02:00Z", Filter::default());
        assert_eq!(
            got,
            [(Team::Marketing, vec!["n0"]), (Team::Sales, vec!["m0"])]
        );
    }

    #[test]
    fn a_breach_outranks_any_warning() {
        // The MQL is a warning (0h30 left), the recycle a breach by one minute.
        let ts = timers(&["2026-11-20T11:32:00Z"], &["2026-11-06T15:01:00Z"]);
        let got = order(&ts, "2026-11-20T15:02:00Z", Filter::default());
        assert_eq!(
            got,
            [(Team::Marketing, vec!["n0"]), (Team::Sales, vec!["m0"])]
        );
    }

    #[test]
    fn the_filter_keeps_one_team_or_one_sla() {
        let ts = timers(&["2026-11-17T09:00:00Z"], &["2026-10-01T08:00:00Z"]);
        let now = "2026-11-20T15:02:00Z";
        let marketing = Filter {
            team: Some(Team::Marketing),
            sla: None,
        };
        assert_eq!(order(&ts, now, marketing), [(Team::Marketing, vec!["n0"])]);
        let mql = Filter {
            team: None,
            sla: Some(0),
        };
        assert_eq!(order(&ts, now, mql), [(Team::Sales, vec!["m0"])]);
        let groups = board(
            &ts,
            &slas(),
            &BusinessCalendar::default(),
            at_(now),
            Filter::default(),
        );
        assert_eq!(at(&groups, 1).map(|(g, _)| g), Some(1));
        assert_eq!(at(&groups, 2), None);
    }

    #[test]
    fn who_acts_is_the_owner_on_the_team_else_the_queue() {
        let defs = slas();
        let owner = |team| Owner {
            id: "7".into(),
            name: "Sam Ortiz".into(),
            email: String::new(),
            team,
        };
        let sales = owner(Some(Team::Sales));
        let marketing = owner(Some(Team::Marketing));
        let unknown = owner(None);
        assert_eq!(who_acts(&defs[0], Some(&sales)), "Sam Ortiz");
        assert_eq!(who_acts(&defs[0], Some(&unknown)), "Sam Ortiz");
        assert_eq!(who_acts(&defs[0], Some(&marketing)), "Sales queue");
        assert_eq!(who_acts(&defs[0], None), "Sales queue");
        assert_eq!(who_acts(&defs[2], None), "Marketing queue");
    }
}
