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
