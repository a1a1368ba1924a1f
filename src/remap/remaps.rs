//! The kernel's remap table: the core's hash table and a summary of where
//! remaps are, published with RCU. `map` reads it without a lock, an
//! atomic write or disabling interrupts; the worker (the only writer,
//! serialised by the metadata mutex) builds each new version aside and
//! publishes it whole.

use crate::dm::RcuBox;
use crate::remap_core::format::Record;
use crate::remap_core::remaps::{slots_for, Indexed, RemapTable, Slot, EMPTY};
use crate::remap_core::route::{route, Dest, Layout};
use crate::remap_core::summary::{summary_shape, Summary};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::KVVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// One version of the remaps: the hash table, and which regions of main
/// hold any (so routing skips the others whole).
type Table = Indexed<KVVec<Slot>, KVVec<u64>>;

/// An empty table of `slots` slots (see `slots_for`), for a main device of
/// `main_blocks` blocks.
fn table_with_slots(slots: usize, main_blocks: u64) -> Result<KBox<Table>> {
    let (shift, words) = summary_shape(main_blocks);
    let map = RemapTable::new(KVVec::from_elem(EMPTY, slots, GFP_KERNEL)?);
    let summary = Summary::new(KVVec::from_elem(0, words, GFP_KERNEL)?, shift);
    Ok(KBox::new(Indexed::new(map, summary), GFP_KERNEL)?)
}

/// Why `Remaps::replace` refused.
#[derive(Debug)]
pub enum ReplaceError {
    /// Out of memory.
    NoMem,
    /// Two remaps share a spare block: the metadata is damaged.
    SharedSpare,
}

impl From<Error> for ReplaceError {
    fn from(_: Error) -> Self {
        ReplaceError::NoMem
    }
}

impl From<kernel::alloc::AllocError> for ReplaceError {
    fn from(_: kernel::alloc::AllocError) -> Self {
        ReplaceError::NoMem
    }
}

/// All remaps of a target.
pub struct Remaps {
    current: RcuBox<Table>,
    /// The next version, allocated by `reserve` and published by `insert`
    /// (process context).
    next: Pin<KBox<Mutex<Option<KBox<Table>>>>>,
    main_blocks: u64,
    count: AtomicU64,
    unreadable: AtomicU64,
}

impl Remaps {
    /// An empty table for a main device of `main_blocks` blocks.
    pub fn new(main_blocks: u64) -> Result<Self> {
        Ok(Self {
            current: RcuBox::new(table_with_slots(slots_for(0), main_blocks)?),
            next: KBox::pin_init(new_mutex!(None, "dm_remap_next_table"), GFP_KERNEL)?,
            main_blocks,
            count: AtomicU64::new(0),
            unreadable: AtomicU64::new(0),
        })
    }

    /// Number of remapped blocks (lock-free).
    pub fn len(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Number of blocks whose reads fail, lost or pending (lock-free).
    pub fn unreadable(&self) -> u64 {
        self.unreadable.load(Ordering::Relaxed)
    }

    /// Routes a bio of `sectors` sectors at main sector `sector` (any
    /// context).
    pub fn route(&self, layout: &Layout, sector: u64, sectors: u64) -> (u64, Dest) {
        self.current.read(|t| route(layout, sector, sectors, t))
    }

    /// The remap of `block`, if any.
    pub fn get(&self, block: u64) -> Option<Record> {
        self.current.read(|t| t.map().get(block))
    }

    /// Replaces every remap with `records`, replayed in commit order, whose
    /// spare blocks are below `spare_used` (process context).
    pub fn replace(&self, records: &[Record], spare_used: u64) -> Result<(), ReplaceError> {
        let mut fresh = table_with_slots(slots_for(records.len()), self.main_blocks)?;
        let mut unreadable = 0;
        for r in records {
            let was = fresh.map().get(r.main).is_some_and(|b| b.state.is_unreadable());
            fresh.insert(*r).map_err(|_| ENOMEM)?;
            unreadable = unreadable + u64::from(r.state.is_unreadable()) - u64::from(was);
        }
        let mut seen = KVVec::from_elem(0u64, spare_used.div_ceil(64) as usize, GFP_KERNEL)?;
        if fresh.map().shared_spare(&mut seen).is_some() {
            return Err(ReplaceError::SharedSpare);
        }
        drop(seen);
        let count = fresh.map().count() as u64;
        self.current.replace(fresh);
        self.unreadable.store(unreadable, Ordering::Relaxed);
        self.count.store(count, Ordering::Release);
        Ok(())
    }

    /// Makes room for `additional` new remaps (process context: allocates
    /// the next version), so that `insert` cannot fail. Callers are
    /// serialised by the metadata mutex.
    pub fn reserve(&self, additional: usize) -> Result {
        let need = self.len() as usize + additional;
        let mut next = self.next.lock();
        if next.as_ref().is_some_and(|t| t.map().capacity() >= need) {
            return Ok(());
        }
        // The current version's size if it has room: `insert` then copies
        // it slot for slot.
        let slots = self.current.read(|t| if t.map().capacity() >= need { t.map().slots() } else { slots_for(need) });
        *next = Some(table_with_slots(slots, self.main_blocks)?);
        Ok(())
    }

    /// Adds or updates remaps, within the room `reserve` made, and
    /// publishes them (process context: waits for a grace period).
    pub fn insert(&self, records: &[Record]) -> Result {
        if records.is_empty() {
            return Ok(());
        }
        let mut fresh = self.next.lock().take().ok_or(ENOMEM)?;
        self.current.read(|t| fresh.copy_from(t)).map_err(|_| ENOMEM)?;
        for r in records {
            let was = fresh.map().get(r.main).is_some_and(|b| b.state.is_unreadable());
            fresh.insert(*r).map_err(|_| ENOMEM)?;
            match (was, r.state.is_unreadable()) {
                (false, true) => self.unreadable.fetch_add(1, Ordering::Relaxed),
                (true, false) => self.unreadable.fetch_sub(1, Ordering::Relaxed),
                _ => 0,
            };
        }
        let count = fresh.map().count() as u64;
        self.current.replace(fresh);
        self.count.store(count, Ordering::Release);
        Ok(())
    }

    /// Bytes of kernel memory the table uses (its summary included).
    pub fn bytes(&self) -> usize {
        self.current.read(|t| t.map().bytes() + t.summary().bytes())
    }

    /// Calls `f` on every remap until it returns false (`f` must not
    /// sleep: it runs in an RCU read-side section).
    pub fn for_each(&self, mut f: impl FnMut(Record) -> bool) {
        self.current.read(|t| {
            for r in t.map().iter() {
                if !f(r) {
                    break;
                }
            }
        });
    }
}
