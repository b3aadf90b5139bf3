//! A lead's cached body in a compact binary form. A start from the cache decodes every lead
//! before the first frame, and JSON spent most of that time parsing dates and field names
//! (6.6 µs a lead, so 6.6 s at 1M); this form has neither: dates are integers, fields go in
//! a fixed order, and a body is about a third of the JSON's size.
//!
//! Layout: the version byte, then the fields in declaration order. Integers are LEB128
//! varints (signed ones zigzagged); text is its length then its bytes; an optional value
//! is a presence flag folded into the length or code (0 = none); a time is seconds then
//! nanoseconds; the twelve funnel dates share one presence mask. An interned value
//! (company, country, owner, campaign, property) is its text in version 1 and its number
//! in the cache's [`SymDict`] in version 2, which is what is written now; version 1 bodies
//! are still read, and rewritten in version 2 when their lead next changes.

use chrono::{DateTime, Utc};

use super::sym_dict::SymDict;
use crate::domain::dates::DATES;
use crate::domain::lead::{Card, History, LeadDates, Props, Sym};
use crate::domain::moment::Moment;
use crate::domain::{Lead, Stage};

/// Interned values as text.
const TEXT_SYMS: u8 = 1;
/// Interned values as the cache's numbers.
const NUMBERED_SYMS: u8 = 2;

/// Whether `body` is in the form written now (not JSON, not version 1).
pub fn is_current(body: rusqlite::types::ValueRef<'_>) -> bool {
    matches!(body, rusqlite::types::ValueRef::Blob(b) if b.first() == Some(&NUMBERED_SYMS))
}

/// `lead`'s body, naming its interned values by their numbers in `dict` (given there now
/// if new: the caller writes `dict`'s new numbers with the body).
pub fn encode(lead: &Lead, dict: &mut SymDict) -> Vec<u8> {
    write(lead, Some(dict))
}

/// A version 1 body, as tandem wrote them before the dictionary.
#[cfg(test)]
pub fn encode_text(lead: &Lead) -> Vec<u8> {
    write(lead, None)
}

fn write(lead: &Lead, dict: Option<&mut SymDict>) -> Vec<u8> {
    let version = if dict.is_some() {
        NUMBERED_SYMS
    } else {
        TEXT_SYMS
    };
    let mut w = Writer {
        out: Vec::with_capacity(160),
        dict,
    };
    w.out.push(version);
    for text in [lead.id.as_str(), lead.name(), lead.email()] {
        w.text(text);
    }
    w.sym(lead.company);
    w.text(lead.title());
    w.sym(lead.country);
    w.sym(lead.company_size);
    w.uint(lead.stage.map_or(0, |s| stage_code(s) + 1));
    w.opt_sym(lead.owner_id);
    w.sym(lead.source_channel);
    w.opt_sym(lead.first_campaign);
    w.opt_sym(lead.last_campaign);
    w.opt_sym(lead.recent_conversion);
    let dates = lead.dates.moments();
    let mask = dates
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_some())
        .fold(0u64, |m, (i, _)| m | 1 << i);
    w.uint(mask);
    for d in dates.iter().flatten() {
        w.time(d.at());
    }
    w.uint(lead.props.len() as u64);
    for (k, v) in lead.props.iter() {
        w.sym(*k);
        w.sym(*v);
    }
    w.time(lead.updated_at);
    let h = &lead.history;
    w.uint(h.props().len() as u64);
    for c in h.props().iter() {
        w.sym(c.prop);
        w.sym(c.value);
        w.time(c.at);
    }
    w.uint(h.owners().len() as u64);
    for c in h.owners().iter() {
        w.opt_sym(c.owner_id);
        w.time(c.at);
    }
    for touches in [h.sales_touches(), h.marketing_touches()] {
        w.uint(touches.len() as u64);
        for t in touches.iter() {
            w.time(t);
        }
    }
    w.uint(h.campaigns().len() as u64);
    for (at, campaign) in h.campaigns().iter() {
        w.time(at);
        w.sym(campaign);
    }
    w.out
}

/// The lead in `body`, or `None` when the body is not one this version wrote (truncated,
/// another version, a number `dict` lacks): the caller skips it as it skips any unreadable
/// row.
pub fn decode(body: &[u8], dict: &SymDict) -> Option<Lead> {
    let mut r = Reader {
        bytes: body,
        dict: None,
    };
    match r.byte()? {
        TEXT_SYMS => {}
        NUMBERED_SYMS => r.dict = Some(dict),
        _ => return None,
    }
    let id = r.str()?;
    let name = r.str()?;
    let email = r.str()?;
    let company = r.sym()?;
    let title = r.str()?;
    let country = r.sym()?;
    let company_size = r.sym()?;
    let stage = match r.uint()? {
        0 => None,
        n => Some(*Stage::ALL.iter().find(|s| stage_code(**s) + 1 == n)?),
    };
    let owner_id = r.opt_sym()?;
    let source_channel = r.sym()?;
    let first_campaign = r.opt_sym()?;
    let last_campaign = r.opt_sym()?;
    let recent_conversion = r.opt_sym()?;
    let mask = r.uint()?;
    let mut dates = [None; DATES];
    for (i, d) in dates.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *d = Some(r.moment()?);
        }
    }
    // Each list is allocated once at its size: a start decodes a million of them.
    let n = r.len()?;
    let mut props = Vec::with_capacity(n);
    for _ in 0..n {
        props.push((r.sym()?, r.sym()?));
    }
    let props: Props = props.into_iter().collect();
    let updated_at = r.time()?;
    let history = History::build(|h| {
        for _ in 0..r.len()? {
            h.prop(r.sym()?, r.sym()?, r.moment()?);
        }
        for _ in 0..r.len()? {
            h.owner(r.opt_sym()?, r.moment()?);
        }
        for _ in 0..r.len()? {
            h.sales_touch(r.moment()?);
        }
        for _ in 0..r.len()? {
            h.marketing_touch(r.moment()?);
        }
        for _ in 0..r.len()? {
            h.campaign(r.moment()?, r.sym()?);
        }
        Some(())
    })?;
    if !r.bytes.is_empty() {
        return None;
    }
    Some(Lead {
        id: id.into(),
        card: Card::new(name, email, title),
        company,
        country,
        company_size,
        stage,
        owner_id,
        source_channel,
        first_campaign,
        last_campaign,
        recent_conversion,
        dates: LeadDates::from_moments(dates),
        props,
        updated_at,
        history,
    })
}

/// A stage's code in the body: fixed by this table, not by the enum's order, so reordering
/// the enum cannot change what a cached body means.
fn stage_code(s: Stage) -> u64 {
    match s {
        Stage::Inquiry => 0,
        Stage::Mql => 1,
        Stage::Sal => 2,
        Stage::Sql => 3,
        Stage::Opportunity => 4,
        Stage::Customer => 5,
        Stage::Nurture => 6,
        Stage::Disqualified => 7,
    }
}

struct Writer<'d> {
    out: Vec<u8>,
    /// `None`: interned values as text (version 1).
    dict: Option<&'d mut SymDict>,
}

impl Writer<'_> {
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn text(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    fn sym(&mut self, s: Sym) {
        match self.dict.as_deref_mut() {
            Some(dict) => {
                let code = dict.code(s);
                self.uint(code);
            }
            None => self.text(&s),
        }
    }

    fn opt_sym(&mut self, s: Option<Sym>) {
        match (s, self.dict.as_deref_mut()) {
            (None, _) => self.uint(0),
            (Some(s), Some(dict)) => {
                let code = dict.code(s);
                self.uint(code + 1);
            }
            (Some(s), None) => {
                self.uint(s.len() as u64 + 1);
                self.out.extend_from_slice(s.as_bytes());
            }
        }
    }

    fn time(&mut self, t: DateTime<Utc>) {
        self.int(t.timestamp());
        self.uint(u64::from(t.timestamp_subsec_nanos()));
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    /// `None`: interned values as text (version 1).
    dict: Option<&'a SymDict>,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn int(&mut self) -> Option<i64> {
        let v = self.uint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A count of items, each at least a byte: more than the bytes left is corrupt.
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        (n <= self.bytes.len()).then_some(n)
    }

    fn take(&mut self, n: usize) -> Option<&'a str> {
        if n > self.bytes.len() {
            return None;
        }
        let (text, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        std::str::from_utf8(text).ok()
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.uint()?).ok()?;
        self.take(n)
    }

    fn sym(&mut self) -> Option<Sym> {
        match self.dict {
            Some(dict) => dict.sym(self.uint()?),
            None => self.str().map(Sym::new),
        }
    }

    fn opt_sym(&mut self) -> Option<Option<Sym>> {
        let n = self.uint()?;
        if n == 0 {
            return Some(None);
        }
        match self.dict {
            Some(dict) => dict.sym(n - 1).map(Some),
            None => self
                .take(usize::try_from(n - 1).ok()?)
                .map(|s| Some(Sym::new(s))),
        }
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        let secs = self.int()?;
        let nanos = u32::try_from(self.uint()?).ok()?;
        DateTime::from_timestamp(secs, nanos)
    }

    /// A time straight to a [`Moment`], with no calendar arithmetic on the way.
    fn moment(&mut self) -> Option<Moment> {
        let secs = self.int()?;
        let nanos = u32::try_from(self.uint()?).ok()?;
        Moment::from_parts(secs, nanos)
    }
}

#[cfg(test)]
#[path = "lead_codec_tests.rs"]
mod tests;
