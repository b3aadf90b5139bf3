//! Reading a million cached leads on both cores. The reading thread copies bodies out of
//! SQLite in batches and decodes every other batch itself; a helper decodes the rest. The
//! results are appended in the order read, so the leads come out as one thread would give
//! them, and at most a few batches wait out of order (not a second copy of every lead).

use std::collections::BTreeMap;
use std::sync::mpsc;

use rusqlite::types::ValueRef;

use crate::domain::Lead;

use super::records::Record;
use super::sym_dict::SymDict;

/// Leads a batch holds: small enough that the two threads stay busy to the end.
const BATCH: usize = 8192;

/// Bodies copied out of SQLite, back to back.
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    /// Each body's end in `bytes`, whether it is JSON text (written before the binary
    /// form), and its day-history fingerprint.
    rows: Vec<(usize, bool, u64)>,
}

impl Batch {
    fn push(&mut self, body: ValueRef<'_>, print: u64) {
        let (bytes, text) = match body {
            ValueRef::Blob(b) => (b, false),
            ValueRef::Text(t) => (t, true),
            // Unreadable: kept as an empty body, skipped when decoded.
            _ => (&[][..], false),
        };
        self.bytes.extend_from_slice(bytes);
        self.rows.push((self.bytes.len(), text, print));
    }

    /// The leads this batch holds (unreadable bodies skipped), with their fingerprints and
    /// their ids hashed while they are at hand.
    fn decode(self, syms: &SymDict) -> Vec<(Lead, u64, u64)> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut start = 0;
        for (end, text, print) in self.rows {
            let body = super::records::body_ref(&self.bytes[start..end], text);
            start = end;
            out.extend(Lead::read(body, syms).map(|lead| {
                let key = crate::store::id_key(&lead.id);
                (lead, print, key)
            }));
        }
        out
    }
}

/// The leads read, each with its fingerprint and its id's key at the same place.
#[derive(Debug, Default)]
pub struct ReadLeads {
    pub leads: Vec<Lead>,
    pub prints: Vec<u64>,
    /// [`crate::store::id_key`] of each lead's id.
    pub keys: Vec<u64>,
    /// Bodies in an older form (JSON, version 1), worth re-encoding.
    pub older: usize,
}

/// Read every row `next` gives (a body and its fingerprint), decoding on two threads with
/// the cache's numbering of interned values.
pub fn read_all<E>(
    syms: &SymDict,
    mut next: impl FnMut(&mut dyn FnMut(ValueRef<'_>, u64)) -> Result<bool, E>,
) -> Result<ReadLeads, E> {
    let mut out = ReadLeads::default();
    let mut out_older = 0;
    let mut take = |decoded: Vec<(Lead, u64, u64)>| {
        for (lead, print, key) in decoded {
            out.leads.push(lead);
            out.prints.push(print);
            out.keys.push(key);
        }
    };
    std::thread::scope(|scope| {
        let (to_helper, batches) = mpsc::sync_channel::<(usize, Batch)>(2);
        let (from_helper, decoded) = mpsc::channel::<(usize, Vec<(Lead, u64, u64)>)>();
        scope.spawn(move || {
            for (seq, batch) in batches {
                if from_helper.send((seq, batch.decode(syms))).is_err() {
                    return;
                }
            }
        });
        // Decoded batches waiting for the ones before them.
        let mut waiting: BTreeMap<usize, Vec<(Lead, u64, u64)>> = BTreeMap::new();
        let mut next_out = 0;
        let mut seq = 0;
        let mut batch = Batch::default();
        let flush = |seq: usize, batch: Batch, waiting: &mut BTreeMap<_, _>| {
            if seq.is_multiple_of(2) {
                // The helper's; if it is gone (it cannot be, short of a panic), decode here.
                if let Err(mpsc::SendError((seq, batch))) = to_helper.send((seq, batch)) {
                    waiting.insert(seq, batch.decode(syms));
                }
            } else {
                waiting.insert(seq, batch.decode(syms));
            }
        };
        loop {
            let older = &mut out_older;
            let more = next(&mut |body, print| {
                *older += usize::from(!super::lead_codec::is_current(body));
                batch.push(body, print)
            })?;
            if batch.rows.len() == BATCH || (!more && !batch.rows.is_empty()) {
                flush(seq, std::mem::take(&mut batch), &mut waiting);
                seq += 1;
            }
            waiting.extend(decoded.try_iter());
            while let Some(ready) = waiting.remove(&next_out) {
                take(ready);
                next_out += 1;
            }
            if !more {
                break;
            }
        }
        drop(to_helper);
        while next_out < seq {
            match waiting.remove(&next_out) {
                Some(ready) => {
                    take(ready);
                    next_out += 1;
                }
                None => match decoded.recv() {
                    Ok((s, d)) => {
                        waiting.insert(s, d);
                    }
                    // The helper ended without its batches: nothing more will come.
                    Err(_) => break,
                },
            }
        }
        Ok(())
    })?;
    out.older = out_older;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;
    use crate::domain::lead::tests_support::lead_in;

    /// Across many batches, both threads' work comes out in the order read, each lead with
    /// its own fingerprint, unreadable bodies left out; an error stops the read.
    #[test]
    fn leads_come_out_in_the_order_read_with_their_fingerprints() {
        let n = BATCH * 3 + 5;
        let mut syms = SymDict::default();
        let bodies: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let mut lead = lead_in(Stage::Mql);
                lead.id = i.to_string().into();
                match i % 1000 {
                    // A damaged body and a JSON one from before the binary form.
                    7 => vec![9, 9, 9],
                    8 => serde_json::to_vec(&lead).unwrap(),
                    _ => super::super::lead_codec::encode(&lead, &mut syms),
                }
            })
            .collect();
        let mut at = 0;
        let read = read_all::<()>(&syms, |push| {
            let Some(body) = bodies.get(at) else {
                return Ok(false);
            };
            let value = if at % 1000 == 8 {
                ValueRef::Text(body)
            } else {
                ValueRef::Blob(body)
            };
            push(value, at as u64 * 3);
            at += 1;
            Ok(true)
        })
        .unwrap();
        let kept: Vec<usize> = (0..n).filter(|i| i % 1000 != 7).collect();
        let ids: Vec<usize> = read.leads.iter().map(|l| l.id.parse().unwrap()).collect();
        assert_eq!(ids, kept);
        let expected: Vec<u64> = kept.iter().map(|&i| i as u64 * 3).collect();
        assert_eq!(read.prints, expected);
        let keys: Vec<u64> = kept
            .iter()
            .map(|i| crate::store::id_key(&i.to_string()))
            .collect();
        assert_eq!(read.keys, keys);

        let mut calls = 0;
        let failed = read_all(&syms, |_| {
            calls += 1;
            if calls > BATCH + 3 {
                Err("disk gone")
            } else {
                Ok(true)
            }
        });
        assert_eq!(failed.err(), Some("disk gone"));
    }
}
