//! An object's `properties` as read off the wire: every name and value in one string, and
//! the places of each, sorted by name length, then bytes.
//!
//! A page of 100 contacts with ~25 properties each read into a map of `String`s is 5,000
//! allocations and as many hash inserts; malloc, free and rehashing were a fifth of a
//! report's CPU. Here an object's properties are two allocations, and a lookup is a binary
//! search over a few dozen names.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Where one property's name and value sit in [`WireProps::text`].
#[derive(Debug, Clone, Copy)]
struct Entry {
    name: (u32, u32),
    /// `None`: the value was `null`.
    value: Option<(u32, u32)>,
}

/// An object's properties: name → value, a value `None` when HubSpot sent `null`.
#[derive(Clone, Default)]
pub struct WireProps {
    text: String,
    /// Sorted by name (see [`WireProps::order`]), one entry a name (the last one sent wins,
    /// as in a map).
    entries: Vec<Entry>,
}

impl WireProps {
    fn slice(&self, (start, end): (u32, u32)) -> &str {
        &self.text[start as usize..end as usize]
    }

    /// The order entries are kept in: by length, then by bytes. Most names differ in
    /// length, so a lookup's comparisons are mostly integer ones, not `memcmp` calls.
    fn order(a: &str, b: &str) -> std::cmp::Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    fn find(&self, name: &str) -> Option<&Entry> {
        let i = self
            .entries
            .binary_search_by(|e| Self::order(self.slice(e.name), name))
            .ok()?;
        self.entries.get(i)
    }

    /// `Some(None)` for a property sent as `null`; `None` for one not sent.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.find(name).map(|e| e.value.map(|v| self.slice(v)))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries
            .iter()
            .map(|e| (self.slice(e.name), e.value.map(|v| self.slice(v))))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push_text(&mut self, s: &str) -> (u32, u32) {
        append(&mut self.text, s)
    }

    /// Sort by name and keep the last of each name, as a map would.
    fn settle(&mut self) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by(|a, b| Self::order(self.slice(a.name), self.slice(b.name)));
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match kept.last_mut() {
                Some(last) if self.slice(last.name) == self.slice(e.name) => *last = e,
                _ => kept.push(e),
            }
        }
        self.entries = kept;
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, Option<V>)> for WireProps {
    fn from_iter<I: IntoIterator<Item = (N, Option<V>)>>(iter: I) -> WireProps {
        let mut out = WireProps::default();
        for (name, value) in iter {
            let name = out.push_text(name.as_ref());
            let value = value.map(|v| out.push_text(v.as_ref()));
            out.entries.push(Entry { name, value });
        }
        out.settle();
        out
    }
}

impl fmt::Debug for WireProps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for WireProps {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for WireProps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WireProps, D::Error> {
        d.deserialize_map(PropsVisitor)
    }
}

struct PropsVisitor;

impl<'de> Visitor<'de> for PropsVisitor {
    type Value = WireProps;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of property names to strings or null")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireProps, A::Error> {
        let mut out = WireProps::default();
        out.entries.reserve(map.size_hint().unwrap_or(32));
        while let Some(name) = map.next_key_seed(Append(&mut out.text))? {
            let value = map.next_value_seed(AppendOrNull(&mut out.text))?;
            out.entries.push(Entry { name, value });
        }
        out.settle();
        Ok(out)
    }
}

/// `s` onto the end of `buf`; where it sits there. A page is a few megabytes at most; a
/// span past 4 GB would be clamped, never wrapped.
fn append(buf: &mut String, s: &str) -> (u32, u32) {
    let start = buf.len();
    buf.push_str(s);
    let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (at(start), at(buf.len()))
}

/// Reads a string straight onto the end of the buffer; its span.
struct Append<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = (u32, u32);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(u32, u32), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Append<'_> {
    type Value = (u32, u32);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(u32, u32), E> {
        Ok(append(self.0, v))
    }
}

/// A string onto the buffer, or `null`.
struct AppendOrNull<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for AppendOrNull<'_> {
    type Value = Option<(u32, u32)>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for AppendOrNull<'_> {
    type Value = Option<(u32, u32)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Append(self.0).deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reads_as_the_map_it_replaces_nulls_escapes_and_repeats_included() {
        let json = r#"{"lifecyclestage": "lead", "email": null, "firstname": "Zo\u00eb \"Z\"",
            "company": "", "lifecyclestage": "marketingqualifiedlead", "jobtitle": "CTO"}"#;
        let props: WireProps = serde_json::from_str(json).expect("reads");
        let map: HashMap<String, Option<String>> = serde_json::from_str(json).expect("reads");
        assert_eq!(props.len(), map.len());
        for (name, value) in &map {
            assert_eq!(props.get(name), Some(value.as_deref()), "{name}");
        }
        assert_eq!(
            props.get("lifecyclestage"),
            Some(Some("marketingqualifiedlead"))
        );
        assert_eq!(props.get("missing"), None);
        // Shortest first, then by bytes: the order lookups search.
        let names: Vec<&str> = props.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "email",
                "company",
                "jobtitle",
                "firstname",
                "lifecyclestage"
            ]
        );
    }

    #[test]
    fn a_value_that_is_not_a_string_is_refused_as_before() {
        assert!(serde_json::from_str::<WireProps>(r#"{"n": 5}"#).is_err());
        assert!(serde_json::from_str::<WireProps>(r#"["a"]"#).is_err());
    }

    #[test]
    fn written_back_it_is_the_same_object() {
        let props: WireProps = [("b", Some("2")), ("a", None), ("c", Some(""))]
            .into_iter()
            .collect();
        let json = serde_json::to_value(&props).expect("writes");
        assert_eq!(json, serde_json::json!({"a": null, "b": "2", "c": ""}));
    }
}
