#!/usr/bin/env python3
"""Plug disks into a running test VM when its console asks, as a hand
plugs a disk into a running machine (vm-run.sh's hot: disks).

  vm_hotplug.py LOG QMP SERIAL...

Follows the console log LOG; each "DMR-ATTACH <serial>" line adds the SCSI
disk of that serial (a scsi-hd on the virtio-scsi controller, over the
block node vm-run.sh made for it) and each "DMR-DETACH <serial>" removes
it, through QEMU's QMP socket QMP. Prints what it did and QEMU's answers;
ends when QEMU closes the socket.
"""
import json
import re
import socket
import sys
import time

REQUEST = re.compile(r"DMR-(ATTACH|DETACH) (\S+)")


class Qmp:
    """A QMP connection: commands and their answers; events are dropped."""

    def __init__(self, path):
        for _ in range(600):
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit(f"no QMP socket at {path}")
        self.buf = b""
        self.closed = False
        self.message(block=True)  # QEMU's greeting
        self.command("qmp_capabilities")

    def message(self, block):
        """The next whole message, or None when none is there yet (or the
        socket closed) and block is false."""
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(4096, 0 if block else socket.MSG_DONTWAIT)
            except BlockingIOError:
                return None
            if not data:
                self.closed = True
                if block:
                    sys.exit("QEMU closed the QMP socket")
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def command(self, execute, **arguments):
        self.sock.sendall(json.dumps({"execute": execute, "arguments": arguments}).encode() + b"\n")
        while "event" in (answer := self.message(block=True)):
            pass
        print(execute, arguments, "->", answer, flush=True)

    def gone(self):
        """Whether QEMU is gone (the events that came meanwhile dropped)."""
        while self.message(block=False) is not None:
            pass
        return self.closed


def request(qmp, action, serial):
    if action == "ATTACH":
        qmp.command("device_add", driver="scsi-hd", bus="scsi0.0",
                    drive=f"disk-{serial}", serial=serial, id=f"dev-{serial}")
    else:
        qmp.command("device_del", id=f"dev-{serial}")


def main():
    log, path, serials = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    qmp = Qmp(path)
    pending = b""
    with open(log, "rb") as console:
        while not qmp.gone():
            pending += console.read()
            *lines, pending = pending.split(b"\n")
            for line in lines:
                for action, serial in REQUEST.findall(line.decode(errors="replace")):
                    if serial in serials:
                        request(qmp, action, serial)
            time.sleep(0.2)


if __name__ == "__main__":
    main()
