//! Safe abstractions over the device-mapper and bio C API.
//!
//! This layer (with `kunit/`) is the only place in the module with `unsafe`
//! code. Its invariants:
//! - a target's `Instance` (its value, devices and work item) lives in
//!   `ti->private` from a successful `ctr` until `dtr`, and DM calls no
//!   other hook outside that window;
//! - `map`, `end_io` and `status` may run concurrently on many CPUs, and
//!   `end_io` in hard-IRQ context: they get `&self` and must not sleep;
//! - a `Bio` (in `map`) or `DoneBio` (in `end_io`) borrows a bio that DM
//!   owns for the duration of one callback; only a `Bio` can be split or
//!   redirected;
//!   a `HeldBio` owns one that a callback took over, until it is
//!   submitted (taken in `map`) or completed (taken in `end_io`): its type
//!   says which; a bio the target ends itself does not reach its `end_io`
//!   again; `rewind` goes back to where the layer itself marked the bio;
//! - the layer owns each target's devices (`DmDev`, a `dm_get_device()`
//!   reference, and this module's claim on it if the target asked for one)
//!   and its work item; the target keeps `DevId`s, and a hook borrows the
//!   devices, the worker's kick and table events from the context it gets
//!   (`Ctx`, or `TaskCtx` in process context), so none of them can be
//!   used after `dtr`;
//! - `dtr` cancels the work and destroys its queue, drops the target, then
//!   releases the claims and puts the devices;
//! - the work (like `preresume`) runs in a `NoIo` allocation scope;
//! - an `RcuBox` frees a replaced value only after an RCU grace period, so
//!   what `read` lends never dangles.

mod bio;
mod device;
mod ffi;
mod instance;
mod io;
mod rcu;
mod srcu;
mod sync;
mod target;

pub use bio::{Bio, BioList, DoneBio, FromEndIo, FromMap, Held, HeldBio, Op, PerBio};
pub use device::{DevId, DeviceVisitor, DmDev};
pub use instance::{Ctx, TaskCtx};
pub use io::{random_bytes, DmIo, IoBuf, Write};
pub use rcu::RcuBox;
pub use srcu::{Srcu, SrcuIdx};
pub(crate) use sync::new_irq_spinlock;
#[cfg(CONFIG_KUNIT)]
pub use sync::NoIo;
pub use sync::{sleep_ms, IrqSpinLock};
pub use target::{Ctr, CtrError, EndIo, MapResult, MessageError, QueueLimits, Registration, StatusType, Target};
