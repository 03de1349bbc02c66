"""Active content in a PDF: find it without running it, and take it out of a copy.

Active content is what a reader runs or opens by itself or on a click: JavaScript
(also in XFA forms and media renditions), actions fired on opening or on an event
(``/OpenAction``, ``/AA``), actions that start programs or reach outside the
document (launch, import, submit, embedded go-to, links to ``javascript:``,
``file:`` and the like), embedded files and media. The uploaded original keeps it
byte for byte (it is evidence, served only as an attachment); the searchable copy
officers open is made without it. Plain web links and links within the document
are not active content and stay.
"""

from __future__ import annotations

from typing import TypeGuard

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream
from pikepdf.sanitize import Sanitizer

# Action types that run code or reach outside the document, and what we call them.
_ACTIVE_ACTIONS = {
    "/JavaScript": "javascript",
    "/Launch": "launch action",
    "/ImportData": "import action",
    "/SubmitForm": "submit action",
    "/GoToE": "embedded file",
    "/Rendition": "multimedia",
    "/Movie": "multimedia",
    "/Sound": "multimedia",
    "/RichMediaExecute": "multimedia",
}
_MEDIA_ANNOTATIONS = {"/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# Link targets a reader hands to a script engine, the shell or the file system.
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_MAX_CHAIN = 50  # a /Next chain longer than this is cut, not followed

# pikepdf removes scripts, attachments, media and portfolios in every slot it knows;
# what it leaves (automatic actions, launch and link actions, XFA) is removed below.
_SANITIZER = Sanitizer().remove_javascript().remove_attachments().remove_multimedia().remove_collection()


def find_active_content(pdf: pikepdf.Pdf) -> tuple[str, ...]:
    """The kinds of active content anywhere in the file, sorted; nothing is run."""
    found: set[str] = set()
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        if "/JavaScript" in names:
            found.add("javascript")
        if "/EmbeddedFiles" in names:
            found.add("embedded file")
    if isinstance(root.get("/OpenAction"), Dictionary):
        found.add("automatic action")
    acroform = root.get("/AcroForm")
    if isinstance(acroform, Dictionary) and "/XFA" in acroform:
        found.add("xfa form")
    for obj in pdf.objects:
        if isinstance(obj, (Dictionary, Stream)):
            found.update(_kinds_of(obj))
    for page in pdf.pages:  # annotations may be direct objects, which pdf.objects does not list
        for annotation in _annotations(page):
            found.update(_kinds_of(annotation))
    return tuple(sorted(found))


def make_inert(pdf: pikepdf.Pdf) -> None:
    """Remove every kind ``find_active_content`` names, in place. Unreferenced
    objects (the scripts and files themselves) are left out when the PDF is saved."""
    _SANITIZER.apply(pdf)
    root = pdf.Root
    if "/OpenAction" in root:
        del root.OpenAction
    acroform = root.get("/AcroForm")
    if isinstance(acroform, Dictionary) and "/XFA" in acroform:
        del acroform.XFA  # XFA forms run their own scripts; readers fall back to the plain form
    holders: list[Dictionary | Stream] = [obj for obj in pdf.objects if isinstance(obj, (Dictionary, Stream))]
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if isinstance(annotations, Array):
            # A paperclip that opens nothing, or a media frame that plays nothing, only confuses.
            page.obj.Annots = Array([a for a in annotations if not _is_attachment_or_media(a)])
        holders.extend(_annotations(page))
    for holder in holders:
        if "/AA" in holder:
            del holder.AA
        _drop_active_action(holder, "/A", depth=0)
        _drop_active_action(holder, "/Next", depth=0)


def _annotations(page: pikepdf.Page) -> list[Dictionary]:
    annotations = page.obj.get("/Annots")
    return [a for a in annotations if isinstance(a, Dictionary)] if isinstance(annotations, Array) else []


def _kinds_of(obj: Dictionary | Stream) -> set[str]:
    kinds = set()
    if "/JS" in obj:
        kinds.add("javascript")
    if "/AA" in obj:
        kinds.add("automatic action")
    for action in [obj, *_actions_in(obj, "/A"), *_actions_in(obj, "/Next")]:  # direct ones are not in pdf.objects
        if _is_active_action(action):
            kinds.add(_ACTIVE_ACTIONS.get(str(action.get("/S")), "script link"))
    kind = obj.get("/Type")
    if kind == Name.EmbeddedFile or (kind == Name.Filespec and "/EF" in obj):
        kinds.add("embedded file")
    if _is_attachment_or_media(obj):
        kinds.add("embedded file" if obj.get("/Subtype") == Name.FileAttachment else "multimedia")
    return kinds


def _actions_in(holder: Dictionary | Stream, key: str) -> list[object]:
    value = holder.get(key)
    return [] if value is None else list(value) if isinstance(value, Array) else [value]


def _is_active_action(obj: object) -> TypeGuard[Dictionary | Stream]:
    if not isinstance(obj, (Dictionary, Stream)):
        return False
    action = obj.get("/S")
    if not isinstance(action, Name):
        return False
    if str(action) in _ACTIVE_ACTIONS:
        return True
    if action == Name.URI:
        target = obj.get("/URI")
        # Readers ignore spaces and control characters inside a scheme ("java\tscript:").
        text = str(target) if isinstance(target, pikepdf.String) else ""
        return "".join(ch for ch in text if ord(ch) > 32).lower().startswith(_UNSAFE_SCHEMES)
    return False


def _is_attachment_or_media(obj: object) -> bool:
    return isinstance(obj, Dictionary) and (
        obj.get("/Subtype") == Name.FileAttachment or str(obj.get("/Subtype")) in _MEDIA_ANNOTATIONS
    )


def _drop_active_action(holder: Dictionary | Stream, key: str, *, depth: int) -> None:
    """Remove active actions from ``holder[key]`` (one action or a /Next array),
    following the chain of safe ones that remain."""
    value = holder.get(key)
    if value is None:
        return
    if depth >= _MAX_CHAIN:
        del holder[key]
        return
    actions = _actions_in(holder, key)
    kept = [action for action in actions if not _is_active_action(action)]
    if len(kept) != len(actions):
        if not kept:
            del holder[key]
        else:
            holder[key] = kept[0] if len(kept) == 1 else Array(kept)
    for action in kept:
        if isinstance(action, (Dictionary, Stream)) and not action.is_indirect:  # indirect ones are holders too
            _drop_active_action(action, "/Next", depth=depth + 1)
