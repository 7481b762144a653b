#!/usr/bin/env python3
"""The virtual-media boot sequence driven by PyPI sushy, the way OpenStack Ironic does it.

Used by the aero-redfish request-count test (crates/aero-redfish/tests/request_count.rs) as
the reference: the test runs it through a counting proxy in front of a sushy-emulator and
compares the number of HTTP requests with Aerostat's for the same sequence at the same poll
interval. Run it with the Python of the venv made by ci/redfish/setup.sh.

Sequence (ironic.drivers.modules.redfish.boot, RedfishVirtualMediaBoot.prepare_ramdisk and
the power interface): power off (ForceOff, poll PowerState until Off), eject every CD/DVD
slot that holds media, insert the image into the first CD/DVD slot, boot once from Cd in
UEFI mode, power on (On, poll until On). Like Ironic, every step and every poll starts from
a fresh `conn.get_system()` (one GET), so refreshes never cascade into cached sub-resources.

Prints one JSON line with the outcome.
"""
import argparse
import json
import sys
import time

import sushy
from sushy import auth as sushy_auth

CD_TYPES = {sushy.VIRTUAL_MEDIA_CD, sushy.VIRTUAL_MEDIA_DVD}


def wait_for_power(conn, path, wanted, interval, timeout):
    """Poll like Ironic's node_wait_for_power_state: read, check, sleep."""
    deadline = time.monotonic() + timeout
    while True:
        state = conn.get_system(path).power_state
        if state == wanted:
            return
        if time.monotonic() > deadline:
            sys.exit(f"power state {wanted} not reached, last {state}")
        time.sleep(interval)


def cd_slots(system):
    return [
        vmedia
        for vmedia in system.virtual_media.get_members()
        if CD_TYPES.intersection(vmedia.media_types or [])
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--system", required=True, help="system path, e.g. /redfish/v1/Systems/<id>")
    parser.add_argument("--image", required=True)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    with open(args.password_file, encoding="utf-8") as password_file:
        password = password_file.read().strip()

    auth = sushy_auth.SessionOrBasicAuth(username=args.username, password=password)
    conn = sushy.Sushy(args.url, auth=auth, verify=False)
    path = args.system

    system = conn.get_system(path)
    if system.power_state != sushy.POWER_STATE_OFF:
        system.reset_system(sushy.RESET_FORCE_OFF)
        wait_for_power(conn, path, sushy.POWER_STATE_OFF, args.poll_interval, args.timeout)

    for vmedia in cd_slots(conn.get_system(path)):
        if vmedia.inserted:
            vmedia.eject_media()

    slot = cd_slots(conn.get_system(path))[0]
    slot.insert_media(args.image, inserted=True, write_protected=True)

    conn.get_system(path).set_system_boot_options(
        sushy.BOOT_SOURCE_TARGET_CD,
        enabled=sushy.BOOT_SOURCE_ENABLED_ONCE,
        mode=sushy.BOOT_SOURCE_MODE_UEFI,
    )

    system = conn.get_system(path)
    if system.power_state != sushy.POWER_STATE_ON:
        system.reset_system(sushy.RESET_ON)
        wait_for_power(conn, path, sushy.POWER_STATE_ON, args.poll_interval, args.timeout)

    print(json.dumps({"system": system.identity, "slot": slot.identity, "power_state": "On"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
