"""pydukpt 0.1.0 (ANSI X9.24-1:2009 TDES DUKPT) as a test peer."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import h, serve  # noqa: E402

import pydukpt  # noqa: E402


def keys(c):
    bdk, ksn = h(c["bdk"]), h(c["ksn"])
    ipek = pydukpt.derive_ipek(bdk, ksn)
    key = pydukpt.derive_key(ipek, ksn)
    return {
        "ipek": ipek.hex().upper(),
        "key": key.hex().upper(),
        "pin": pydukpt.pin_key(key).hex().upper(),
        "mac_request": pydukpt.mac_request_key(key).hex().upper(),
        "mac_response": pydukpt.mac_response_key(key).hex().upper(),
        "data_request": pydukpt.data_request_key(key).hex().upper(),
        "data_response": pydukpt.data_response_key(key).hex().upper(),
    }


def next_ksn(c):
    return pydukpt.next_ksn(h(c["ksn"])).hex().upper()


def encrypt_pin(c):
    return pydukpt.encrypt_pin(h(c["key"]), c["pin"], c["pan"]).hex().upper()


def decrypt_pin(c):
    return pydukpt.decrypt_pin(h(c["key"]), h(c["block"]), c["pan"])


serve({"keys": keys, "next_ksn": next_ksn, "encrypt_pin": encrypt_pin, "decrypt_pin": decrypt_pin})
