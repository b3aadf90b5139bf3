//! Interned text for the values a million leads repeat: owners, companies, countries, size
//! bands, channels, campaigns and the raw stage properties. Each distinct value is stored
//! once for the life of the process and a lead holds a 16-byte reference to it, so a value
//! shared by 100k leads costs its bytes once instead of 100k heap strings.
//!
//! Only categorical values belong here: the interner never forgets, so text unique to one
//! lead (its id, name, email, title) stays a `String`.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One interned value; compares, hashes and orders as its text.
#[derive(Clone, Copy, Default)]
pub struct Sym(&'static str);

fn table() -> &'static Mutex<HashSet<&'static str>> {
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashSet::from([""])))
}

impl Sym {
    pub fn new(text: &str) -> Sym {
        let mut table = table()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&held) = table.get(text) {
            return Sym(held);
        }
        let held: &'static str = Box::leak(text.to_owned().into_boxed_str());
        table.insert(held);
        Sym(held)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl PartialEq for Sym {
    fn eq(&self, other: &Sym) -> bool {
        // Equal text is one interned allocation, except the literal empty default.
        std::ptr::eq(self.0, other.0) || self.0 == other.0
    }
}

impl Eq for Sym {}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, other: &Sym) -> bool {
        self == other.0
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, other: &Sym) -> bool {
        *self == other.0
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, other: &Sym) -> bool {
        self.as_str() == other.0
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Sym) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sym {
    fn cmp(&self, other: &Sym) -> std::cmp::Ordering {
        self.0.cmp(other.0)
    }
}

impl Hash for Sym {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
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
        sym.0.to_string()
    }
}

impl From<&Sym> for String {
    fn from(sym: &Sym) -> String {
        sym.0.to_string()
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
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
