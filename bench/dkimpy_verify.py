#!/usr/bin/env python3
"""Benchmark peer: dkimpy (Debian's python3-dkim or PyPI dkimpy) verifying
every file under DIR with keys from a JSON-lines file, in N processes.
Prints `messages passed seconds`.

    dkimpy_verify.py KEYS.jsonl PROCESSES DIR
"""
import json, os, sys, time
from multiprocessing import Pool

import dkim

KEYS = {}


def load(path):
    for line in open(path):
        d = json.loads(line)
        name = f"{d['selector']}._domainkey.{d['domain']}.".encode()
        KEYS[name] = d["record"].encode()


def dnsfunc(name, timeout=5):
    return KEYS.get(name)


def verify(path):
    with open(path, "rb") as f:
        msg = f.read()
    try:
        return 1 if dkim.verify(msg, dnsfunc=dnsfunc, minkey=1024) else 0
    except Exception:
        return 0


def main():
    keys, procs, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    load(keys)
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    start = time.time()
    with Pool(procs, initializer=load, initargs=(keys,)) as pool:
        passed = sum(pool.map(verify, files, chunksize=64))
    print(len(files), passed, f"{time.time() - start:.3f}")


if __name__ == "__main__":
    main()
