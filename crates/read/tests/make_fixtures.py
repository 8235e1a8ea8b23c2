#!/usr/bin/env python3
"""Writes the reader's test fixtures into this folder (run once; the outputs are
committed). Each fixture is small and made for one container kind or one hostile
case; `outlook-ascii.msg` comes from the msg_parser crate's test data (MIT)."""
import bz2, gzip, io, lzma, os, shutil, struct, subprocess, tarfile, zipfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.chdir(HERE)

def msg(n, eol="\r\n", body=None):
    body = body or [f"Bonjour, message {n}.", "From the minutes: nothing to add.", ">From a quoted line."]
    lines = [f"From: Alice <alice@example.org>", f"To: bob@example.org",
             f"Subject: test {n}", f"Date: Mon, 4 Jan 2016 10:0{n % 10}:00 +0100",
             f"Message-ID: <m{n}@example.org>", "", *body, ""]
    return eol.join(lines).encode()

def mboxrd(msgs, eol):
    out = b""
    for m in msgs:
        out += b"From alice@example.org Mon Jan  4 10:00:00 2016" + eol
        for line in m.split(eol)[:-1]:
            s = line.lstrip(b">")
            if s.startswith(b"From "):
                line = b">" + line
            out += line + eol
        out += eol
    return out

def fresh(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)

# Maildir++ with a modified-UTF-7 folder, and its non-message files.
fresh("maildir")
for d in ["maildir/cur", "maildir/new", "maildir/tmp", "maildir/.Tr&AOk-sorerie/cur"]:
    os.makedirs(d)
open("maildir/cur/1451900000.M1P1.host,S=200:2,RS", "wb").write(msg(1, "\n"))
open("maildir/new/1451900001.M2P1.host", "wb").write(msg(2, "\n"))
open("maildir/.Tr&AOk-sorerie/cur/1451900002.M3P1.host:2,S", "wb").write(msg(3, "\n"))
open("maildir/.Tr&AOk-sorerie/maildirfolder", "wb").write(b"")
open("maildir/dovecot-uidvalidity", "wb").write(b"5a1b2c3d\n")
open("maildir/subscriptions", "wb").write(b"Tr&AOk-sorerie\n")

# MH: numbered files and .mh_sequences.
fresh("mh")
os.makedirs("mh/inbox")
for i in (1, 2, 10):
    open(f"mh/inbox/{i}", "wb").write(msg(i, "\n"))
open("mh/inbox/.mh_sequences", "wb").write(b"unseen: 10\n")

# mbox flavours.
open("mboxrd-crlf.mbox", "wb").write(mboxrd([msg(1), msg(2), msg(3)], b"\r\n"))
lf = [msg(i, "\n") for i in (4, 5)]
open("mboxo-lf.mbox", "wb").write(mboxrd(lf, b"\n"))
# mboxcl2: an unquoted From line inside a body, kept there by Content-Length.
body = "Line one.\n\nFrom here on, the body is unquoted.\nEnd.\n"
cl2 = b""
for n in (6, 7):
    head = msg(n, "\n", body=[]).split(b"\n\n")[0]
    cl2 += b"From alice@example.org Mon Jan  4 10:00:00 2016\n" + head
    cl2 += f"\nContent-Length: {len(body)}\n\n".encode() + body.encode() + b"\n"
open("mboxcl2.mbox", "wb").write(cl2)
# MMDF.
open("box.mmdf", "wb").write(b"".join(b"\x01\x01\x01\x01\n" + msg(n, "\n") + b"\x01\x01\x01\x01\n" for n in (8, 9)))
# Apple Mail emlx.
m = msg(11, "\n")
open("apple.emlx", "wb").write(str(len(m)).encode() + b"\n" + m + b"<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict/></plist>\n")
# A loose message with no extension, and a text file named like mail.
open("no-extension", "wb").write(msg(12))
open("notes.eml", "wb").write(b"Just some notes, not a message.\n")

# zip: UTF-8 names, a legacy CP437 name, a nested zip, an mbox inside.
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w") as z:
    z.writestr("deep/x.eml", msg(21))
with zipfile.ZipFile("export.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("Boîte de réception/a.eml", msg(22))
    z.writestr("box.mbox", mboxrd([msg(23), msg(24)], b"\r\n"))
    z.writestr("old.zip", inner.getvalue())
    z.writestr("folder/", b"")
# The same member name written as CP437 without the UTF-8 flag.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("rXception.eml", msg(25))
# Python would write a UTF-8 name; patch in the CP437 byte for 'é' (0x82).
open("legacy-names.zip", "wb").write(buf.getvalue().replace(b"rXception", b"r\x82ception"))
with zipfile.ZipFile("zip64.zip", "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
    with z.open("big/one.eml", "w", force_zip64=True) as f:
        f.write(msg(26))

# tar, tar.gz (GNU), tar.bz2, tar.xz, single-stream compression.
def tar(path, mode, members):
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1451900000
            t.addfile(ti, io.BytesIO(data))
tar("maildir.tar.gz", "w:gz", [("u/Maildir/cur/1.host:2,S", msg(31, "\n")), ("u/Maildir/.Sent/cur/2.host:2,S", msg(32, "\n"))])
tar("plain.tar", "w", [("a.eml", msg(33)), ("mbox/in.mbox", mboxrd([msg(34)], b"\n"))])
tar("box.tar.bz2", "w:bz2", [("x.eml", msg(35))])
tar("box.tar.xz", "w:xz", [("y.eml", msg(36))])
open("single.eml.gz", "wb").write(gzip.compress(msg(37), mtime=0))
open("mail.mbox.bz2", "wb").write(bz2.compress(mboxrd([msg(38), msg(39)], b"\n")))
open("mail.mbox.xz", "wb").write(lzma.compress(mboxrd([msg(40)], b"\n")))
subprocess.run(["zstd", "-q", "-f", "-o", "single.eml.zst", "-"], input=msg(41), check=True)
# A mbox inside a zip inside a tar.gz.
mz = io.BytesIO()
with zipfile.ZipFile(mz, "w") as z:
    z.writestr("in.mbox", mboxrd([msg(42), msg(43)], b"\n"))
tar("nested.tar.gz", "w:gz", [("exports/mail.zip", mz.getvalue())])

# ---- hostile ----
fresh("hostile")
os.makedirs("hostile")
# Path traversal and absolute member names.
with zipfile.ZipFile("hostile/traversal.zip", "w") as z:
    z.writestr("../../etc/evil.eml", msg(51))
    z.writestr("/abs/path.eml", msg(52))
    z.writestr("fine.eml", msg(53))
# An encrypted member beside a readable one: the flag bit set in a normal zip
# is what readers see of encryption, so patch it in.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("secret.eml", msg(54))
    z.writestr("open.eml", msg(55))
data = bytearray(buf.getvalue())
local = data.find(b"PK\x03\x04")
data[local + 6] |= 1
central = data.find(b"PK\x01\x02")
data[central + 8] |= 1
open("hostile/encrypted.zip", "wb").write(data)
# Truncated archives: a zip cut before its central directory, a tar.gz cut
# in the middle of its second member.
full = io.BytesIO()
with zipfile.ZipFile(full, "w") as z:
    z.writestr("one.eml", msg(56))
    z.writestr("two.eml", msg(57))
open("hostile/truncated.zip", "wb").write(full.getvalue()[: full.getvalue().find(b"PK\x01\x02") - 10])
tgz = io.BytesIO()
with tarfile.open(fileobj=tgz, mode="w:gz") as t:
    for name, data in [("first.eml", msg(58)), ("second.eml", msg(59) * 40)]:
        ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 0
        t.addfile(ti, io.BytesIO(data))
raw = tarfile.open(fileobj=io.BytesIO(tgz.getvalue()), mode="r:gz")
plain = gzip.decompress(tgz.getvalue())
open("hostile/truncated.tar.gz", "wb").write(gzip.compress(plain[:2500], mtime=0))
# A gzip bomb (64 MiB of zeros in ~64 KiB), and a zip member claiming the same.
open("hostile/bomb.eml.gz", "wb").write(gzip.compress(b"\0" * (64 << 20), 9, mtime=0))
with zipfile.ZipFile("hostile/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("ok.eml", msg(60))
    z.writestr("zeros.eml", b"\0" * (64 << 20))
# Nesting 20 zips deep.
payload = msg(61)
name = "core.eml"
for level in range(20):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(name, payload)
    payload, name = b.getvalue(), f"level{level}.zip"
open("hostile/deep.zip", "wb").write(payload)
# Malformed messages: a 2 MiB header line, broken MIME, invalid UTF-8, NULs.
open("hostile/huge-header.eml", "wb").write(b"Subject: " + b"A" * (2 << 20) + b"\r\n" + msg(62))
open("hostile/broken-mime.eml", "wb").write(
    b"From: x@example.org\r\nMessage-ID: <m63@example.org>\r\nContent-Type: multipart/mixed; boundary=\"b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nno end")
open("hostile/bad-utf8.eml", "wb").write(b"From: \xff\xfe <x@example.org>\r\nSubject: caf\xe9 \xc3\r\nMessage-ID: <m64@example.org>\r\n\r\n\x00\x01body\xff\r\n")
# Split 7z (made by tamis-gen's 7z writer in the Rust test helper): see tests.

# 7z fixtures need Debian's p7zip-full (only to remake them).
import random, tempfile
d = tempfile.mkdtemp()
os.makedirs(f"{d}/Sent")
open(f"{d}/Sent/a.eml", "wb").write(msg(71))
open(f"{d}/box.mbox", "wb").write(mboxrd([msg(72), msg(73)], b"\n"))
for f in ["archive.7z", "hostile/encrypted.7z"] + [f for f in os.listdir(".") if f.startswith("split.7z.")]:
    os.remove(f) if os.path.exists(f) else None
subprocess.run(["7z", "a", "-bd", "-y", os.path.abspath("archive.7z"), "Sent", "box.mbox"], cwd=d, check=True, capture_output=True)
subprocess.run(["7z", "a", "-bd", "-y", "-psecret", "-mhe=on", os.path.abspath("hostile/encrypted.7z"), "Sent"], cwd=d, check=True, capture_output=True)
big = f"{d}/big"
os.makedirs(big)
random.seed(1)
for i in range(3):
    body = ["".join(random.choice("abcdefghij ") for _ in range(70)) for _ in range(40)]
    open(f"{big}/m{i}.eml", "wb").write(msg(80 + i, body=body))
subprocess.run(["7z", "a", "-bd", "-y", "-v2k", "-mx=0", os.path.abspath("split.7z"), "."], cwd=big, check=True, capture_output=True)
shutil.rmtree(d)

# Spanned zip (Info-ZIP `zip -s`, 64 KiB is its smallest part) and a
# Deflate64 member (7-Zip); both need those tools only to remake them.
d = tempfile.mkdtemp()
random.seed(3)
for i in range(3):
    body = "\r\n".join("".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(70)) for _ in range(500))
    open(f"{d}/m{i}.eml", "w").write(f"From: a@example.org\r\nSubject: span {i}\r\nMessage-ID: <span{i}@example.org>\r\n\r\n{body}\r\n")
for f in ["spanned.zip", "spanned.z01", "d64.zip"]:
    os.remove(f) if os.path.exists(f) else None
subprocess.run(["zip", "-q", "-0", "-s", "64k", os.path.abspath("spanned.zip"), "m0.eml", "m1.eml", "m2.eml"], cwd=d, check=True)
subprocess.run(["7z", "a", "-bd", "-tzip", "-mm=Deflate64", os.path.abspath("d64.zip"), "m0.eml"], cwd=d, check=True, capture_output=True)
shutil.rmtree(d)
