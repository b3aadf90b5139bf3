//! Interned text for the values a million leads repeat: owners, companies, countries, size
//! bands, channels, campaigns and the raw stage properties. Each distinct value is stored
//! once for the life of the process and a lead holds a 4-byte number for it, so a value
//! shared by 100k leads costs its bytes once instead of 100k heap strings, and a lead's
//! eight such fields take 32 bytes instead of 192.
//!
//! Only categorical values belong here: the interner never forgets, so text unique to one
//! lead (its id, name, email, title) stays a `String`.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One interned value; compares, hashes and orders as its text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sym(NonZeroU32);

/// Text by number, readable without a lock: chunk `k` holds `FIRST << k` entries, each
/// chunk and entry written once (under the interner's lock) and never moved, so a `Sym`
/// reads its text with two atomic loads however many values are added later.
const FIRST: usize = 64;
const CHUNKS: usize = 27;

struct Texts {
    chunks: [OnceLock<Box<[OnceLock<&'static str>]>>; CHUNKS],
}

/// Where number `n` (from 1) lives: its chunk and its place in it.
fn place(n: u32) -> (usize, usize) {
    let i = n as usize - 1 + FIRST;
    let k = (usize::BITS - 1 - i.leading_zeros()) as usize - FIRST.trailing_zeros() as usize;
    (k, i - (FIRST << k))
}

fn texts() -> &'static Texts {
    static TEXTS: Texts = Texts {
        chunks: [const { OnceLock::new() }; CHUNKS],
    };
    &TEXTS
}

/// The numbers given so far, by text. A start interns fifteen values a lead, fifteen
/// million at 1M: foldhash (seeded, so still no crafted collisions) hashes them in a third
/// of SipHash's time.
type Numbers = HashMap<&'static str, NonZeroU32, foldhash::fast::RandomState>;

fn numbers() -> &'static Mutex<Numbers> {
    static NUMBERS: OnceLock<Mutex<Numbers>> = OnceLock::new();
    NUMBERS.get_or_init(|| Mutex::new(Numbers::default()))
}

/// The empty text is number 1, known without asking the interner.
const EMPTY: Sym = Sym(NonZeroU32::MIN);

impl Default for Sym {
    fn default() -> Self {
        EMPTY
    }
}

/// Past this many values a thread's own table starts over (it is a cache, not the record).
const SEEN_MAX: usize = 1 << 16;

thread_local! {
    /// The values this thread interned lately, by text. A start decodes a million leads on
    /// two threads, each interning fifteen values a lead, nearly all seen before: looked up
    /// here they never wait for the other thread's lock.
    static SEEN: std::cell::RefCell<Numbers> = std::cell::RefCell::new(Numbers::default());
}

impl Sym {
    pub fn new(text: &str) -> Sym {
        if text.is_empty() {
            return EMPTY;
        }
        if let Some(n) = SEEN.with_borrow(|seen| seen.get(text).copied()) {
            return Sym(n);
        }
        let sym = Sym::shared(text);
        SEEN.with_borrow_mut(|seen| {
            if seen.len() >= SEEN_MAX {
                seen.clear();
            }
            seen.insert(sym.as_str(), sym.0);
        });
        sym
    }

    /// The number of `text` in the process's table, given it now if it has none.
    fn shared(text: &str) -> Sym {
        let mut numbers = numbers()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&n) = numbers.get(text) {
            return Sym(n);
        }
        // Number 1 is the empty text; the others follow in the order first seen.
        let n = u32::try_from(numbers.len() + 2)
            .ok()
            .and_then(NonZeroU32::new)
            .expect("fewer than four billion distinct values");
        let held: &'static str = Box::leak(text.to_owned().into_boxed_str());
        let (k, at) = place(n.get());
        let chunk =
            texts().chunks[k].get_or_init(|| (0..FIRST << k).map(|_| OnceLock::new()).collect());
        let _ = chunk[at].set(held);
        numbers.insert(held, n);
        Sym(n)
    }

    /// The value's number in this process (1 is the empty text): a key that hashes without
    /// reading the text. It differs between processes, so it is never written anywhere.
    pub fn number(self) -> u32 {
        self.0.get()
    }

    /// The value [`number`](Self::number) gave `n` in this process; only for numbers it
    /// gave (a lead's history keeps its values so).
    pub(super) fn from_number(n: NonZeroU32) -> Sym {
        Sym(n)
    }

    pub fn as_str(&self) -> &'static str {
        if *self == EMPTY {
            return "";
        }
        let (k, at) = place(self.0.get());
        // A Sym exists only once its text was written (in `new`, before the Sym left it).
        texts().chunks[k]
            .get()
            .and_then(|chunk| chunk[at].get())
            .copied()
            .expect("an interned value's text")
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Sym) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sym {
    fn cmp(&self, other: &Sym) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl From<&str> for Sym {
    fn from(text: &str) -> Sym {
        Sym::new(text)
    }
}

impl From<&String> for Sym {
    fn from(text: &String) -> Sym {
        Sym::new(text)
    }
}

impl From<String> for Sym {
    fn from(text: String) -> Sym {
        Sym::new(&text)
    }
}

impl From<Sym> for String {
    fn from(sym: Sym) -> String {
        sym.as_str().to_string()
    }
}

impl From<&Sym> for String {
    fn from(sym: &Sym) -> String {
        sym.as_str().to_string()
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sym, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Sym;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sym, E> {
                Ok(Sym::new(v))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A lead's raw vendor properties by name, sorted: a boxed slice, because a lead carries
/// one to three of them and a map's node would cost half a kilobyte each.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Props(Box<[(Sym, Sym)]>);

impl Props {
    /// The value of `name` (the empty value when there is none), found by number: a lead
    /// holds a handful of properties, so a scan beats comparing texts in a search.
    pub fn value_of(&self, name: Sym) -> Sym {
        (self.0.iter())
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<&Sym> {
        self.position(name).ok().map(|i| &self.0[i].1)
    }

    /// Set `name` to `value`; returns the value it replaced.
    pub fn insert(&mut self, name: Sym, value: Sym) -> Option<Sym> {
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                let mut all = std::mem::take(&mut self.0).into_vec();
                all.insert(i, (name, value));
                self.0 = all.into_boxed_slice();
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Sym> {
        let i = self.position(name).ok()?;
        let mut all = std::mem::take(&mut self.0).into_vec();
        let (_, value) = all.remove(i);
        self.0 = all.into_boxed_slice();
        Some(value)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Sym, &Sym)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Sym> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Sym> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }
}

impl std::ops::Index<&str> for Props {
    type Output = Sym;
    fn index(&self, name: &str) -> &Sym {
        self.get(name)
            .unwrap_or_else(|| panic!("no property {name:?}"))
    }
}

impl<K: Into<Sym>, V: Into<Sym>> FromIterator<(K, V)> for Props {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Props {
        let mut all: Vec<(Sym, Sym)> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // The last value given for a name wins, as a map's would.
        all.reverse();
        all.sort_by_key(|a| a.0);
        all.dedup_by(|later, kept| later.0 == kept.0);
        Props(all.into_boxed_slice())
    }
}

impl<const N: usize> From<[(&str, &str); N]> for Props {
    fn from(pairs: [(&str, &str); N]) -> Props {
        pairs.into_iter().collect()
    }
}

impl fmt::Debug for Props {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Props {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Props {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Props, D::Error> {
        let map = std::collections::BTreeMap::<Sym, Sym>::deserialize(d)?;
        Ok(map.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_one_interned_value() {
        let a = Sym::new(&String::from("ACME Robotics"));
        let b = Sym::from("ACME Robotics");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, b);
        assert_ne!(a, Sym::from("ACME"));
        assert_eq!(Sym::default(), Sym::from(""));
        assert_eq!(&*a, "ACME Robotics");
    }

    #[test]
    fn thousands_of_values_read_back_across_chunks_and_threads() {
        let syms: Vec<(String, Sym)> = (0..5000)
            .map(|i| {
                let text = format!("value {i} of many");
                let sym = Sym::new(&text);
                (text, sym)
            })
            .collect();
        for (text, sym) in &syms {
            assert_eq!(sym.as_str(), text);
            assert_eq!(Sym::new(text), *sym);
        }
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for (text, sym) in &syms {
                    assert_eq!(sym.as_str(), text);
                }
            });
        });
        assert_eq!(std::mem::size_of::<Sym>(), 4);
        assert_eq!(std::mem::size_of::<Option<Sym>>(), 4);
    }

    #[test]
    fn every_number_has_its_own_place() {
        let mut seen = std::collections::HashSet::new();
        for n in 1..20_000u32 {
            let (k, at) = place(n);
            assert!(at < FIRST << k, "{n}: {k} {at}");
            assert!(seen.insert((k, at)), "{n} shares a place");
        }
        assert_eq!(place(1), (0, 0));
        assert_eq!(place(u32::MAX).0, CHUNKS - 1);
    }

    #[test]
    fn sym_round_trips_as_a_json_string() {
        let a = Sym::from("lead");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"lead\"");
        assert_eq!(serde_json::from_str::<Sym>(&json).unwrap(), a);
    }

    #[test]
    fn props_behave_like_a_sorted_map() {
        let mut p = Props::from([("b", "2"), ("a", "1"), ("b", "3")]);
        assert_eq!(p.len(), 2);
        assert_eq!(p.get("b").map(|v| v.as_str()), Some("3"));
        assert_eq!(p.insert("c".into(), "4".into()), None);
        assert_eq!(
            p.insert("a".into(), "0".into()).map(|v| v.to_string()),
            Some("1".into())
        );
        let keys: Vec<&str> = p.keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(p.remove("b").map(|v| v.to_string()), Some("3".into()));
        assert!(!p.contains_key("b"));
        assert_eq!(&p["c"], "4");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"a":"0","c":"4"}"#);
        assert_eq!(serde_json::from_str::<Props>(&json).unwrap(), p);
    }
}
