//! A record's properties, compact: a million contacts name the same few dozen properties,
//! so each name is interned once for the process (`&'static str`), and a record keeps a
//! sorted vector of (name, value), sized to fit, with values of up to 24 bytes (enums,
//! timestamps, most names) held inline instead of each in an allocation of its own.

use std::collections::HashSet;

use compact_str::CompactString;
use std::sync::{Mutex, OnceLock};

/// The one copy of property name `name`. Names come from the schema and the generator, a
/// bounded set, so keeping each for the life of the process costs a few kilobytes.
pub fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Property values by name, in name order. An absent name is a property with no value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Props(Vec<(&'static str, CompactString)>);

impl Props {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| (*n).cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).ok().map(|i| &*self.0[i].1)
    }

    pub fn insert(&mut self, name: &str, value: String) {
        match self.find(name) {
            Ok(i) => self.0[i].1 = CompactString::from(value),
            Err(i) => {
                // Grown a little at a time: a record's few dozen properties, no slack.
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(4);
                }
                self.0.insert(i, (intern(name), CompactString::from(value)));
            }
        }
    }

    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.find(name) {
            self.0.remove(i);
        }
    }

    /// Every (name, value), in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.0.iter().map(|(n, v)| (*n, &**v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(n, _)| *n)
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
        assert_eq!(p.get("lifecyclestage"), Some("customer"));
        assert_eq!(p.keys().collect::<Vec<_>>(), ["email", "lifecyclestage"]);
        p.remove("email");
        assert_eq!(p.get("email"), None);
        assert_eq!(p.iter().count(), 1);
        // One copy of each name, however many records use it.
        assert!(std::ptr::eq(
            intern("email"),
            intern(&String::from("email"))
        ));
    }
}
