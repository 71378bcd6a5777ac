"""psec 1.3.0 (PIN blocks, PIN/card verification values, MACs, TR-31, TDES/AES) and
cryptography 50.0.2 (AES-CMAC) as test peers.

psec draws PIN block fill and TR-31 padding from os.urandom / secrets; to compare bytes
exactly, the cases carry the "random" bytes and this script feeds them to psec in place of
its random sources.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import h, serve  # noqa: E402

import psec  # noqa: E402
import psec.pinblock  # noqa: E402
import psec.tr31  # noqa: E402
from cryptography.hazmat.primitives.ciphers import algorithms  # noqa: E402
from cryptography.hazmat.primitives.cmac import CMAC  # noqa: E402


class _Fixed:
    """Stands in for os.urandom / secrets.choice, replaying given values."""

    def __init__(self, data=b"", letters=""):
        self.data = data
        self.letters = list(letters)

    def urandom(self, n):
        out, self.data = self.data[:n], self.data[n:]
        return out.ljust(n, b"\0")

    def choice(self, _alphabet):
        return self.letters.pop(0)


def pin0(c):
    return psec.pinblock.encode_pinblock_iso_0(c["pin"], c["pan"]).hex().upper()


def pin0_decode(c):
    return psec.pinblock.decode_pinblock_iso_0(h(c["block"]), c["pan"])


def pin3(c):
    psec.pinblock._secrets = _Fixed(letters=c["letters"])
    return psec.pinblock.encode_pinblock_iso_3(c["pin"], c["pan"]).hex().upper()


def pin3_decode(c):
    return psec.pinblock.decode_pinblock_iso_3(h(c["block"]), c["pan"])


def pin4(c):
    psec.pinblock._urandom = _Fixed(h(c["random"])).urandom
    return psec.pinblock.encipher_pinblock_iso_4(h(c["key"]), c["pin"], c["pan"]).hex().upper()


def pin4_decode(c):
    return psec.pinblock.decipher_pinblock_iso_4(h(c["key"]), h(c["block"]), c["pan"])


def ibm3624(c):
    natural = psec.pin.generate_ibm3624_pin(
        h(c["pvk"]), c["table"], "0" * c["pin_len"], c["pan"], c["start"], c["len"], c["pad"]
    )
    offset = psec.pin.generate_ibm3624_offset(
        h(c["pvk"]), c["table"], c["pin"], c["pan"], c["start"], c["len"], c["pad"]
    )
    return {"natural": natural, "offset": offset}


def pvv(c):
    return psec.pin.generate_visa_pvv(h(c["pvk"]), c["pvki"], c["pin"], c["pan"])


def cvv(c):
    return psec.cvv.generate_cvv(h(c["cvk"]), c["pan"], c["expiry"], c["service_code"])


def retail_mac(c):
    k = h(c["key"])
    return psec.mac.generate_retail_mac(k[:8], k[8:], h(c["data"]), c["padding"], c["len"]).hex().upper()


def cbc_mac(c):
    alg = psec.mac.Algorithm.AES if c["aes"] else psec.mac.Algorithm.DES
    return psec.mac.generate_cbc_mac(h(c["key"]), h(c["data"]), c["padding"], c["len"], alg).hex().upper()


def aes_cmac(c):
    m = CMAC(algorithms.AES(h(c["key"])))
    m.update(h(c["data"]))
    return m.finalize().hex().upper()[: 2 * c["len"]]


def kcv(c):
    key = h(c["key"])
    if c["aes"]:
        legacy = psec.aes.encrypt_aes_ecb(key, bytes(16))[:3]
        m = CMAC(algorithms.AES(key))
        m.update(bytes(16))
        return {"legacy": legacy.hex().upper(), "cmac": m.finalize()[:3].hex().upper()}
    return {"legacy": psec.des.generate_kcv(key, 3).hex().upper()}


def parity(c):
    return psec.des.adjust_key_parity(h(c["key"])).hex().upper()


def variant(c):
    return psec.des.apply_key_variant(h(c["key"]), c["variant"]).hex().upper()


def cipher(c):
    key, data = h(c["key"]), h(c["data"])
    mod = psec.aes if c["aes"] else psec.des
    suffix = "aes" if c["aes"] else "tdes"
    ecb = getattr(mod, f"encrypt_{suffix}_ecb")(key, data)
    cbc = getattr(mod, f"encrypt_{suffix}_cbc")(key, h(c["iv"]), data)
    back = getattr(mod, f"decrypt_{suffix}_cbc")(key, h(c["iv"]), cbc)
    return {"ecb": ecb.hex().upper(), "cbc": cbc.hex().upper(), "back": back.hex().upper()}


def tr31_wrap(c):
    psec.tr31._urandom = _Fixed(h(c["pad"])).urandom
    header = psec.tr31.Header(c["version"], c["usage"], c["algorithm"], c["mode"], c["key_version"], c["export"])
    for block_id, data in c["blocks"]:
        header.blocks[block_id] = data
    kb = psec.tr31.KeyBlock(h(c["kbpk"]), header)
    return kb.wrap(h(c["key"]), c["masked"])


def tr31_unwrap(c):
    header, key = psec.tr31.unwrap(h(c["kbpk"]), c["block"])
    return {
        "key": key.hex().upper(),
        "usage": header.key_usage,
        "algorithm": header.algorithm,
        "mode": header.mode_of_use,
        "key_version": header.version_num,
        "export": header.exportability,
        "blocks": [[k, v] for k, v in header.blocks.items()],
    }


serve(
    {
        "pin0": pin0,
        "pin0_decode": pin0_decode,
        "pin3": pin3,
        "pin3_decode": pin3_decode,
        "pin4": pin4,
        "pin4_decode": pin4_decode,
        "ibm3624": ibm3624,
        "pvv": pvv,
        "cvv": cvv,
        "retail_mac": retail_mac,
        "cbc_mac": cbc_mac,
        "aes_cmac": aes_cmac,
        "kcv": kcv,
        "parity": parity,
        "variant": variant,
        "cipher": cipher,
        "tr31_wrap": tr31_wrap,
        "tr31_unwrap": tr31_unwrap,
    }
)
