//! Registering a Rust KUnit suite from a module on 6.12, which has no
//! `#[kunit_tests]`: `kunit_suite!` builds the C `kunit_case` array and
//! `kunit_suite`, and places a pointer to the suite in the
//! `.kunit_test_suites` section, which the module loader hands to KUnit.
//! KUnit then runs the suite when the module loads and prints KTAP.

use core::ffi::CStr;
use kernel::bindings;
use kernel::prelude::*;

/// The running test case, for reporting failed checks.
pub struct Test(*mut bindings::kunit);

impl Test {
    /// # Safety
    ///
    /// `test` must be the `struct kunit` KUnit passed to the running case.
    pub unsafe fn from_raw(test: *mut bindings::kunit) -> Self {
        Self(test)
    }

    /// Fails the case, naming the check at `file:line`, unless `ok`.
    pub fn check(&self, ok: bool, what: &str, file: &str, line: u32) {
        if !ok {
            pr_err!("    # {}:{}: check failed: {}\n", file, line, what);
            // SAFETY: `self.0` is the running case's `struct kunit` (see
            // `from_raw`); KUnit reads `status` after the case returns.
            unsafe { (*self.0).status = bindings::kunit_status_KUNIT_FAILURE };
        }
    }
}

/// Fails the current case unless the condition holds.
macro_rules! check {
    ($t:expr, $cond:expr) => {
        $t.check($cond, stringify!($cond), file!(), line!())
    };
}
pub(crate) use check;

/// A `kunit_case` running `run` under `name`.
pub const fn case(name: &'static CStr, run: unsafe extern "C" fn(*mut bindings::kunit)) -> bindings::kunit_case {
    bindings::kunit_case {
        run_case: Some(run),
        name: name.as_ptr().cast(),
        // SAFETY: all-zero is the valid "unset" state of every other field.
        ..unsafe { core::mem::zeroed() }
    }
}

/// The all-zero entry that ends a `kunit_case` array.
pub const fn case_end() -> bindings::kunit_case {
    // SAFETY: KUnit stops at a case whose `run_case` is NULL.
    unsafe { core::mem::zeroed() }
}

/// A `kunit_suite` named `name` running `cases`.
pub const fn suite(name: &[u8], cases: *mut bindings::kunit_case) -> bindings::kunit_suite {
    // SAFETY: all-zero is the valid "unset" state of every field.
    let mut s: bindings::kunit_suite = unsafe { core::mem::zeroed() };
    let mut i = 0;
    while i < name.len() && i < s.name.len() - 1 {
        s.name[i] = name[i] as _;
        i += 1;
    }
    s.test_cases = cases;
    s
}

/// Defines a KUnit suite: `kunit_suite!(name, [case_fn, ...])`, where each
/// case is a `fn(&Test)`.
macro_rules! kunit_suite {
    ($name:literal, [$($case:ident),+ $(,)?]) => {
        // (The registration is this module's FFI, wherever it expands.)
        #[allow(unsafe_code)]
        mod kunit_registration {
            use kernel::bindings;
            $(
                /// # Safety
                ///
                /// Called only by KUnit, with the running case's context.
                unsafe extern "C" fn $case(test: *mut bindings::kunit) {
                    // SAFETY: KUnit passes the running case's context.
                    super::$case(&unsafe { $crate::kunit::Test::from_raw(test) });
                }
            )+
            const N: usize = [$(stringify!($case)),+].len();
            static mut CASES: [bindings::kunit_case; N + 1] = [
                $($crate::kunit::case(
                    match core::ffi::CStr::from_bytes_with_nul(concat!(stringify!($case), "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => panic!("case name"),
                    },
                    $case,
                ),)+
                $crate::kunit::case_end(),
            ];
            // KUnit writes results into the suite and case structs, so they
            // are `static mut`, reached only through raw pointers.
            static mut SUITE: bindings::kunit_suite =
                $crate::kunit::suite($name.as_bytes(), core::ptr::addr_of_mut!(CASES).cast());
            #[used]
            #[link_section = ".kunit_test_suites"]
            static mut SUITE_ENTRY: *mut bindings::kunit_suite = core::ptr::addr_of_mut!(SUITE);
        }
    };
}
pub(crate) use kunit_suite;
