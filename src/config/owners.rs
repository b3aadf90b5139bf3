//! CRM owners the config names (coverage rotations, the nurture owner). The file alone cannot
//! tell a typo from a colleague, so each is kept with where it is written and checked once
//! the CRM's owners are known: `check`, `report` and the cockpit warn at `file:line:col`.

use super::schema::File;
use super::{Config, ConfigError};
use crate::domain::Owner;

/// One owner the config names.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerRef {
    /// As written: an email (or, for the nurture owner, a CRM id).
    pub owner: String,
    /// Where it is used, in words: `coverage segment "EMEA"`, `recycle.nurture_owner`.
    pub what: String,
    /// `file:line:col`.
    pub at: String,
    /// An id is allowed as well as an email (the nurture owner).
    pub by_id: bool,
}

const COVERAGE: &str = "coverage";
const RECYCLE: &str = "recycle.nurture_owner";
const TEAM: &str = "team";

/// The refs of the sections the file writes, and the base's for those it leaves out.
pub(super) fn refs(path: &str, text: &str, file: &File, base: Option<&Config>) -> Vec<OwnerRef> {
    let at = |span: std::ops::Range<usize>| {
        let e = ConfigError::at(path, text, Some(span), "");
        format!("{}:{}:{}", e.path, e.line, e.column)
    };
    let inherited = |prefix: &str| -> Vec<OwnerRef> {
        base.map(|b| {
            b.owner_refs
                .iter()
                .filter(|r| r.what.starts_with(prefix))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
    };
    let mut out = Vec::new();
    match &file.coverage {
        Some(c) => {
            for s in &c.segment {
                out.extend(s.owners.iter().map(|o| OwnerRef {
                    owner: o.get_ref().trim().to_string(),
                    what: format!("{COVERAGE} segment {:?}", s.matches),
                    at: at(o.span()),
                    by_id: false,
                }));
            }
            out.extend(c.fallback.iter().map(|o| OwnerRef {
                owner: o.get_ref().trim().to_string(),
                what: format!("{COVERAGE}.fallback"),
                at: at(o.span()),
                by_id: false,
            }));
        }
        None => out.extend(inherited(COVERAGE)),
    }
    if file.team.is_empty() {
        out.extend(inherited(TEAM));
    } else {
        out.extend(file.team.iter().map(|t| OwnerRef {
            owner: t.get_ref().lead.get_ref().trim().to_string(),
            what: format!("{TEAM} {:?} lead", t.get_ref().name.0.label()),
            at: at(t.get_ref().lead.span()),
            by_id: false,
        }));
    }
    match file.recycle.as_ref().and_then(|r| r.nurture_owner.as_ref()) {
        Some(o) => out.push(OwnerRef {
            owner: o.get_ref().trim().to_string(),
            what: RECYCLE.into(),
            at: at(o.span()),
            by_id: true,
        }),
        None => out.extend(inherited(RECYCLE)),
    }
    out
}

impl OwnerRef {
    fn matches(&self, o: &Owner) -> bool {
        o.email.eq_ignore_ascii_case(&self.owner) || (self.by_id && o.id == self.owner)
    }
}

impl Config {
    /// One warning per owner the config names that the CRM does not have. Nothing until
    /// the CRM's owners are known (`owners` empty).
    pub fn owner_warnings(&self, owners: &[Owner]) -> Vec<String> {
        if owners.is_empty() {
            return Vec::new();
        }
        self.owner_refs
            .iter()
            .filter(|r| !owners.iter().any(|o| r.matches(o)))
            .map(|r| {
                let effect = if r.what == RECYCLE {
                    "a recycled lead keeps its owner"
                } else {
                    "the rotation skips it"
                };
                format!(
                    "{}: warning: {} names {}, which is no CRM owner: {effect}",
                    r.at,
                    r.what,
                    crate::domain::text::clean_within(&r.owner, 80)
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: &str, email: &str) -> Owner {
        Owner {
            id: id.into(),
            name: email.into(),
            email: email.into(),
            team: None,
        }
    }

    #[test]
    fn owners_the_crm_lacks_are_named_where_they_are_written() {
        let text = "[coverage]\nsegment_by = \"region\"\nfallback = [\"ana@x.example\"]\n\
                    [[coverage.segment]]\nmatch = \"EMEA\"\nowners = [\"Lee@x.example\", \"typo@x.example\"]\n\
                    [recycle]\nnurture_owner = \"77\"\n";
        let c = Config::parse("c.toml", text).unwrap();
        let crm = [owner("1", "lee@x.example"), owner("77", "mia@x.example")];
        assert_eq!(
            c.owner_warnings(&crm),
            vec![
                "c.toml:6:28: warning: coverage segment \"EMEA\" names typo@x.example, which is no CRM owner: the rotation skips it",
                "c.toml:3:13: warning: coverage.fallback names ana@x.example, which is no CRM owner: the rotation skips it",
            ]
        );
        assert!(
            c.owner_warnings(&[]).is_empty(),
            "not before the owners are known"
        );
        // The built-in nurture owner is checked too, named where the defaults say it.
        let builtin = Config::builtin().owner_warnings(&crm);
        assert!(
            builtin.iter().any(|w| w.starts_with("<built-in defaults>:")
                && w.contains("recycle.nurture_owner names priya.venkataraman@tandemdemo.example")),
            "{builtin:?}"
        );
    }
}
