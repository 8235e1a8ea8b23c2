#!/usr/bin/env python3
"""Writes tests/data/dump: a small dump whose every message is there for a
query operator or a threading case (see tests/data/queries.txt). Files named
signed-* are signed by the test at run time with tamis-gen's test key;
tampered-* are signed, then their body is changed. The attachments are the
forensics crate's document fixtures."""
import base64, os, textwrap

here = os.path.dirname(os.path.abspath(__file__))
out = f"{here}/data/dump"
docs = f"{here}/../../forensics/tests/data"

def b64(path):
    data = base64.b64encode(open(path, "rb").read()).decode()
    return "\r\n".join(textwrap.wrap(data, 76))

def msg(name, headers, body, attachment=None):
    h = "".join(f"{k}: {v}\r\n" for k, v in headers)
    if attachment is None:
        text = h + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n")
    else:
        fname, ctype, path = attachment
        text = (h + 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
                "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + body.replace("\n", "\r\n") + "\r\n"
                f'--b1\r\nContent-Type: {ctype}; name="{fname}"\r\nContent-Disposition: attachment; filename="{fname}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n" + b64(path) + "\r\n--b1--\r\n")
    open(f"{out}/{name}.eml", "wb").write(text.encode("utf-8"))

CLAIRE = "Claire Martin <claire.martin@horizon.example>"
PAUL = "Paul Durand <paul.durand@agence-partenaire.example>"
HUGO = "=?utf-8?q?Hugo_Lef=C3=A8vre?= <hugo.lefevre@horizon.example>"

os.makedirs(out, exist_ok=True)
msg("signed-memo", [("From", CLAIRE), ("To", PAUL), ("Cc", HUGO), ("Subject", "Budget de la campagne"),
    ("Date", "Mon, 27 Mar 2017 10:00:00 +0200"), ("Message-ID", "<memo@horizon.example>"), ("X-Mailer", "Microsoft Outlook 16.0")],
    "Le budget prévisionnel pour l'Élysée est prêt.\nRéunion jeudi.\n", ("memo.pdf", "application/pdf", f"{docs}/memo.pdf"))
msg("reply", [("From", PAUL), ("To", CLAIRE), ("Subject", "Re: Budget de la campagne"),
    ("Date", "Tue, 28 Mar 2017 09:00:00 +0200"), ("Message-ID", "<reply@agence-partenaire.example>"),
    ("In-Reply-To", "<memo@horizon.example>"), ("References", "<memo@horizon.example>")],
    "Merci, je relis le document.\n> Le budget prévisionnel pour l'Élysée est prêt.\n")
msg("signed-reply2", [("From", CLAIRE), ("To", PAUL), ("Subject", "Re: Budget de la campagne"),
    ("Date", "Sun, 2 Apr 2017 18:00:00 +0200"), ("Message-ID", "<reply2@horizon.example>"),
    ("In-Reply-To", "<reply@agence-partenaire.example>"), ("References", "<memo@horizon.example> <reply@agence-partenaire.example>")],
    "Parfait, on valide.\n")
# Reuses the memo's Message-ID and claims to answer the trip thread.
msg("forged-reuse", [("From", CLAIRE), ("To", HUGO), ("Subject", "Budget de la campagne"),
    ("Date", "Mon, 20 Mar 2017 10:00:00 +0200"), ("Message-ID", "<memo@horizon.example>"),
    ("In-Reply-To", "<trip@horizon.example>"), ("References", "<trip@horizon.example>")],
    "Le budget sera doublé en secret, virement en espèces.\n")
msg("other", [("From", HUGO), ("To", CLAIRE), ("Subject", "=?utf-8?q?D=C3=A9placement_=C3=A0_Marseille?="),
    ("Date", "Sat, 5 Nov 2016 08:30:00 +0100"), ("Message-ID", "<trip@horizon.example>"), ("User-Agent", "Mozilla Thunderbird 45.8")],
    "Le train part à 7h. Jean-Pierre nous rejoint.\n",
    ("plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f"{docs}/plain.docx"))
msg("tampered-note", [("From", CLAIRE), ("To", PAUL), ("Subject", "Note interne"),
    ("Date", "Wed, 15 Feb 2017 12:00:00 +0100"), ("Message-ID", "<note@horizon.example>")],
    "Rien à signaler.\n")
msg("orphan", [("From", PAUL), ("To", CLAIRE), ("Subject", "Re: Sondage"),
    ("Date", "Mon, 1 May 2017 08:00:00 +0200"), ("Message-ID", "<orphan@agence-partenaire.example>"),
    ("In-Reply-To", "<gone@horizon.example>")],
    "Les chiffres du sondage sont bons.\n")
h = [("From", "Service Presse <presse@presse-quotidienne.example>"), ("To", CLAIRE), ("Subject", "Invitation"),
     ("Date", "Thu, 6 Apr 2017 11:00:00 +0200"), ("Message-ID", "<invite@presse-quotidienne.example>")]
open(f"{out}/html.eml", "wb").write(("".join(f"{k}: {v}\r\n" for k, v in h)
    + "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    + "<html><body><p>Rendez-vous <b>confidentiel</b> au si&egrave;ge.</p></body></html>\r\n").encode())
# Zipped by the test as archives/export.zip!inner/x.eml.
msg("zipped", [("From", HUGO), ("To", PAUL), ("Subject", "Archive"),
    ("Date", "Fri, 10 Mar 2017 09:00:00 +0100"), ("Message-ID", "<zipped@horizon.example>")],
    "Message dans une archive.\n")
