//! HubSpot-defined association types between the simulated object types.
//!
//! Clients create associations by numeric `associationTypeId` and read them back with the
//! same ids (v4) or the snake-case labels (v3 `associations=` on GET/list), so the ids here
//! must match HubSpot's published defaults exactly.

use super::ObjType;

/// `(from, to, typeId, v3 label)` for every default association the simulator knows.
const TYPES: &[(ObjType, ObjType, u32, &str)] = &[
    (ObjType::Deals, ObjType::Contacts, 3, "deal_to_contact"),
    (ObjType::Contacts, ObjType::Deals, 4, "contact_to_deal"),
    (ObjType::Contacts, ObjType::Notes, 201, "contact_to_note"),
    (ObjType::Notes, ObjType::Contacts, 202, "note_to_contact"),
    (ObjType::Deals, ObjType::Notes, 213, "deal_to_note"),
    (ObjType::Notes, ObjType::Deals, 214, "note_to_deal"),
];

/// The default type id and v3 label for associations from `from` to `to`.
pub fn type_of(from: ObjType, to: ObjType) -> Option<(u32, &'static str)> {
    TYPES
        .iter()
        .find(|(f, t, _, _)| *f == from && *t == to)
        .map(|(_, _, id, label)| (*id, *label))
}

/// Which object type an association with `type_id` from `from` points at.
pub fn target_of(from: ObjType, type_id: u32) -> Option<ObjType> {
    TYPES
        .iter()
        .find(|(f, _, id, _)| *f == from && *id == type_id)
        .map(|(_, t, _, _)| *t)
}

/// A record's associations: (type, id) pairs in order, one allocation (none when empty).
/// Most records link to one or two others; a map of sets cost a note 400 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(thin_vec::ThinVec<(ObjType, u64)>);

impl Links {
    /// Link to `id` of type `t` (once).
    pub fn insert(&mut self, t: ObjType, id: u64) {
        if let Err(at) = self.0.binary_search(&(t, id)) {
            self.0.insert(at, (t, id));
        }
    }

    /// The ids of type `t` linked, in id order.
    pub fn of(&self, t: ObjType) -> impl Iterator<Item = u64> + '_ {
        self.0
            .iter()
            .filter(move |(k, _)| *k == t)
            .map(|(_, id)| *id)
    }

    /// The first id of type `t` linked, if any.
    pub fn first(&self, t: ObjType) -> Option<u64> {
        self.of(t).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_each_type_in_id_order_once() {
        let mut l = Links::default();
        l.insert(ObjType::Notes, 40_000_009);
        l.insert(ObjType::Deals, 9_000_002);
        l.insert(ObjType::Notes, 40_000_001);
        l.insert(ObjType::Notes, 40_000_009);
        assert_eq!(
            l.of(ObjType::Notes).collect::<Vec<_>>(),
            [40_000_001, 40_000_009]
        );
        assert_eq!(l.first(ObjType::Deals), Some(9_000_002));
        assert_eq!(l.first(ObjType::Contacts), None);
    }
}
