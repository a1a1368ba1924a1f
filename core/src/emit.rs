//! A DMEMIT-style writer for status and message output.
//!
//! Device-mapper hands a target a buffer of `maxlen` bytes. The ioctl layer
//! decides that the output did not fit when it fills the whole buffer
//! (`strlen(result) + 1 == maxlen`) and then tells userspace, which retries
//! with a bigger one. This writer keeps that contract: output that does not
//! fit leaves the buffer exactly full and further writes fail, so output is
//! never cut short silently, and the buffer always holds a NUL-terminated
//! string.

use core::fmt;

/// Writes NUL-terminated text into a fixed buffer.
pub struct Emitter<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflowed: bool,
}

impl<'a> Emitter<'a> {
    /// An emitter over `buf`, which it immediately makes an empty string.
    pub fn new(buf: &'a mut [u8]) -> Self {
        let overflowed = buf.is_empty();
        if let Some(b) = buf.first_mut() {
            *b = 0;
        }
        Self { buf, len: 0, overflowed }
    }

    /// Whether some output did not fit (the buffer is then full).
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

impl fmt::Write for Emitter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.overflowed {
            return Err(fmt::Error);
        }
        // One byte is always kept for the NUL.
        let room = self.buf.len() - 1 - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        self.buf[self.len] = 0;
        if n < s.len() {
            self.overflowed = true;
            return Err(fmt::Error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn fits() {
        let mut b = [0xffu8; 8];
        let mut e = Emitter::new(&mut b);
        write!(e, "{} {}", 12, 34).unwrap();
        assert!(!e.overflowed());
        assert_eq!(&b[..6], b"12 34\0");
    }

    #[test]
    fn overflow_fills_buffer() {
        let mut b = [0xffu8; 8];
        let mut e = Emitter::new(&mut b);
        assert!(write!(e, "0123456789").is_err());
        assert!(e.overflowed());
        assert!(write!(e, "x").is_err());
        assert_eq!(&b, b"0123456\0");
    }

    #[test]
    fn empty_buffer() {
        let mut b = [0u8; 0];
        let mut e = Emitter::new(&mut b);
        assert!(e.overflowed());
        assert!(write!(e, "x").is_err());
    }
}
