//! Writes in flight, and the gate that holds back writes to blocks being
//! copied to spare.
//!
//! Relocating a live block is safe when no write to it is in flight while
//! it is copied, and none reaches main after the copy. The worker:
//! 1. closes the gate over the blocks it will copy;
//! 2. `drain`s: it waits for an SRCU grace period, which ends once every
//!    write that began before it has completed;
//! 3. copies, commits, updates the remap table, then opens the gate and
//!    resubmits the held writes, which now route to spare.
//!
//! Each write is an SRCU read-side section, from `map` (`enter`, which
//! also reads whether the gate is closed) to `end_io` (`exit`, in any
//! context). A write that began before the drain is waited for; one that
//! began after sees the gate closed, and `map` holds it if it touches a
//! gated block. `map` takes no lock unless the gate is closed, and SRCU
//! counts per CPU: no shared cache line.

use super::{IoState, PerIo};
use crate::dm::Held;
use crate::dm::{new_irq_spinlock, Bio, BioList, FromMap, IrqSpinLock, Srcu, SrcuIdx};
use crate::remap_core::held;
use core::sync::atomic::{AtomicBool, Ordering::SeqCst};
use kernel::prelude::*;

/// Tracks writes in flight.
pub struct WriteTracker {
    srcu: Srcu,
}

impl WriteTracker {
    pub fn new() -> Result<Self> {
        Ok(Self { srcu: Srcu::new()? })
    }

    /// Counts a write starting; returns its section for `exit`. Any
    /// context but hard IRQ. It implies a full barrier: what the caller
    /// reads after it (the gate's state) is read after the write is
    /// counted, so a drain either waits for the write or the caller sees
    /// what the worker did before draining.
    pub fn enter(&self) -> SrcuIdx {
        self.srcu.down_read()
    }

    /// Counts a write done. Any context, including hard IRQ.
    pub fn exit(&self, idx: SrcuIdx) {
        self.srcu.up_read(idx);
    }

    /// Waits until the writes that entered before the call have completed
    /// (worker only: it sleeps).
    pub fn drain(&self) {
        self.srcu.synchronize();
    }
}

struct GateInner {
    /// Main blocks being relocated, as `[first, end)` ranges: the first
    /// `merged` are sorted and disjoint (the rest is left from merging).
    ranges: KVec<(u64, u64)>,
    merged: usize,
    /// Writes held until the gate opens.
    held: BioList<PerIo, FromMap>,
}

/// Holds writes to blocks being relocated.
pub struct Gate {
    closed: AtomicBool,
    inner: Pin<KBox<IrqSpinLock<GateInner>>>,
}

/// What the gate did with a write.
pub enum Admit<'a> {
    /// The write may go on, limited to this many sectors (it stops at the
    /// first held block).
    Pass(Bio<'a, PerIo>, u64),
    /// The write starts in a held block: the gate keeps it.
    Held(Held<'a>),
}

impl Gate {
    pub fn new() -> Result<Self> {
        let inner = GateInner { ranges: KVec::new(), merged: 0, held: BioList::new() };
        Ok(Self {
            closed: AtomicBool::new(false),
            inner: KBox::pin_init(new_irq_spinlock!(inner, "dm_remap_gate"), GFP_KERNEL)?,
        })
    }

    /// Whether some blocks are held (lock-free).
    pub fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Holds writes to main blocks in `ranges` from now on.
    pub fn close(&self, mut ranges: KVec<(u64, u64)>) {
        // Sorted and disjoint, so that `admit` searches them in log time
        // under its IRQ-safe lock, however many there are.
        let n = held::merge(&mut ranges);
        let mut g = self.inner.lock();
        core::mem::swap(&mut g.ranges, &mut ranges);
        g.merged = n;
        self.closed.store(true, SeqCst);
        drop(g);
        // The previous (empty) vector is freed outside the lock.
        drop(ranges);
    }

    /// Lets writes through again; returns the held ones, to resubmit.
    pub fn open(&self) -> BioList<PerIo, FromMap> {
        let mut g = self.inner.lock();
        let ranges = core::mem::take(&mut g.ranges);
        g.merged = 0;
        self.closed.store(false, SeqCst);
        let held = g.held.take();
        drop(g);
        drop(ranges);
        held
    }

    /// Checks a write of `bio.sectors()` sectors at target sector
    /// `sector` (blocks of `bs` sectors), whose per-bio data holds its
    /// write-tracker section. A write that starts in a held block is cut at that
    /// block's end and kept, no longer counted as in flight.
    pub fn admit<'a>(&self, mut bio: Bio<'a, PerIo>, sector: u64, bs: u64, tracker: &WriteTracker) -> Admit<'a> {
        let sectors = bio.sectors();
        let (first, last) = (sector / bs, (sector + sectors - 1) / bs);
        let mut g = self.inner.lock();
        let held = held::first_held(&g.ranges[..g.merged], first, last);
        match held {
            None => Admit::Pass(bio, sectors),
            Some(b) if b > first => Admit::Pass(bio, b * bs - sector),
            Some(_) => {
                let end = (first + 1) * bs - sector;
                if end < sectors {
                    // `end` lies within the bio: this cannot fail.
                    let _ = bio.accept_partial(end);
                }
                if let IoState::Write { write } = core::mem::replace(&mut bio.per_bio().state, IoState::Plain) {
                    tracker.exit(write);
                }
                let (bio, mark) = bio.hold();
                g.held.push(bio);
                Admit::Held(mark)
            }
        }
    }
}

/// Ranges of main blocks, `[first, end)`.
type Ranges = KVec<(u64, u64)>;

/// Main blocks whose writes fail until a reload: those that a failed
/// commit moved off main (the slot may or may not be on disk, so a write
/// acknowledged on main could be lost to it). Their reads go on to main,
/// which holds their data: no write was acknowledged since the copy.
pub struct Fence {
    any: AtomicBool,
    /// Sorted and disjoint `[first, end)` ranges (see `held::merge`).
    ranges: Pin<KBox<IrqSpinLock<Ranges>>>,
}

impl Fence {
    pub fn new() -> Result<Self> {
        let ranges = KBox::pin_init(new_irq_spinlock!(KVec::new(), "dm_remap_fence"), GFP_KERNEL)?;
        Ok(Self { any: AtomicBool::new(false), ranges })
    }

    /// Whether some block is fenced (lock-free).
    #[inline]
    pub fn any(&self) -> bool {
        self.any.load(SeqCst)
    }

    /// Fences main blocks `blocks` too (worker only: nothing else
    /// changes the ranges).
    pub fn add(&self, blocks: &[u64]) -> Result {
        let old = self.ranges.lock().len();
        let mut all = KVec::with_capacity(old + blocks.len(), GFP_KERNEL)?;
        for &b in blocks {
            all.push((b, b + 1), GFP_NOWAIT)?;
        }
        // (Within the capacity: nothing is allocated under the lock.)
        all.extend_from_slice(&self.ranges.lock(), GFP_NOWAIT)?;
        let n = held::merge(&mut all);
        let mut merged = KVec::with_capacity(n, GFP_KERNEL)?;
        merged.extend_from_slice(&all[..n], GFP_NOWAIT)?;
        core::mem::swap(&mut *self.ranges.lock(), &mut merged);
        self.any.store(true, SeqCst);
        // (The old ranges are freed outside the lock.)
        drop(merged);
        Ok(())
    }

    /// Of a write of `sectors` sectors at target sector `sector` (blocks
    /// of `bs` sectors): the sectors before its first fenced block, or
    /// None if it touches none.
    pub fn clear_for(&self, sector: u64, sectors: u64, bs: u64) -> Option<u64> {
        let (first, last) = (sector / bs, (sector + sectors.max(1) - 1) / bs);
        let fenced = held::first_held(&self.ranges.lock(), first, last)?;
        Some((fenced * bs).saturating_sub(sector))
    }
}
