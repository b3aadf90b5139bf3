//! Sales answering an MQL: accept it (it becomes theirs, in SAL) or reject it with a reason
//! the teams agreed on, which disqualifies or recycles it. Reasons roll up for marketing.

use std::collections::BTreeMap;

/// One agreed reason to reject an MQL.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectReason {
    /// Written into the note (`#reject reason=<code>`); letters, digits, `_`.
    pub code: String,
    pub label: String,
    /// Back to marketing's nurture (`true`) or out of the pipeline (disqualified).
    pub recycle: bool,
}

/// How many rejections each reason code has, most first (ties by code).
pub fn roll_up<'a>(codes: impl IntoIterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for c in codes {
        *by.entry(c).or_default() += 1;
    }
    let mut out: Vec<(String, usize)> = by.into_iter().map(|(c, n)| (c.to_string(), n)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons_roll_up_most_first() {
        let rolled = super::roll_up(["not_a_fit", "duplicate", "not_a_fit", "bad_data"]);
        assert_eq!(
            rolled,
            [
                ("not_a_fit".to_string(), 2),
                ("bad_data".to_string(), 1),
                ("duplicate".to_string(), 1)
            ]
        );
    }
}
