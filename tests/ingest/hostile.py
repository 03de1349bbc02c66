"""Hostile PDFs made by hand: pages too large to draw, and every kind of active
content a reader might run, and a look for any of it left in a file."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String


def pdf_with_pages(path: Path, sizes: list[tuple[float, float]]) -> Path:
    pdf = pikepdf.new()
    for size in sizes:
        pdf.add_blank_page(page_size=size)
    pdf.save(path)
    return path


def _js(pdf: pikepdf.Pdf, code: str) -> Dictionary:
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(code)))


def _link(pdf: pikepdf.Pdf, action: Dictionary, x: int) -> Dictionary:
    return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[x, 0, x + 10, 10], A=action))


def arm(path: Path) -> Path:
    """Every kind of active content a reader might run, on the first page of ``path``."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0].obj
        pdf.Root.OpenAction = _js(pdf, "app.alert('open')")
        pdf.Root.AA = Dictionary(WC=_js(pdf, "app.alert('close')"))
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array(["init", _js(pdf, "app.alert('init')")])))
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ not really a program")
        pdf.Root.AcroForm = Dictionary(
            Fields=Array([]), XFA=pdf.make_stream(b"<xdp:xdp><script>x()</script></xdp:xdp>")
        )
        page.AA = Dictionary(O=_js(pdf, "app.alert('page')"))
        web = Dictionary(S=Name.URI, URI=String("https://www.gov.uk/children-with-special-educational-needs"))
        chained = Dictionary(S=Name.GoTo, D=Array([page, Name.Fit]), Next=_js(pdf, "app.alert('next')"))
        attachment = pikepdf.AttachedFileSpec(pdf, b"MZ another program", filename="clip.exe")
        page.Annots = Array(
            [
                _link(pdf, Dictionary(S=Name.Launch, F=String("cmd.exe")), 0),
                _link(pdf, Dictionary(S=Name.URI, URI=String(" JavaScript:alert(1)")), 20),
                _link(pdf, Dictionary(S=Name.URI, URI=String("file:///C:/Windows/system32/calc.exe")), 40),
                _link(pdf, web, 60),
                _link(pdf, chained, 80),
                pdf.make_indirect(
                    Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[100, 0, 110, 10], FS=attachment.obj)
                ),
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Text,
                    Rect=[120, 0, 130, 10],  # a direct annotation
                    AA=Dictionary(E=_js(pdf, "app.alert('enter')")),
                ),
            ]
        )
        pdf.save(path)
    return path


def leftovers(path: Path) -> list[str]:
    """Anything in the file a reader could run, launch or drop on disk."""
    found = []
    with pikepdf.open(path) as pdf:
        if "/OpenAction" in pdf.Root:
            found.append("open action")
        if "/XFA" in pdf.Root.get("/AcroForm", {}):
            found.append("xfa")
        if len(pdf.attachments):
            found.append("attachments")
        dictionaries = [o for o in pdf.objects if isinstance(o, (Dictionary, pikepdf.Stream))]
        dictionaries += [a for page in pdf.pages for a in page.obj.get("/Annots", [])]
        for obj in dictionaries:
            if "/JS" in obj or obj.get("/S") in (Name.JavaScript, Name.Launch):
                found.append(f"action {obj.get('/S')}")
            if "/AA" in obj:
                found.append("additional actions")
            if obj.get("/S") == Name.URI and not str(obj.URI).startswith("https:"):
                found.append(f"link {obj.URI}")
            if obj.get("/Type") == Name.EmbeddedFile or obj.get("/Subtype") == Name.FileAttachment:
                found.append("embedded file")
    return sorted(found)


def web_links(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(a.A.URI) for a in pdf.pages[0].obj.get("/Annots", []) if a.get("/A", {}).get("/S") == Name.URI]
