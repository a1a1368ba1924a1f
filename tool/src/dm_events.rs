//! Device-mapper's global event. After `DM_DEV_ARM_POLL`, poll(2) on
//! `/dev/mapper/control` wakes when any mapped device raises an event
//! (what libdm's `DM_DEVICE_ARM_POLL` does). Unlike `DM_DEV_WAIT`
//! (`dmsetup wait`), it holds no reference to a device, so a monitor never
//! makes `dmsetup remove` wait.

use crate::spare::{Error, Result};
use std::fs::File;
use std::os::fd::AsRawFd;

/// `struct dm_ioctl` (include/uapi/linux/dm-ioctl.h): the header every
/// device-mapper ioctl takes.
#[repr(C)]
struct DmIoctl {
    version: [u32; 3],
    data_size: u32,
    data_start: u32,
    target_count: u32,
    open_count: i32,
    flags: u32,
    event_nr: u32,
    padding: u32,
    dev: u64,
    name: [u8; 128],
    uuid: [u8; 129],
    data: [u8; 7],
}

/// `_IOWR(DM_IOCTL, DM_DEV_ARM_POLL_CMD, struct dm_ioctl)`.
const DM_DEV_ARM_POLL: u64 = (3 << 30) | ((size_of::<DmIoctl>() as u64) << 16) | (0xfd << 8) | 16;

/// An open `/dev/mapper/control`.
pub struct Events(File);

impl Events {
    pub fn open() -> Result<Self> {
        let f = File::open("/dev/mapper/control").map_err(|e| Error::Io(format!("/dev/mapper/control: {e}")))?;
        Ok(Events(f))
    }

    /// Arms the poll: events from now on wake `wait`.
    pub fn arm(&self) -> Result<()> {
        let mut io = DmIoctl {
            version: [4, 0, 0],
            data_size: size_of::<DmIoctl>() as u32,
            data_start: 0,
            target_count: 0,
            open_count: 0,
            flags: 0,
            event_nr: 0,
            padding: 0,
            dev: 0,
            name: [0; 128],
            uuid: [0; 129],
            data: [0; 7],
        };
        // SAFETY: the descriptor is open for the life of `self`; the kernel
        // reads and writes `data_size` bytes at `io`, which is exactly one
        // `struct dm_ioctl` that lives across the call.
        let r = unsafe { libc::ioctl(self.0.as_raw_fd(), DM_DEV_ARM_POLL as _, &mut io as *mut DmIoctl) };
        if r < 0 {
            return Err(Error::Io(format!("DM_DEV_ARM_POLL: {}", std::io::Error::last_os_error())));
        }
        Ok(())
    }

    /// Waits up to `timeout_ms` for an event since `arm`; true if one came.
    pub fn wait(&self, timeout_ms: i32) -> Result<bool> {
        let mut p = libc::pollfd { fd: self.0.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid `pollfd`, for one call.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        match r {
            r if r >= 0 => Ok(r > 0),
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => Ok(false),
            _ => Err(Error::Io(format!("poll /dev/mapper/control: {}", std::io::Error::last_os_error()))),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ioctl_number() {
        // As the C header computes it: _IOWR(0xfd, 16, struct dm_ioctl),
        // a 312-byte struct.
        assert_eq!(size_of::<super::DmIoctl>(), 312);
        assert_eq!(super::DM_DEV_ARM_POLL, 0xc138_fd10);
    }
}
