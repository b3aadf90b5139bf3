//! A record's properties, compact: a million contacts name the same few dozen properties,
//! so each name is numbered once for the process, and a record keeps one boxed byte string
//! of (name number, value length, value) entries in name order. Two dozen properties take
//! about 300 bytes this way, against about a kilobyte as a vector of (name, string) pairs.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// How many distinct property names the process can hold. Names come from the schema (an
/// unknown property is refused before it is written), a few dozen per object type.
const MAX_NAMES: usize = 1 << 12;

/// Name number → name, each slot written once; read without a lock.
static SLOTS: [OnceLock<&'static str>; MAX_NAMES] = [const { OnceLock::new() }; MAX_NAMES];

/// Name → its number, for interning.
type Numbers = HashMap<&'static str, u16, foldhash::fast::RandomState>;

fn numbers() -> std::sync::MutexGuard<'static, Numbers> {
    static NUMBERS: OnceLock<Mutex<Numbers>> = OnceLock::new();
    NUMBERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The number of `name`, given it one if it has none yet.
fn number(name: &str) -> u16 {
    let mut numbers = numbers();
    if let Some(&n) = numbers.get(name) {
        return n;
    }
    let n = numbers.len();
    assert!(n < MAX_NAMES, "more than {MAX_NAMES} property names");
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    // Written under the lock, before anyone can hold the number.
    let _ = SLOTS[n].set(leaked);
    numbers.insert(leaked, n as u16);
    n as u16
}

fn name_of(n: u16) -> &'static str {
    SLOTS[n as usize].get().copied().unwrap_or("")
}

/// A property name by its number: two bytes where history repeats a few names millions of
/// times. Reads as the name.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name(u16);

impl Name {
    pub fn as_str(self) -> &'static str {
        name_of(self.0)
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// The number of property name `name`, for the life of the process.
pub fn intern(name: &str) -> Name {
    Name(number(name))
}

/// Property values by name, in name order. An absent name is a property with no value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Props(Box<[u8]>);

/// One entry's name number, the range of its value, and the offset just past it.
fn entry(buf: &[u8], at: usize) -> (u16, std::ops::Range<usize>) {
    let n = u16::from_le_bytes([buf[at], buf[at + 1]]);
    let (len, start) = read_len(buf, at + 2);
    (n, start..start + len)
}

/// Values are only ever written from `&str`s, so this never falls back.
fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

fn read_len(buf: &[u8], mut at: usize) -> (usize, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[at];
        at += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            return (len, at);
        }
        shift += 7;
    }
}

fn push_entry(out: &mut Vec<u8>, n: u16, value: &[u8]) {
    out.extend_from_slice(&n.to_le_bytes());
    let mut len = value.len();
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(value);
}

impl Props {
    /// Every entry's name number and value bytes, in name order.
    fn entries(&self) -> impl Iterator<Item = (u16, &[u8])> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            (at < self.0.len()).then(|| {
                let (n, value) = entry(&self.0, at);
                at = value.end;
                (n, &self.0[value])
            })
        })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries()
            .find(|&(n, _)| name_of(n) == name)
            .map(|(_, v)| text(v))
    }

    /// The entries with `name` set to `value` (or removed, for `None`), in name order;
    /// `None` when that changes nothing.
    fn rebuilt(&self, name: &str, value: Option<&str>) -> Option<Props> {
        let mut out = Vec::with_capacity(self.0.len() + value.map_or(0, |v| v.len() + 5));
        let mut placed = value.is_none();
        let mut changed = false;
        for (n, v) in self.entries() {
            let here = name_of(n);
            if here == name {
                if value.map(str::as_bytes) == Some(v) {
                    return None;
                }
                changed = true;
                continue;
            }
            if !placed && here > name {
                push_entry(&mut out, number(name), value.unwrap_or_default().as_bytes());
                placed = true;
                changed = true;
            }
            push_entry(&mut out, n, v);
        }
        if !placed {
            push_entry(&mut out, number(name), value.unwrap_or_default().as_bytes());
            changed = true;
        }
        changed.then(|| Props(out.into_boxed_slice()))
    }

    pub fn insert(&mut self, name: &str, value: String) {
        if let Some(next) = self.rebuilt(name, Some(&value)) {
            *self = next;
        }
    }

    pub fn remove(&mut self, name: &str) {
        if let Some(next) = self.rebuilt(name, None) {
            *self = next;
        }
    }

    /// Every (name, value), in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.entries().map(|(n, v)| (name_of(n), text(v)))
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries().map(|(n, _)| name_of(n))
    }
}

impl std::fmt::Debug for Props {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn props_keep_name_order_and_one_value_a_name() {
        let mut p = Props::default();
        p.insert("lifecyclestage", "lead".into());
        p.insert("email", "a@x.example".into());
        p.insert("lifecyclestage", "customer".into());
        p.insert("zz_empty", String::new());
        assert_eq!(p.get("lifecyclestage"), Some("customer"));
        assert_eq!(
            p.get("zz_empty"),
            Some(""),
            "an empty value is still a value"
        );
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            ["email", "lifecyclestage", "zz_empty"]
        );
        p.remove("email");
        assert_eq!(p.get("email"), None);
        assert_eq!(p.iter().count(), 2);
        // One copy of each name, however many records use it.
        assert_eq!(intern("email"), intern(&String::from("email")));
        assert_eq!(intern("email"), "email");
        assert_ne!(intern("email"), intern("lifecyclestage"));
    }

    #[test]
    fn long_and_multibyte_values_read_back_whole() {
        let long = "é".repeat(5_000);
        let mut p = Props::default();
        p.insert("hs_note_body", long.clone());
        p.insert("a", "x".into());
        p.insert("zzz", "ü".into());
        assert_eq!(p.get("hs_note_body"), Some(long.as_str()));
        assert_eq!(p.get("a"), Some("x"));
        assert_eq!(p.get("zzz"), Some("ü"));
        // Two records written in different orders hold the same bytes.
        let mut q = Props::default();
        q.insert("zzz", "ü".into());
        q.insert("hs_note_body", long);
        q.insert("a", "x".into());
        assert_eq!(p, q);
    }
}
