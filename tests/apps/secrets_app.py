#!/usr/bin/env python3
"""A GTK 3 window with a customer's record on it, for the privacy tests: labels showing an email,
a card number and a cloud key among ordinary text, a password entry, an ordinary entry and a
button. Accessible (GTK exposes it on the AT-SPI bus when one runs). Usage: secrets_app.py TITLE"""
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

ORDINARY = [
    "Quarterly invoice review for the northern region",
    "Account manager: Harbour Street office",
    "Status: awaiting signature from purchasing",
]
SECRETS = [
    ("Email", "jane.doe@example.com"),
    ("Card", "4111 1111 1111 1111"),
    ("Cloud key", "AKIAIOSFODNN7EXAMPLE"),
]


def main() -> None:
    title = sys.argv[1] if len(sys.argv) > 1 else "Customer Record"
    win = Gtk.Window(title=title)
    win.set_default_size(640, 420)
    win.connect("destroy", Gtk.main_quit)
    css = Gtk.CssProvider()
    css.load_from_data(b"* { font-family: 'DejaVu Sans'; font-size: 15px; } window { background: #ffffff; }")
    Gtk.StyleContext.add_provider_for_screen(win.get_screen(), css, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION)
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=10, margin=20)
    for text in ORDINARY[:1]:
        box.pack_start(Gtk.Label(label=text, xalign=0), False, False, 0)
    for name, value in SECRETS:
        box.pack_start(Gtk.Label(label=f"{name}: {value}", xalign=0), False, False, 0)
    for text in ORDINARY[1:]:
        box.pack_start(Gtk.Label(label=text, xalign=0), False, False, 0)
    grid = Gtk.Grid(column_spacing=10, row_spacing=8)
    grid.attach(Gtk.Label(label="Reference", xalign=0), 0, 0, 1, 1)
    reference = Gtk.Entry()
    reference.get_accessible().set_name("Reference")
    grid.attach(reference, 1, 0, 1, 1)
    grid.attach(Gtk.Label(label="Password", xalign=0), 0, 1, 1, 1)
    password = Gtk.Entry(visibility=False)
    password.get_accessible().set_name("Password")
    grid.attach(password, 1, 1, 1, 1)
    box.pack_start(grid, False, False, 0)
    sign_in = Gtk.Button(label="Sign in")
    sign_in.connect("clicked", lambda _b: print("signed in", flush=True))
    box.pack_start(sign_in, False, False, 0)
    win.add(box)
    win.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
