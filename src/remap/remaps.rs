//! The kernel's remap table: the core's hash table behind an IRQ-safe
//! spinlock, with lock-free counters for `map`'s fast path and for
//! `status`.
//!
//! Only the worker changes remaps (serialised by the metadata mutex);
//! `map` reads them and never sleeps under the lock.

use crate::dm::{new_irq_spinlock, IrqSpinLock};
use crate::remap_core::format::{BlockState, Record};
use crate::remap_core::remaps::{slots_for, RemapTable, Slot, EMPTY};
use crate::remap_core::route::{route, Dest, Layout};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::KVVec;
use kernel::prelude::*;

type Table = RemapTable<KVVec<Slot>>;

fn table_with_room_for(n: usize) -> Result<Table> {
    Ok(RemapTable::new(KVVec::from_elem(EMPTY, slots_for(n), GFP_KERNEL)?))
}

/// All remaps of a target.
pub struct Remaps {
    table: Pin<KBox<IrqSpinLock<Table>>>,
    count: AtomicU64,
    lost: AtomicU64,
}

impl Remaps {
    /// An empty table.
    pub fn new() -> Result<Self> {
        Ok(Self {
            table: KBox::pin_init(new_irq_spinlock!(table_with_room_for(0)?, "dm_remap_table"), GFP_KERNEL)?,
            count: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        })
    }

    /// Number of remapped blocks (lock-free).
    pub fn len(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Number of blocks whose data was lost (lock-free).
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Routes a bio of `sectors` sectors at main sector `sector`.
    pub fn route(&self, layout: &Layout, sector: u64, sectors: u64) -> (u64, Dest) {
        let table = self.table.lock();
        route(layout, sector, sectors, |b| table.get(b))
    }

    /// The remap of `block`, if any.
    pub fn get(&self, block: u64) -> Option<Record> {
        self.table.lock().get(block)
    }

    /// Replaces every remap with `records`, replayed in commit order
    /// (process context). The old table is freed after the lock is
    /// dropped.
    pub fn replace(&self, records: &[Record]) -> Result {
        let mut fresh = table_with_room_for(records.len())?;
        let mut lost = 0;
        for r in records {
            let was_lost = fresh.get(r.main).is_some_and(|b| b.state == BlockState::Lost);
            fresh.insert(*r).map_err(|_| ENOMEM)?;
            lost = lost + u64::from(r.state == BlockState::Lost) - u64::from(was_lost);
        }
        let mut t = self.table.lock();
        core::mem::swap(&mut *t, &mut fresh);
        self.lost.store(lost, Ordering::Relaxed);
        self.count.store(t.count() as u64, Ordering::Release);
        drop(t);
        Ok(())
    }

    /// Makes room for `additional` new remaps (process context: may
    /// allocate a bigger table), so that `insert` cannot fail. Callers are
    /// serialised by the metadata mutex.
    pub fn reserve(&self, additional: usize) -> Result {
        let (len, capacity) = {
            let t = self.table.lock();
            (t.count(), t.capacity())
        };
        if len + additional <= capacity {
            return Ok(());
        }
        let mut bigger = table_with_room_for(len + additional)?;
        let mut t = self.table.lock();
        t.grow_into(&mut bigger).map_err(|_| ENOMEM)?;
        core::mem::swap(&mut *t, &mut bigger);
        drop(t);
        // The old table is freed with `bigger`, after the lock is dropped.
        Ok(())
    }

    /// Adds or updates remaps, within the room `reserve` made.
    pub fn insert(&self, records: &[Record]) -> Result {
        let mut t = self.table.lock();
        for r in records {
            let was_lost = t.get(r.main).is_some_and(|b| b.state == BlockState::Lost);
            t.insert(*r).map_err(|_| ENOMEM)?;
            match (was_lost, r.state == BlockState::Lost) {
                (false, true) => self.lost.fetch_add(1, Ordering::Relaxed),
                (true, false) => self.lost.fetch_sub(1, Ordering::Relaxed),
                _ => 0,
            };
        }
        self.count.store(t.count() as u64, Ordering::Release);
        Ok(())
    }

    /// Bytes of kernel memory the table uses.
    pub fn bytes(&self) -> usize {
        self.table.lock().bytes()
    }

    /// Calls `f` on every remap under the lock (`f` must not sleep).
    pub fn for_each(&self, mut f: impl FnMut(Record) -> bool) {
        let t = self.table.lock();
        for r in t.iter() {
            if !f(r) {
                break;
            }
        }
    }
}
