//! A lead's history from the vendor, in one heap block a lead.
//!
//! Five lists a lead cost five blocks, each with its own header and the allocator's
//! overhead, and 12-byte times. Here they share one block of 8-byte words: two words of
//! lengths, then each list's entries in turn, every time a [`Moment`]. An empty history
//! costs no block at all. Build or edit one as [`HistoryLists`], read it through [`List`]s.

use std::marker::PhantomData;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

use super::moment::Moment;
use super::sym::Sym;

/// A property took `value` (`""`: cleared) at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PropChange {
    pub prop: Sym,
    pub value: Sym,
    pub at: DateTime<Utc>,
}

/// The lead passed to `owner_id` (`None`: no owner) at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OwnerChange {
    pub owner_id: Option<Sym>,
    pub at: DateTime<Utc>,
}

/// What a lead's properties were and when, as plain lists: what a vendor's mapping builds
/// and an edit changes, and the JSON form. Each list is oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryLists {
    pub props: Vec<PropChange>,
    pub owners: Vec<OwnerChange>,
    /// Every sales activity (call, email, meeting) the vendor dated, oldest first.
    #[serde(default)]
    pub sales_touches: Vec<DateTime<Utc>>,
    /// Every marketing touch (a marketing email sent), oldest first.
    #[serde(default)]
    pub marketing_touches: Vec<DateTime<Utc>>,
    /// Every campaign the lead converted on, oldest first, when the MAP keeps them all
    /// (Marketo's program successes); empty when only the first and last are known.
    #[serde(default)]
    pub campaigns: Vec<(DateTime<Utc>, Sym)>,
}

/// What a lead's properties were and when, from the vendor's history: the raw values the
/// stage rules read, the owner, the touches and the campaigns, to the millisecond.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "HistoryLists", into = "HistoryLists")]
pub struct History(ThinVec<u64>);

/// The two words of lengths before the entries.
const HEAD: usize = 2;

impl History {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn len_of(&self, list: usize) -> usize {
        let w = self.0.get(list / 2).copied().unwrap_or(0);
        (if list.is_multiple_of(2) {
            w as u32
        } else {
            (w >> 32) as u32
        }) as usize
    }

    /// Where each list's words start, and where the campaigns' start.
    fn bounds(&self) -> [usize; 5] {
        if self.0.is_empty() {
            return [0; 5];
        }
        let props = HEAD;
        let owners = props + self.len_of(0) * PropChange::WORDS;
        let sales = owners + self.len_of(1) * OwnerChange::WORDS;
        let marketing = sales + self.len_of(2);
        let campaigns = marketing + self.len_of(3);
        [props, owners, sales, marketing, campaigns]
    }

    fn list<T: Entry>(&self, k: usize) -> List<'_, T> {
        let b = self.bounds();
        let end = if k + 1 < b.len() {
            b[k + 1]
        } else {
            self.0.len()
        };
        List::new(&self.0[b[k]..end])
    }

    pub fn props(&self) -> List<'_, PropChange> {
        self.list(0)
    }

    pub fn owners(&self) -> List<'_, OwnerChange> {
        self.list(1)
    }

    /// Every sales activity (call, email, meeting) the vendor dated, oldest first.
    pub fn sales_touches(&self) -> List<'_, DateTime<Utc>> {
        self.list(2)
    }

    /// Every marketing touch (a marketing email sent), oldest first.
    pub fn marketing_touches(&self) -> List<'_, DateTime<Utc>> {
        self.list(3)
    }

    /// Every campaign the lead converted on, oldest first; empty when only the first and
    /// last are known.
    pub fn campaigns(&self) -> List<'_, (DateTime<Utc>, Sym)> {
        self.list(4)
    }

    /// Change the lists, packed again after: for the rare edit (a join adding the MAP's
    /// touches, a test).
    pub fn edit(&mut self, f: impl FnOnce(&mut HistoryLists)) {
        let mut lists = self.lists();
        f(&mut lists);
        *self = History::from(lists);
    }

    /// The lists, to edit; [`History::from`] packs them again.
    pub fn lists(&self) -> HistoryLists {
        HistoryLists {
            props: self.props().iter().collect(),
            owners: self.owners().iter().collect(),
            sales_touches: self.sales_touches().iter().collect(),
            marketing_touches: self.marketing_touches().iter().collect(),
            campaigns: self.campaigns().iter().collect(),
        }
    }
}

thread_local! {
    /// The words of the history being built: one list for every history a thread builds,
    /// so a start's million builds allocate only their blocks.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Builds a history list by list, in their order (props, owners, sales touches,
/// marketing touches, campaigns), straight into its block: what a decoder uses.
pub struct HistoryBuilder<'s> {
    words: &'s mut Vec<u64>,
    lens: [u64; 5],
    list: usize,
}

impl HistoryBuilder<'_> {
    fn push(&mut self, list: usize, words: &[u64]) {
        // A list after a later one would land inside it.
        assert!(list >= self.list, "history lists are built in order");
        self.list = list;
        self.lens[list] += 1;
        self.words.extend_from_slice(words);
    }

    pub fn prop(&mut self, prop: Sym, value: Sym, at: Moment) {
        let syms = u64::from(prop.number()) | u64::from(value.number()) << 32;
        self.push(0, &[at.bits(), syms])
    }

    pub fn owner(&mut self, owner_id: Option<Sym>, at: Moment) {
        self.push(1, &[at.bits(), u64::from(owner_id.map_or(0, Sym::number))])
    }

    pub fn sales_touch(&mut self, at: Moment) {
        self.push(2, &[at.bits()])
    }

    pub fn marketing_touch(&mut self, at: Moment) {
        self.push(3, &[at.bits()])
    }

    pub fn campaign(&mut self, at: Moment, campaign: Sym) {
        self.push(4, &[at.bits(), u64::from(campaign.number())])
    }
}

impl History {
    /// The history `fill` builds (`None` when it gives up), in one block at its exact size.
    pub fn build(fill: impl FnOnce(&mut HistoryBuilder) -> Option<()>) -> Option<History> {
        SCRATCH.with_borrow_mut(|words| {
            words.clear();
            words.extend([0; HEAD]);
            let mut b = HistoryBuilder {
                words,
                lens: [0; 5],
                list: 0,
            };
            fill(&mut b)?;
            let lens = b.lens;
            if lens.iter().all(|n| *n == 0) {
                return Some(History::default());
            }
            // A list past four billion entries is no lead's.
            if lens.iter().any(|n| *n > u64::from(u32::MAX)) {
                return None;
            }
            words[0] = lens[0] | lens[1] << 32;
            words[1] = lens[2] | lens[3] << 32;
            let mut out = ThinVec::with_capacity(words.len());
            out.extend_from_slice(words);
            Some(History(out))
        })
    }
}

impl From<HistoryLists> for History {
    fn from(h: HistoryLists) -> History {
        History::build(|b| {
            let m = Moment::of;
            (h.props.iter()).for_each(|c| b.prop(c.prop, c.value, m(c.at)));
            (h.owners.iter()).for_each(|c| b.owner(c.owner_id, m(c.at)));
            (h.sales_touches.iter()).for_each(|t| b.sales_touch(m(*t)));
            (h.marketing_touches.iter()).for_each(|t| b.marketing_touch(m(*t)));
            (h.campaigns.iter()).for_each(|(at, c)| b.campaign(m(*at), *c));
            Some(())
        })
        .unwrap_or_default()
    }
}

impl From<History> for HistoryLists {
    fn from(h: History) -> HistoryLists {
        h.lists()
    }
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.lists().fmt(f)
    }
}

/// One kind of history entry, as words.
pub trait Entry: Sized + 'static {
    const WORDS: usize;
    fn read(w: &[u64]) -> Self;
}

/// A bound's word: below a millisecond it is dropped, which compares exactly against
/// entries that are whole milliseconds.
fn time_word(t: DateTime<Utc>) -> u64 {
    Moment::of(t).bits()
}

fn word_time(w: u64) -> DateTime<Utc> {
    Moment::from_bits(w).map(Moment::at).unwrap_or_default()
}

fn sym_of(n: u32) -> Option<Sym> {
    NonZeroU32::new(n).map(Sym::from_number)
}

impl Entry for DateTime<Utc> {
    const WORDS: usize = 1;
    fn read(w: &[u64]) -> Self {
        word_time(w[0])
    }
}

/// A property change's second word: the property's number, then its value's.
fn prop_and_value(w: u64) -> (Sym, Sym) {
    let sym = |n: u64| sym_of(n as u32).unwrap_or_default();
    (sym(w), sym(w >> 32))
}

impl Entry for PropChange {
    const WORDS: usize = 2;
    fn read(w: &[u64]) -> Self {
        let (prop, value) = prop_and_value(w[1]);
        PropChange {
            at: word_time(w[0]),
            prop,
            value,
        }
    }
}

impl Entry for OwnerChange {
    const WORDS: usize = 2;
    fn read(w: &[u64]) -> Self {
        OwnerChange {
            at: word_time(w[0]),
            owner_id: sym_of(w[1] as u32),
        }
    }
}

impl Entry for (DateTime<Utc>, Sym) {
    const WORDS: usize = 2;
    fn read(w: &[u64]) -> Self {
        (word_time(w[0]), sym_of(w[1] as u32).unwrap_or_default())
    }
}

/// One list of a lead's history, read in place.
pub struct List<'a, T> {
    words: &'a [u64],
    kind: PhantomData<T>,
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for List<'_, T> {}

impl<'a, T: Entry> List<'a, T> {
    fn new(words: &'a [u64]) -> Self {
        List {
            words,
            kind: PhantomData,
        }
    }

    pub fn len(&self) -> usize {
        self.words.len() / T::WORDS
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<T> {
        (self.words.get(i * T::WORDS..(i + 1) * T::WORDS)).map(T::read)
    }

    pub fn first(&self) -> Option<T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = T> + ExactSizeIterator + 'a {
        self.words.chunks_exact(T::WORDS).map(T::read)
    }
}

impl<'a> List<'a, PropChange> {
    /// Each change with its time left a [`Moment`]: for a reader that compares times and
    /// needs few of them as dates (a timeline groups changes by instant).
    pub fn moments(&self) -> impl Iterator<Item = (Moment, Sym, Sym)> + 'a {
        self.words.chunks_exact(PropChange::WORDS).map(|w| {
            let (prop, value) = prop_and_value(w[1]);
            // Every entry's time word came from a Moment, so it is never zero.
            let at = Moment::from_bits(w[0]).unwrap_or(Moment::of(DateTime::UNIX_EPOCH));
            (at, prop, value)
        })
    }
}

impl List<'_, DateTime<Utc>> {
    /// Whether a touch fell after `from` and, if given, no later than `until`. Compared
    /// as whole milliseconds, which is exact: every touch is one.
    pub fn any_within(&self, from: DateTime<Utc>, until: Option<DateTime<Utc>>) -> bool {
        let from = time_word(from);
        let until = until.map_or(u64::MAX, time_word);
        self.words.iter().any(|w| *w > from && *w <= until)
    }

    /// The earliest touch after `from`, in whatever order the vendor listed them.
    pub fn first_after(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = time_word(from);
        (self.words.iter())
            .filter(|w| **w > from)
            .min()
            .map(|w| word_time(*w))
    }
}

impl<'a, T: Entry> IntoIterator for List<'a, T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::slice::ChunksExact<'a, u64>, fn(&[u64]) -> T>;

    fn into_iter(self) -> Self::IntoIter {
        self.words
            .chunks_exact(T::WORDS)
            .map(T::read as fn(&[u64]) -> T)
    }
}

impl<'a, T: Entry> IntoIterator for &List<'a, T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::slice::ChunksExact<'a, u64>, fn(&[u64]) -> T>;

    fn into_iter(self) -> Self::IntoIter {
        (*self).into_iter()
    }
}

impl<T: Entry + std::fmt::Debug> std::fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.words == other.words
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
pub(crate) mod tests;
