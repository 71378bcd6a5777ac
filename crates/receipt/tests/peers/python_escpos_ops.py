"""Runs a list of printer operations through python-escpos's Dummy printer.

stdin: one operation per line (see OPS); stdout: for each operation, the hex of the bytes it
added to the Dummy printer's output, one line each, in order.
"""
import sys

from escpos.printer import Dummy


def run(printer, op, arg):
    if op == "init":
        printer.hw("INIT")
    elif op == "align":
        printer.set(align=arg)
    elif op == "bold":
        printer.set(bold=arg == "on")
    elif op == "underline":
        printer.set(underline=int(arg))
    elif op == "double":
        printer.set(double_width=arg == "on", double_height=arg == "on", normal_textsize=arg != "on")
    elif op == "text":
        printer.text(arg)
    elif op == "textln":
        printer.textln(arg)
    elif op == "feed":
        printer.print_and_feed(int(arg))
    elif op == "cut":
        printer.cut(mode=arg.upper())
    elif op == "cut-nofeed":
        printer.cut(feed=False)
    else:
        raise SystemExit(f"unknown operation {op!r}")


def main():
    printer = Dummy()
    for line in sys.stdin.read().splitlines():
        op, _, arg = line.partition(" ")
        before = len(printer.output)
        run(printer, op, arg)
        print(printer.output[before:].hex())


main()
