//! Safe abstractions over the device-mapper and bio C API.
//!
//! This layer (with `kunit/`) is the only place in the module with `unsafe`
//! code. Its invariants:
//! - a `Target` value lives in `ti->private` from a successful `ctr` until
//!   `dtr`, and DM calls no other hook outside that window;
//! - `map`, `end_io` and `status` may run concurrently on many CPUs, and
//!   `end_io` in hard-IRQ context: they get `&self` and must not sleep;
//! - a `Bio` borrows a bio that DM owns for the duration of one callback;
//! - a `DmDev` holds a `dm_get_device()` reference, dropped with its target.

mod bio;
mod device;
mod ffi;
mod io;
mod target;

pub use bio::Bio;
pub use device::{DeviceVisitor, DmDev};
pub use io::{random_bytes, DmIo, IoBuf, Write};
pub use target::{Ctr, CtrError, MapResult, MessageCtx, MessageError, QueueLimits, Registration, StatusType, Target};
