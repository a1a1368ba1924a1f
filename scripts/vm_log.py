#!/usr/bin/env python3
"""Turn VM console logs into test results.

  vm_log.py tests LOG TEST...   one result per test run in the boot, then
                                the boot's own checks (completed, no splat
                                outside a test, kmemleak clean)
  vm_log.py kunit SRC LOG...    one result per case of the dm_remap KUnit
                                suite that SRC declares (kunit_suite!),
                                over every run of it in these logs: a case
                                missing from them fails
  vm_log.py splats LOG          the kernel's complaints anywhere in LOG
                                (a killed boot); exit status 1 if any

Prints `ok - name` / `not ok - name` lines, each failure followed by `#`
diagnostics; scripts/test-all.sh numbers and counts them.
"""
import re
import sys

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# Anything the kernel prints when something went wrong: warnings, oopses,
# lockdep, KASAN, sleeping in atomic context, hung tasks, Rust panics.
SPLAT = re.compile(
    r"BUG:|WARNING:|Oops|general protection fault|Kernel panic|KASAN|UBSAN|"
    r"circular locking|recursive locking|inconsistent lock state|"
    r"lock held when returning|INFO: task .* blocked|INFO: possible|"
    r"INFO: rcu|Call Trace:|kernel BUG|panicked at|stack-protector"
)

# The start of the kernel's report of a failed allocation.
ALLOC_FAILURE = re.compile(r"page allocation failure:|vmalloc error:")


def lines(path):
    with open(path, errors="replace") as f:
        for raw in f:
            yield TIMESTAMP.sub("", raw.rstrip("\r\n"))


def result(ok, name, diag=()):
    print(("ok" if ok else "not ok") + " - " + name)
    if not ok:
        for d in diag:
            print("#   " + d)


def tests(log, names):
    state = {n: {"rc": None, "splat": [], "out": []} for n in names}
    current, outside, leaks, done, ready, kmemleak = None, [], None, False, False, True
    in_alloc_report = False
    for line in lines(log):
        m = re.match(r"DMR-(\w+)\s*(.*)", line)
        if m:
            tag, rest = m.groups()
            if tag == "READY":
                ready = True
            elif tag == "BEGIN":
                current = rest.split()[0]
                state.setdefault(current, {"rc": None, "splat": [], "out": []})
            elif tag == "END" and current:
                rc = re.search(r"rc=(\d+)", rest)
                state[current]["rc"] = int(rc.group(1)) if rc else -1
                state[current]["time"] = rest.split()[-1]
                current = None
            elif tag == "KMEMLEAK":
                leaks = None if rest == "off" else int(rest)
                kmemleak = rest != "off"
            elif tag == "DONE":
                done = True
            continue
        if current:
            state[current]["out"].append(line)
            # A test that makes allocations fail on purpose says so (its
            # output may reach the console after the kernel's): the stack
            # of the kernel's report of such a failure is then expected.
            # Any other splat still counts.
            if line == "# DMR-EXPECT allocation-failures":
                state[current]["alloc"] = True
        kernel = not line.startswith("# ")
        if kernel and ALLOC_FAILURE.search(line):
            in_alloc_report = True
        if SPLAT.search(line) and kernel:
            expected = in_alloc_report and line.strip() == "Call Trace:"
            (state[current]["splat"] if current else outside).append((line, expected))
        if "</TASK>" in line:
            in_alloc_report = False
    outside = [line for line, _ in outside]
    for s in state.values():
        s["splat"] = [line for line, expected in s["splat"] if not (expected and s.get("alloc"))]
    for n in names:
        s = state[n]
        diag = [f"console log: {log}"]
        if s["rc"] is None:
            diag.append("did not finish (hang or crash): see the console log")
        elif s["rc"] != 0:
            diag.append(f"exit status {s['rc']}" + (" (killed by the timeout)" if s["rc"] == 137 else ""))
        diag += ["kernel: " + x for x in s["splat"][:20]]
        diag += s["out"][-30:]
        ok = s["rc"] == 0 and not s["splat"]
        result(ok, f"vm: {n}" + (f" ({s['time']})" if "time" in s else ""), diag)
    boot = log.rsplit("/", 1)[-1].removesuffix(".log")
    result(ready and done, f"vm boot {boot}: booted and ran to completion", [f"console log: {log}"])
    result(not outside, f"vm boot {boot}: no kernel warning outside the tests", outside[:30])
    if kmemleak:
        result(leaks == 0, f"vm boot {boot}: kmemleak clean", [f"{leaks if leaks is not None else 'no'} kmemleak result, see {log}"])
    else:
        print(f"ok - vm boot {boot}: kmemleak clean # SKIP kernel without kmemleak")


def declared_cases(src):
    """The case names of the kunit_suite! in the Rust file `src`."""
    with open(src) as f:
        text = f.read()
    m = re.search(r"kunit_suite!\(\s*\"dm_remap\",\s*\[([^\]]*)\]", text)
    if not m:
        raise SystemExit(f"{src}: no kunit_suite!(\"dm_remap\", [...])")
    return [c.strip() for c in m.group(1).split(",") if c.strip()]


def kunit(src, logs):
    declared = declared_cases(src)
    cases, runs = {}, 0
    for log in logs:
        in_suite = False
        for line in lines(log):
            if re.match(r"\s+# Subtest: dm_remap$", line):
                in_suite, runs = True, runs + 1
            elif in_suite:
                m = re.match(r"    (not )?ok \d+ (\S+)", line)
                if m:
                    cases.setdefault(m.group(2), []).append(m.group(1) is None)
                elif re.match(r"(not )?ok \d+ dm_remap", line):
                    in_suite = False
    result(runs > 0, "kunit: dm_remap suite ran", ["no KTAP output from the dm_remap suite"])
    for name, oks in cases.items():
        result(all(oks), f"kunit: {name} ({len(oks)} runs)", [f"failed in {oks.count(False)} of {len(oks)} runs"])
    for name in declared:
        if name not in cases:
            result(False, f"kunit: {name}", ["declared by the suite, missing from every log"])

def splats(log):
    """The kernel's complaints anywhere in a console log, for a boot that
    is killed (no markers, no kmemleak scan): prints them; 1 if any."""
    found = [line for line in lines(log) if not line.startswith("# ") and SPLAT.search(line)]
    for line in found[:30]:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    if sys.argv[1] == "tests":
        tests(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "splats":
        sys.exit(splats(sys.argv[2]))
    else:
        kunit(sys.argv[2], sys.argv[3:])
