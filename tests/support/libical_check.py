"""Run by Debian's /usr/bin/python3 (not the project's venv): parse calendar objects with
libical (gir1.2-ical-3.0, through PyGObject) and report what it finds wrong.

Input on stdin: JSON ``{"name": "calendar text", ...}``. Output on stdout: JSON
``{"name": ["X-LIC-ERROR …", ...], ...}`` listing, per object, every X-LIC-ERROR property
libical added while parsing, every component it did not recognise, and every error its
iTIP restriction check (RFC 5546 per METHOD) adds. Exit code 3 when libical is missing.
This file imports nothing of the project.
"""

import json
import sys

try:
    import gi

    gi.require_version("ICalGLib", "3.0")
    from gi.repository import ICalGLib
except (ImportError, ValueError) as error:
    print(f"libical (gir1.2-ical-3.0, python3-gi) is not available: {error}", file=sys.stderr)
    sys.exit(3)


def errors_in(component, found):
    """Every X-LIC-ERROR in ``component`` and below, as 'COMPONENT: type: text'."""
    kind = component.isa()
    prop = component.get_first_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        found.append(f"{ICalGLib.Component.kind_to_string(kind)}: {prop.get_xlicerror()}")
        prop = component.get_next_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        if child.isa() in (ICalGLib.ComponentKind.X_COMPONENT, ICalGLib.ComponentKind.NO_COMPONENT):
            found.append(f"unknown component inside {ICalGLib.Component.kind_to_string(kind)}")
        errors_in(child, found)
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    return found


def check(text):
    component = ICalGLib.Component.new_from_string(text)
    if component is None:
        return ["libical could not parse the object at all"]
    found = errors_in(component, [])
    if component.isa() != ICalGLib.ComponentKind.VCALENDAR_COMPONENT:
        found.append(f"top component is {ICalGLib.Component.kind_to_string(component.isa())}, not VCALENDAR")
        return found
    if not found:
        # RFC 5546 restrictions for the METHOD (REQUEST, CANCEL, DECLINECOUNTER…); libical
        # adds an X-LIC-ERROR for every one broken.
        component.check_restrictions()
        found.extend(f"restriction: {e}" for e in errors_in(component, []))
    return found


def main():
    objects = json.load(sys.stdin)
    json.dump({name: check(text) for name, text in objects.items()}, sys.stdout)


if __name__ == "__main__":
    main()
