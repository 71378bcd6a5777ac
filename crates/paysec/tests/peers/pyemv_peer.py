"""pyemv 1.5.0 (EMV key derivation, cryptograms, ARPC, script MAC) as a test peer."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import h, serve  # noqa: E402

from pyemv import ac, kd, sm  # noqa: E402


def icc_mk_a(c):
    return kd.derive_icc_mk_a(h(c["imk"]), c["pan"], c["psn"]).hex().upper()


def icc_mk_b(c):
    return kd.derive_icc_mk_b(h(c["imk"]), c["pan"], c["psn"]).hex().upper()


def session_key(c):
    return kd.derive_common_sk(h(c["mk"]), h(c["r"])).hex().upper()


def generate_ac(c):
    padding = ac.PaddingType.VISA if c["padding"] == 1 else ac.PaddingType.EMV
    return ac.generate_ac(h(c["sk"]), h(c["data"]), padding).hex().upper()


def arpc1(c):
    return ac.generate_arpc_1(h(c["sk"]), h(c["arqc"]), h(c["arc"])).hex().upper()


def arpc2(c):
    return ac.generate_arpc_2(h(c["sk"]), h(c["arqc"]), h(c["csu"]), h(c["pad"])).hex().upper()


def script_mac(c):
    return sm.generate_command_mac(h(c["sk"]), h(c["data"]), c["len"]).hex().upper()


serve(
    {
        "icc_mk_a": icc_mk_a,
        "icc_mk_b": icc_mk_b,
        "session_key": session_key,
        "generate_ac": generate_ac,
        "arpc1": arpc1,
        "arpc2": arpc2,
        "script_mac": script_mac,
    }
)
