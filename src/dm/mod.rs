//! Safe abstractions over the device-mapper and bio C API.
//!
//! This layer (with `kunit/`) is the only place in the module with `unsafe`
//! code. Its invariants:
//! - a `Target` value lives in `ti->private` from a successful `ctr` until
//!   `dtr`, and DM calls no other hook outside that window;
//! - `map`, `end_io` and `status` may run concurrently on many CPUs, and
//!   `end_io` in hard-IRQ context: they get `&self` and must not sleep;
//! - a `Bio` (in `map`) or `DoneBio` (in `end_io`) borrows a bio that DM
//!   owns for the duration of one callback; only a `Bio` can be split or
//!   redirected;
//!   a `HeldBio` owns one that a callback took over, until it is
//!   submitted or completed;
//! - a `Worker` cancels its work and destroys its queue before it is freed,
//!   and runs its job (like `preresume`) in a `NoIo` allocation scope;
//! - a `DmDev` holds a `dm_get_device()` reference, dropped with its target;
//!   an `ExclusiveDev` also holds this module's claim on the device, which
//!   it releases before the device is put.

mod bio;
mod device;
mod ffi;
mod io;
mod percpu;
mod sync;
mod target;
mod work;

pub use bio::{Bio, BioList, Bookmark, DoneBio, Held, HeldBio, Op, PerBio};
pub use device::{DeviceVisitor, DmDev, ExclusiveDev};
pub use io::{random_bytes, DmIo, IoBuf, Write};
pub use percpu::{rcu_read, synchronize_rcu, InflightCounters};
pub(crate) use sync::new_irq_spinlock;
pub use sync::{sleep_ms, IrqSpinLock};
pub use target::{
    Ctr, CtrError, EndIo, MapResult, MessageError, QueueLimits, Registration, StatusType, TableEvent, Target,
};
pub use work::{Job, Worker};
