#!/usr/bin/env python3
"""Hand-made documents for the forensics tests (run once; outputs are committed).

Each file exercises one reader or one hostile case; tests/documents.rs says
what each must give.
"""
import io, os, struct, zipfile, zlib

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.makedirs(here, exist_ok=True)

def core(creator, editor, created, modified, lang=None):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:title>Budget &amp; plan</dc:title><dc:creator>{creator}</dc:creator>'
        f'<cp:lastModifiedBy>{editor}</cp:lastModifiedBy><cp:revision>3</cp:revision>'
        + (f'<dc:language>{lang}</dc:language>' if lang else '') +
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified></cp:coreProperties>')

APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
       '<Application>Microsoft Office Word</Application><Company>Horizon</Company><AppVersion>16.0000</AppVersion></Properties>')

def docx(path, core_xml, extra=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Budget</w:t></w:r></w:p></w:body></w:document>')
        z.writestr("docProps/core.xml", core_xml)
        z.writestr("docProps/app.xml", APP)
        if extra:
            extra(z)

docx(f"{here}/foreign-late.docx", core("Наталья Соколова", "Наталья Соколова", "2016-02-06T22:00:00Z", "2016-02-23T19:37:00Z", "ru-RU"))
docx(f"{here}/plain.docx", core("Claire Martin", "Julien Moreau", "2016-02-01T09:00:00Z", "2016-02-04T08:30:00Z"))

# Truncated: the central directory is gone.
data = open(f"{here}/plain.docx", "rb").read()
open(f"{here}/truncated.docx", "wb").write(data[: len(data) // 2])

# A 1 GiB part of zeros (deflates to about 1 MB): reported, never read.
def bomb(z):
    with z.open("word/media/bomb.bin", "w", force_zip64=True) as f:
        block = bytes(1 << 20)
        for _ in range(1024):
            f.write(block)
docx(f"{here}/bomb-part.docx", core("Claire Martin", "Claire Martin", "2016-02-01T09:00:00Z", "2016-02-02T09:00:00Z"), bomb)

# A core.xml of 8 MiB (the metadata part itself): over the read cap.
big = core("Claire Martin", "Claire Martin", "2016-02-01T09:00:00Z", "2016-02-02T09:00:00Z")
big = big.replace("<dc:title>", "<dc:title>" + " " * (8 << 20))
docx(f"{here}/bomb-core.docx", big)

# ODF text document.
with zipfile.ZipFile(f"{here}/report.odt", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
    z.writestr("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        '<text:h>Réunion du comité</text:h><text:p>Ordre du jour&#160;: budget<text:tab/>sondages</text:p>'
        '<text:p>Prochaine réunion à l&apos;Élysée</text:p></office:text></office:body></office:document-content>')
    z.writestr("meta.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
        '<meta:generator>LibreOffice/5.1.6.2$Linux_X86_64</meta:generator><meta:initial-creator>Laurent Simon</meta:initial-creator>'
        '<dc:creator>Nadia Benali</dc:creator><meta:creation-date>2016-02-27T04:26:12</meta:creation-date><dc:date>2016-03-01T23:54:21.49</dc:date>'
        '<dc:language>fr-FR</dc:language><meta:editing-cycles>7</meta:editing-cycles></office:meta></office:document-meta>')

def pdf(objs, trailer, updates=()):
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offs = {}
    for num, body in objs:
        offs[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")
    def xref(offs, size, trailer, prev=None):
        x = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for n in range(1, size):
            out.write(b"%010d 00000 n \n" % offs.get(n, 0))
        t = b"trailer\n<< /Size %d " % size + trailer + (b" /Prev %d" % prev if prev else b"") + b" >>\n"
        out.write(t + b"startxref\n%d\n%%%%EOF\n" % x)
        return x
    size = max(n for n, _ in objs) + 1
    x = xref(offs, size, trailer)
    for num, body in updates:
        offs[num] = out.tell()
        out.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")
        x = xref(offs, size, trailer, x)
    return out.getvalue()

XMP = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
       '<xmp:CreatorTool>Microsoft Word 2010</xmp:CreatorTool><xmp:ModifyDate>2017-02-23T10:37:17Z</xmp:ModifyDate>'
       '<dc:creator><rdf:Seq><rdf:li>Ирина Волкова</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()
base = [
    (1, b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>"),
    (2, b"<< /Type /Pages /Kids [] /Count 0 >>"),
    (3, b"<< /Title (Note) /Author (Claire Martin) /Creator (Writer) /Producer (LibreOffice 5.1) /CreationDate (D:20170201232522+01'00') /ModDate (D:20170223113717+01'00') >>"),
    (4, b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(XMP) + XMP + b"\nendstream"),
]
open(f"{here}/revised.pdf", "wb").write(pdf(base, b"/Root 1 0 R /Info 3 0 R", updates=[
    (3, b"<< /Title (Note v2) /Author (Claire Martin) /Producer (LibreOffice 5.1) /ModDate (D:20170224120000+01'00') >>"),
    (3, b"<< /Title (Note v3) /Author (Claire Martin) /Producer (LibreOffice 5.1) /ModDate (D:20170225120000+01'00') >>"),
]))
# One page of text in a standard font.
page = b"BT /F1 12 Tf 72 720 Td (Note sur le budget de la campagne) Tj ET"
open(f"{here}/memo.pdf", "wb").write(pdf([
    (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
    (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
    (4, b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream"),
    (5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
    (6, b"<< /Author (Paul Durand) /CreationDate (D:20170301090000Z) >>"),
], b"/Root 1 0 R /Info 6 0 R"))
# Objects that refer to themselves and each other in circles.
open(f"{here}/loop.pdf", "wb").write(pdf([
    (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
    (2, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 /Parent 2 0 R >>"),
    (3, b"<< /Author 3 0 R /Title 4 0 R /Parent 3 0 R >>"),
    (4, b"<< /Next 3 0 R >>"),
], b"/Root 1 0 R /Info 3 0 R"))

# JPEG with a big-endian EXIF: Make, Model, Software, DateTime, Artist.
def ifd_entries(entries):
    # entries: (tag, ascii value); values stored after the IFD.
    n = len(entries)
    head = 8
    data_off = head + 2 + n * 12 + 4
    ifd = struct.pack(">H", n)
    blob = b""
    for tag, val in entries:
        v = val.encode() + b"\0"
        if len(v) <= 4:
            ifd += struct.pack(">HHI", tag, 2, len(v)) + v.ljust(4, b"\0")
        else:
            ifd += struct.pack(">HHII", tag, 2, len(v), data_off + len(blob))
            blob += v
    ifd += struct.pack(">I", 0)
    return b"MM\0*" + struct.pack(">I", head) + ifd + blob
tiff = ifd_entries([(0x010F, "Apple"), (0x0110, "iPhone 6s"), (0x0131, "10.2"), (0x0132, "2016:02:14 20:54:00"), (0x013B, "Claire Martin")])
app1 = b"Exif\0\0" + tiff
jpeg = b"\xff\xd8" + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + b"\xff\xd9"
open(f"{here}/photo.jpg", "wb").write(jpeg)
