"""The independent side of `posnet crypto`'s cross-checks.

Peers (pinned in scripts/requirements-peers.txt): psec 1.3.0 (PIN blocks, CVV, PVV, IBM 3624,
MACs, TR-31, KCV), pyemv 1.5.0 (EMV), pydukpt 0.1.0 (TDES DUKPT), cryptography 50.0.2 (CMAC).

Protocol: one JSON case per stdin line, with "op" naming the computation; one JSON answer per
line, {"out": ...} or {"error": "..."} when the peer refuses the input. The "random" bytes of
PIN block fill and TR-31 padding travel in the case, and are fed to psec in place of its own
random sources, so both sides produce the same bytes.
"""

import json
import sys
import warnings

warnings.simplefilter("ignore")  # cryptography warns on every TDES call

import psec  # noqa: E402
import psec.pinblock  # noqa: E402
import psec.tr31  # noqa: E402
import pydukpt  # noqa: E402
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES  # noqa: E402
from cryptography.hazmat.primitives.ciphers import algorithms  # noqa: E402
from cryptography.hazmat.primitives.cmac import CMAC  # noqa: E402
from pyemv import ac, kd, sm  # noqa: E402


def h(text):
    return bytes.fromhex(text)


def u(data):
    return data.hex().upper()


class Replay:
    """Replays given bytes / letters where psec asks os.urandom / secrets.choice."""

    def __init__(self, data=b"", letters=""):
        self.data = data
        self.letters = list(letters)

    def urandom(self, n):
        out, self.data = self.data[:n], self.data[n:]
        return out.ljust(n, b"\0")

    def choice(self, _alphabet):
        return self.letters.pop(0)


def cmac(cipher, key, data):
    m = CMAC(cipher(key))
    m.update(data)
    return m.finalize()


def kcv(c):
    key = h(c["key"])
    if c["aes"]:
        legacy = psec.aes.encrypt_aes_ecb(key, bytes(16))
        full = cmac(algorithms.AES, key, bytes(16))
    else:
        legacy = psec.des.encrypt_tdes_ecb(key, bytes(8))
        full = cmac(TripleDES, key, bytes(8))
    return {"legacy": u(legacy), "cmac": u(full)}


def clear_block(c):
    fmt, pin, pan = c["format"], c["pin"], c.get("pan")
    if fmt == 0:
        return psec.pinblock.encode_pinblock_iso_0(pin, pan)
    if fmt == 3:
        # psec draws 10 letters and uses as many as the PIN leaves.
        psec.pinblock._secrets = Replay(letters=c["fill"].ljust(10, "A"))
        return psec.pinblock.encode_pinblock_iso_3(pin, pan)
    raise ValueError(f"no clear format {fmt} here")


def pin_encode(c):
    fmt = c["format"]
    if fmt == 4:
        psec.pinblock._urandom = Replay(h(c["fill"])).urandom
        if c.get("key"):
            return u(psec.pinblock.encipher_pinblock_iso_4(h(c["key"]), c["pin"], c["pan"]))
        return u(psec.pinblock.encode_pin_field_iso_4(c["pin"]))
    block = clear_block(c)
    if c.get("key"):
        block = psec.des.encrypt_tdes_ecb(h(c["key"]), block)
    return u(block)


def pin_decode(c):
    fmt, block, pan = c["format"], h(c["block"]), c.get("pan")
    if fmt == 4:
        if c.get("key"):
            return psec.pinblock.decipher_pinblock_iso_4(h(c["key"]), block, pan)
        return psec.pinblock.decode_pin_field_iso_4(block)
    if c.get("key"):
        block = psec.des.decrypt_tdes_ecb(h(c["key"]), block)
    if fmt == 0:
        return psec.pinblock.decode_pinblock_iso_0(block, pan)
    return psec.pinblock.decode_pinblock_iso_3(block, pan)


def dukpt_keys(c):
    bdk, ksn = h(c["bdk"]), h(c["ksn"])
    ipek = pydukpt.derive_ipek(bdk, ksn)
    key = pydukpt.derive_key(ipek, ksn)
    return {
        "ipek": u(ipek),
        "transaction_key": u(key),
        "pin_key": u(pydukpt.pin_key(key)),
        "mac_request_key": u(pydukpt.mac_request_key(key)),
        "mac_response_key": u(pydukpt.mac_response_key(key)),
        "data_request_key": u(pydukpt.data_request_key(key)),
        "data_response_key": u(pydukpt.data_response_key(key)),
    }


def dukpt_transaction_key(c):
    # pydukpt's PIN functions take the transaction key and apply the PIN variant themselves.
    bdk, ksn = h(c["bdk"]), h(c["ksn"])
    return pydukpt.derive_key(pydukpt.derive_ipek(bdk, ksn), ksn)


def dukpt_encrypt_pin(c):
    return u(pydukpt.encrypt_pin(dukpt_transaction_key(c), c["pin"], c["pan"]))


def dukpt_decrypt_pin(c):
    return pydukpt.decrypt_pin(dukpt_transaction_key(c), h(c["block"]), c["pan"])


def cvv(c):
    return psec.cvv.generate_cvv(h(c["cvk"]), c["pan"], c["expiry"], c["service_code"])


def pvv(c):
    return psec.pin.generate_visa_pvv(h(c["pvk"]), c["pvki"], c["pin"], c["pan"])


def ibm3624(c):
    return psec.pin.generate_ibm3624_offset(
        h(c["pvk"]), c["table"], c["pin"], c["pan"], c["start"], c["len"], c["pad"]
    )


def mac(c):
    key, data, length = h(c["key"]), h(c["data"]), c["len"]
    if c["alg"] == "iso9797-1-3":
        return u(psec.mac.generate_retail_mac(key[:8], key[8:], data, c["padding"], length))
    if c["alg"] == "iso9797-1-1":
        alg = psec.mac.Algorithm.AES if c["aes"] else psec.mac.Algorithm.DES
        return u(psec.mac.generate_cbc_mac(key, data, c["padding"], length, alg))
    cipher = algorithms.AES if c["aes"] else TripleDES
    return u(cmac(cipher, key, data)[:length])


def icc_mk(c):
    derive = kd.derive_icc_mk_b if c["option"] == "b" else kd.derive_icc_mk_a
    return u(derive(h(c["imk"]), c["pan"], c["psn"]))


def session_key(c):
    return u(kd.derive_common_sk(h(c["mk"]), h(c["r"])))


def arqc(c):
    padding = ac.PaddingType.VISA if c["padding"] == 1 else ac.PaddingType.EMV
    return u(ac.generate_ac(h(c["sk"]), h(c["data"]), padding))


def arpc(c):
    if c["method"] == 1:
        return u(ac.generate_arpc_1(h(c["sk"]), h(c["arqc"]), h(c["arc"])))
    return u(ac.generate_arpc_2(h(c["sk"]), h(c["arqc"]), h(c["csu"]), h(c["prop"])))


def script_mac(c):
    return u(sm.generate_command_mac(h(c["sk"]), h(c["data"]), c["len"]))


def tr31_wrap(c):
    psec.tr31._urandom = Replay(h(c["fill"])).urandom
    header = psec.tr31.Header(
        c["version"], c["usage"], c["algorithm"], c["mode"], c["key_version"], c["export"]
    )
    for block_id, data in c["blocks"]:
        header.blocks[block_id] = data
    return psec.tr31.KeyBlock(h(c["kbpk"]), header).wrap(h(c["key"]), c["masked"])


def tr31_unwrap(c):
    header, key = psec.tr31.unwrap(h(c["kbpk"]), c["block"])
    return {
        "key": u(key),
        "version": header.version_id,
        "usage": header.key_usage,
        "algorithm": header.algorithm,
        "mode": header.mode_of_use,
        "key_version": header.version_num,
        "exportability": header.exportability,
        "optional_blocks": [f"{k}={v}" for k, v in header.blocks.items()],
    }


OPS = {
    "kcv": kcv,
    "pin_encode": pin_encode,
    "pin_decode": pin_decode,
    "dukpt_keys": dukpt_keys,
    "dukpt_encrypt_pin": dukpt_encrypt_pin,
    "dukpt_decrypt_pin": dukpt_decrypt_pin,
    "cvv": cvv,
    "pvv": pvv,
    "ibm3624": ibm3624,
    "mac": mac,
    "icc_mk": icc_mk,
    "session_key": session_key,
    "arqc": arqc,
    "arpc": arpc,
    "script_mac": script_mac,
    "tr31_wrap": tr31_wrap,
    "tr31_unwrap": tr31_unwrap,
}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        try:
            answer = {"out": OPS[case["op"]](case)}
        except Exception as exc:  # a refusal is an answer too; the test decides
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


main()
