#!/usr/bin/env python3
"""Generate the golden files for package pyjson from CPython's json module.

The expected answers come from the real interpreter (the Go tests do not need
Python). Run from this directory with CPython 3.11:

    python3 gen.py            # writes golden.json and floats.json
    python3 gen.py --random 20000 --seed 1 -o /tmp/random.json
                              # extra random cases; test them with
                              # PYJSON_GOLDEN=/tmp/random.json go test ./rest/pyjson/

golden.json is a list of cases. "in" is the input as base64 and "show" a
readable escape of it. Exactly one of these describes Python's answer:
  "out":  json.dumps(json.loads(in), ensure_ascii=False, separators=(",", ":"))
          after applying pyjson's deliberate differences (non-finite floats
          become null, lone surrogates become U+FFFD);
  "msg", "pos": the JSONDecodeError's e.msg and e.pos;
  "err":  "invalid_utf8" (UnicodeDecodeError, or input Python would decode as
          UTF-16/UTF-32, which pyjson does not support; "note" says which) or
          "int_too_long" (ValueError for ints over 4300 digits).

floats.json is a list of [IEEE-754 bits as hex, json.dumps(float)].
"""

import argparse
import base64
import json
import math
import random
import re
import struct
import sys

assert sys.version_info[:2] == (3, 11), "golden files are pinned to CPython 3.11"

SURROGATE = re.compile("[\ud800-\udfff]")


def fix(v):
    """Apply pyjson's deliberate differences to a decoded Python value."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str):
        return SURROGATE.sub("\ufffd", v)
    if isinstance(v, list):
        return [fix(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out[fix(k)] = fix(x)
        return out
    return v


def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def show(b):
    return repr(b)[2:-1]


def case(b):
    rec = {"in": base64.b64encode(b).decode("ascii"), "show": show(b)}
    enc = json.detect_encoding(b)
    if enc not in ("utf-8", "utf-8-sig"):
        rec["err"] = "invalid_utf8"
        try:
            rec["note"] = "Python decodes it as %s: %r" % (enc, json.loads(b))
        except Exception as e:  # noqa: BLE001
            rec["note"] = "Python decodes it as %s: %s: %s" % (enc, type(e).__name__, getattr(e, "msg", e))
        return rec
    try:
        v = json.loads(b)
    except json.JSONDecodeError as e:
        rec["msg"] = e.msg
        rec["pos"] = e.pos
    except UnicodeDecodeError:
        rec["err"] = "invalid_utf8"
    except RecursionError:
        return None  # depends on the interpreter's stack; tested in Go instead
    except ValueError as e:
        if "integer string conversion" not in str(e):
            raise
        rec["err"] = "int_too_long"
    else:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10000)  # fix() and dumps() of the deep cases
        try:
            # Decode again, building dicts from the pairs in input order with
            # the lone surrogates of keys already replaced, as pyjson does
            # (two keys that differ only in lone surrogates collide).
            v = json.loads(b, object_pairs_hook=lambda pairs: {fix(k): x for k, x in pairs})
            rec["out"] = dumps(fix(v))
        finally:
            sys.setrecursionlimit(limit)
    return rec


def u(s):
    return s.encode("utf-8")


HAND = [
    # empty and whitespace
    b"", b" ", b"  ", b"\t\n\r ", b"\n", b"\x0c", b"\x0b", b"\xc2\xa0", b"\xe3\x80\x80 1",
    # incomplete objects and arrays
    b"{", b"{ ", b'{"a"', b'{"a" ', b'{"a":', b'{"a": ', b'{"a":1', b'{"a":1 ', b'{"a":1,',
    b'{"a":1, ', b'{"a":1,}', b'{"a":1 , }', b"[", b"[ ", b"[1", b"[1,", b"[1,]", b"[1 , ]",
    b"[,1]", b"[1,,2]", b"[1 2]", b'{"a" 1}', b'{"a":1 "b":2}', b'{"a":1;"b":2}', b"{,}", b"[]]",
    b"{}}", b"]", b"}", b":", b",", b'{"a":}', b'{"a"::1}', b'{1:2}', b'{null:1}', b'{"a":1]',
    b'[1}', b'{"a":[}', b'{"a":{"b":[1,{"c":}]}}',
    # quoting of names
    b"{'a':1}", b"{a:1}", b"['a']", b'{"a":\'b\'}', b"{\"a\":1, 'b':2}",
    # trailing garbage
    b"{} x", b"1 2", b"[] []", b'"a" "b"', b"null null", b"{}\x00", b"1\n\n x", b"1 /* c */",
    b"1 // c", b"true,", b"{} ,",
    # literals and misspellings
    b"true", b"false", b"null", b" true ", b"True", b"False", b"None", b"nul", b"nulll",
    b"tru", b"truee", b"fals", b"falsey", b"nan", b"NaN", b"NAN", b"NaNa", b"-NaN", b"Infinity",
    b"-Infinity", b"+Infinity", b"infinity", b"Infinit", b"-Infinit", b"-Inf", b"Inf",
    b"[NaN,Infinity,-Infinity]", b'{"x":NaN}', b"undefined", b"n", b"t", b"f", b"N", b"I",
    # numbers
    b"0", b"-0", b"1", b"-1", b"7", b"10", b"-", b"--1", b"+1", b"01", b"-01", b"00", b"0.",
    b"1.", b".5", b"-.5", b"1.5", b"-1.5", b"1.50", b"1.500000", b"0.0", b"-0.0", b"0e0",
    b"1e", b"1E", b"1e+", b"1e-", b"1e5", b"1E2", b"1e+2", b"1e-2", b"1.5e3", b"1.e3",
    b"1e2.5", b"1e400", b"-1e400", b"1e-400", b"-1e-400", b"1.7976931348623157e308",
    b"1.7976931348623159e308", b"4.9e-324", b"2e-324", b"3e-324", b"2.2250738585072011e-308",
    b"2.4703282292062327e-324", b"2.4703282292062328e-324", b"0.1", b"0.30000000000000004",
    b"123456789012345678901234567890", b"-123456789012345678901234567890",
    b"12345678901234567890.0", b"9007199254740993", b"9007199254740993.0", b"1e16", b"1e15",
    b"123456789012345.6", b"1234567890123456.7", b"12345678901234567.8", b"0.0001", b"0.00001",
    b"0.000123", b"1.5e300", b"-1.5e-300", b"100", b"100.0", b"1e2", b"5e-324", b"1e22", b"1e23",
    b"[1,2.0,-3e0]", b"[0,1,2,3,4,5,6,7,8,9,-0,-1]", b"1x", b"0x10", b"1_000", b"1e5x",
    b"1.5.5", b"[1.]", b"[1e]", b"[-]", b"{\"a\":-}", b"-a", b"- 1", b"\xd9\xa1",
    b"1" * 4300, b"-" + b"1" * 4300, b"1" * 4301, b"-" + b"1" * 4301, b"[" + b"1" * 4301 + b" x",
    b"1" * 4301 + b".5", b"1" * 4301 + b"e1", b"[1 x, " + b"1" * 4301 + b"]",
    # strings
    b'""', b'"a"', b'"abc"', b'"', b'"abc', b'"abc\\', b'"abc\\"', b'["abc]', b'{"abc',
    b'{"abc":"d', b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', b'"\\x"', b'"\\x41"', b'"\\a"', b'"\\0"',
    b'"\\\'"', b'"\\U0041"', b'"\\u"', b'"\\u1"', b'"\\u12"', b'"\\u123"', b'"\\u1234"',
    b'"\\u1234', b'"\\u12345', b'"\\u12"x', b'"\\uZZZZ"', b'"\\u00e9"', b'"\\u00E9"', b'"\\u0041x"',
    b'"\\u0000"', b'"\\u001f\\u007f\\u0080"', b'"\\u2028\\u2029"', b'"\\ufeff"', b'"\\uffff"',
    b'"\\ud800"', b'"\\udfff"', b'"\\ud83d\\ude00"', b'"\\uD83D\\uDE00"', b'"\\ud83d\\ude00',
    b'"\\ud83d\\ude0"', b'"\\ud83d\\ude0', b'"\\ud83d\\uZZZZ"', b'"\\ud83d\\u0041"', b'"\\ud83d\\ud83d\\ude00"',
    b'"\\ude00\\ud83d"', b'"\\ud83dx"', b'"\\ud83d\\n"', b'"\\ud83d\\"', b'"\\ud83d\\', b'"\\ud83d\\u"',
    b'"\\ud83d\\u12"', b'"\\ud83d\\u1234', b'"\\ud83d\\udc00x"', b'"\\ud800\\ud800"',
    b'"a\tb"', b'"a\nb"', b'"a\x00b"', b'"a\x1fb"', b'"a\x7fb"', b'"\rx', b'"a\x00', b'"\x00\\x"',
    b'"\\x\x00"', b'"<>&\'"', b'"\xe2\x80\xa8"', b'"\xef\xbb\xbf"', u('"é"'), u('"😀"'),
    u('"Zoë"'), u('"日本語"'), b'"\\/"', b'"\xed\xa0\x80"', b'"\xed\xb0\x80"',
    b'"\xed\xa0\xbd\xed\xb8\x80"', b'"\xed\xa0\x80" x', b"\xed\xa0\x80", b"[\xed\xa0\x80]",
    b'"\xed\xa0"', b'"\xed\x9f\xbf"',
    # non-ASCII before an error: positions count code points
    u('{"é": x}'), u('{"é":1,}'), u('{"😀":1 x}'), u('["😀", 1,]'), u('"😀\\x"'), u('"日本語'),
    u('{"日本":"語"} 1'), u('["é"\t\t, x]'), u('{"ключ": "значение", "x": }'), u("é"), u("😀"),
    u('["é😀\\u00e9", "\\ud83d\\ude00", nul]'), u('{"a":"😀😀😀", "b": tru}'),
    u('"é\x01"'), u('"😀\\u12"'), u('"é\\ud83d\\uZZZZ"'), u("[1, 2, 3] é"),
    # UTF-8 BOM (json.loads on bytes decodes with utf-8-sig)
    b"\xef\xbb\xbf", b"\xef\xbb\xbf{}", b"\xef\xbb\xbf[1]", b'\xef\xbb\xbf{"a" x}',
    b"\xef\xbb\xbf\xef\xbb\xbf1", b"\xef\xbb\xbf 1 x", b"\xef\xbb", b"1\xef\xbb\xbf",
    b'\xef\xbb\xbf"\xed\xa0\x80"', b"\xef\xbb\xbf1\x00",
    # invalid UTF-8 and encodings Python would detect
    b"\xff", b"\xfe", b'"\xff"', b'"\xc3"', b'"\xc3(', b"\xc0\xaf", b'"\xf4\x90\x80\x80"',
    b"{} \x80", b'"\xe9"', b"[1,\xe9]", b"\xff\xfe1\x00", b"\xfe\xff\x001", b"1\x00",
    b"\x001", b"\x00", b"\x00\x00", b"1\x00\x00", b"1\x00\x00\x00", b"\x00\x00\x001",
    b"1\x002\x00", b"[\x001\x00]\x00", b"\x00[\x001\x00]", b"12\x00\x00", b"12\x003",
    b"\xff\xfe\x00\x001\x00\x00\x00", b"\x00\x00\xfe\xff\x00\x00\x001",
    # nesting
    b"[[[]]]", b"[[[", b"[[[1]]", b"[[[1]]]]", b'{"a":{"b":{"c":{}}}}', b'{"a":{"b":{"c":{}}}',
    b"[" * 500 + b"]" * 500, b"[" * 500 + b"]" * 499, b"[" * 499 + b"x", b'{"a":' * 300 + b"1" + b"}" * 300,
    # objects: duplicates, escaped keys, order
    b'{"a":1,"a":2}', b'{"a":1,"b":2,"a":3}', b'{"b":1,"a":2}', b'{"a":1,"\\u0061":2}',
    b'{"\\n":1,"\\"":2,"\\\\":3}', b'{"\\ud83d\\ude00":1}', b'{"":1,"":2}', b'{"x":{"a":1,"a":[]},"x":null}',
    b'{"\\ud800":1,"\\udc00":2}', b'{"a\x00":1}', b'{"a\\q":1}', b'{ "a" : 1 , "b" : [ 1 , 2 ] }',
    b'{"a":[],"b":{},"c":"","d":0}',
    # encoder: escaping and float repr through the decoder
    b'"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"',
    b'"\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"',
    b'"\\u0020\\u0022\\u0027\\u002f\\u003c\\u003e\\u0026\\u005c\\u007f\\u0085\\u00a0\\u200b\\u2028\\u2029\\ufffe"',
    b"[1e16,1e15,1e-4,1e-5,123456789.123456789,0.1,-0.0,1E+2,5e-1,2.5e-5,3.14159e17]",
    b'{"username":"alice@example.com","password":"hunter2hunter2"}',
    b'{"username": "bob", "password": "p\\u00e4ss\\"w\\u00f6rd", "remember": true, "otp": null}',
]

# Every prefix of these documents (and the prefix followed by an 'x'),
# to cover each message at many positions, with multi-byte characters before.
PREFIXED = [
    u('{"name": "Zoë 😀", "list": [1, -2.5e3, true, false, null, {"k\\u00e9y": "v\\n"}], "n": -0}'),
    u('[NaN, -Infinity, "\\ud83d\\ude00é", {"a" : [ ] }, 1E+2]'),
]


def hand_cases():
    inputs = list(HAND)
    for doc in PREFIXED:
        for i in range(len(doc) + 1):
            inputs.append(doc[:i])
            inputs.append(doc[:i] + b"x")
    for c in range(128):
        inputs.append(b'"' + bytes([c]) + b'"')  # raw characters inside a string
        inputs.append(b'"\\' + bytes([c]) + b'"')  # every escape letter
        inputs.append(bytes([c]) + b" ")  # every start of a value
    return inputs


ALPHABET = [
    b"{", b"}", b"[", b"]", b":", b",", b'"', b"\\", b" ", b"\n", b"\t", b"0", b"1", b"9", b"-", b"+",
    b".", b"e", b"E", b"a", b"u", b"x", b"n", b"t", b"f", b"null", b"true", b"false", b"NaN",
    b"Infinity", b"\\u", b"\\ud83d", b"\\ude00", b"00e9", b"\x00", b"\x1f", u("é"), u("😀"),
    b"\xed\xa0\x80", b"\xff", b'"a"', b'"k":', b"12.5e-3",
]


CHARS = ["a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\x80",
         "<", ">", "&", "'", "é", "ß", "日", "\u2028", "\ufeff", "\ufffd", "😀", "\U0010ffff", "\ud800", "\udc00"]


def random_string(rnd):
    """A JSON string literal with random content and random escaping."""
    out = ['"']
    for _ in range(rnd.randint(0, 8)):
        ch = rnd.choice(CHARS)
        cp = ord(ch)
        if 0xD800 <= cp <= 0xDFFF or cp < 0x20 or ch in '"\\' or rnd.random() < 0.3:
            if cp > 0xFFFF:
                cp -= 0x10000
                out.append("\\u%04x\\u%04X" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
            elif ch in "\"\\/\b\f\n\r\t" and rnd.random() < 0.5:
                out.append("\\" + {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}.get(ch, ch))
            else:
                out.append(("\\u%04x" if rnd.random() < 0.5 else "\\u%04X") % cp)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def random_number(rnd):
    r = rnd.random()
    if r < 0.3:
        return str(rnd.randint(-(10 ** rnd.randint(1, 30)), 10 ** rnd.randint(1, 30)))
    if r < 0.6:
        return repr(struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]).replace("inf", "Infinity").replace("nan", "NaN")
    sign = rnd.choice(["", "-"])
    intpart = rnd.choice(["0", str(rnd.randint(1, 10 ** rnd.randint(1, 20)))])
    frac = rnd.choice(["", "." + str(rnd.randint(0, 10 ** rnd.randint(1, 20))).zfill(rnd.randint(1, 5))])
    exp = rnd.choice(["", "e%d" % rnd.randint(-400, 400), "E+%d" % rnd.randint(0, 30), "e-0%d" % rnd.randint(0, 9)])
    return sign + intpart + frac + exp


def random_ws(rnd):
    return "".join(rnd.choice(" \t\n\r") for _ in range(rnd.choice([0, 0, 0, 1, 2])))


def random_value(rnd, depth=0):
    r = rnd.random()
    if depth < 4 and r < 0.25:
        items = [random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
        return "[" + random_ws(rnd) + ",".join(random_ws(rnd) + x + random_ws(rnd) for x in items) + "]"
    if depth < 4 and r < 0.5:
        items = [random_string(rnd) + random_ws(rnd) + ":" + random_ws(rnd) + random_value(rnd, depth + 1)
                 for _ in range(rnd.randint(0, 4))]
        if items and rnd.random() < 0.2:
            items.append(items[0].split(":")[0] + ":null")  # duplicate key
        return "{" + random_ws(rnd) + ",".join(items) + "}"
    if r < 0.7:
        return random_string(rnd)
    if r < 0.9:
        return random_number(rnd)
    return rnd.choice(["true", "false", "null", "NaN", "Infinity", "-Infinity"])


def random_cases(n, seed):
    rnd = random.Random(seed)
    seeds = [doc for doc in HAND if len(doc) < 200] + PREFIXED
    out = []
    while len(out) < n:
        r = rnd.random()
        if r < 0.3:
            out.append(u(random_ws(rnd) + random_value(rnd) + random_ws(rnd)))
            continue
        if r < 0.55:
            b = b"".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 12)))
        else:
            b = bytearray(rnd.choice(seeds))
            for _ in range(rnd.randint(1, 3)):
                op = rnd.randint(0, 2)
                pos = rnd.randint(0, len(b))
                if op == 0:
                    b[pos:pos] = rnd.choice(ALPHABET)
                elif op == 1 and b:
                    del b[pos : pos + rnd.randint(1, 3)]
                elif b:
                    b[pos : pos + 1] = rnd.choice(ALPHABET)
            b = bytes(b)
        out.append(b)
    return out


def float_cases():
    rnd = random.Random(42)
    fs = [0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 100.0, 1e15, 1e16,
          1e17, 9999999999999998.0, 1e16 - 2, 123456789012345.67, 1234567890123456.8, 1e-4, 1e-5,
          0.00012, 0.000099, 1.5e300, -1.5e-300, 5e-324, 1e-323, 2.2250738585072014e-308,
          2.225073858507201e-308, 1.7976931348623157e308, 1e22, 1e23, 1e21, 9007199254740993.0,
          0.5, 0.25, 3.14159, 2.718281828459045, 1e100, 1e-100, 123.0, 4.35, 0.1 + 0.7]
    for e in range(-330, 310):
        fs.append(float("1e%d" % e))
        fs.append(float("1.5e%d" % e))
        fs.append(float("9.999999999999999e%d" % e))
    for _ in range(2000):
        bits = rnd.getrandbits(64)
        f = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if math.isfinite(f):
            fs.append(f)
    for _ in range(1000):
        fs.append(round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 8)))
        fs.append(rnd.random() * 10 ** rnd.randint(-20, 20))
    out, seen = [], set()
    for f in fs:
        if not math.isfinite(f):
            continue
        bits = struct.unpack("<Q", struct.pack("<d", f))[0]
        if bits in seen:
            continue
        seen.add(bits)
        out.append(["%016x" % bits, json.dumps(f)])
    return out


def write(path, items):
    with open(path, "w", encoding="ascii") as fp:
        fp.write("[\n")
        fp.write(",\n".join(json.dumps(x, ensure_ascii=True) for x in items))
        fp.write("\n]\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=0, help="generate N random cases instead")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", default=None)
    args = ap.parse_args()
    if args.random:
        inputs = random_cases(args.random, args.seed)
        path = args.o or "random.json"
    else:
        inputs = hand_cases()
        path = args.o or "golden.json"
    seen, cases = set(), []
    for b in inputs:
        if b in seen:
            continue
        seen.add(b)
        rec = case(b)
        if rec is not None:
            cases.append(rec)
    write(path, cases)
    print("wrote %d cases to %s" % (len(cases), path), file=sys.stderr)
    if not args.random:
        floats = float_cases()
        write("floats.json", floats)
        print("wrote %d floats to floats.json" % len(floats), file=sys.stderr)


if __name__ == "__main__":
    main()
