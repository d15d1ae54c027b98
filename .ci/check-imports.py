#!/usr/bin/env python3
"""Checks that Package.swift declares exactly the modules each target imports.

For every target, the modules its Swift files import (`import X`, `@testable import X`) must be
its declared dependencies (targets, or products named after their module), and every declared
dependency must be imported somewhere in the target. The system's own modules (Foundation,
Glibc, Synchronization, Testing, ...) need no declaration. Prints each difference and exits 1
when there is one.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SYSTEM = {"Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest", "os"}

package = (ROOT / "Package.swift").read_text()
def calls(text):
    """Each `.target(...)`-like call: its kind and its whole argument text (parentheses matched)."""
    for match in re.finditer(r"\.(target|testTarget|executableTarget|systemLibrary)\(", text):
        depth, index = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            index += 1
        yield match.group(1), text[match.end():index - 1]


targets = {}
for kind, arguments in calls(package):
    name = re.match(r'\s*name:\s*"(\w+)"', arguments)
    if not name:
        continue  # a `.target(name:condition:)` dependency inside another target
    name = name.group(1)
    path = re.search(r'path:\s*"([^"]+)"', arguments)
    declared = set()
    dependencies = re.search(r"dependencies:\s*\[", arguments)
    if dependencies:
        depth, index = 1, dependencies.end()
        while depth:
            depth += {"[": 1, "]": -1}.get(arguments[index], 0)
            index += 1
        body = arguments[dependencies.end():index - 1]
        declared |= set(re.findall(r'\.(?:product|target)\(\s*name:\s*"(\w+)"', body))
        declared |= set(re.findall(r'"(\w+)"', re.sub(r"\.(?:product|target)\([^)]*\)", "", body)))
    folder = path.group(1) if path else ("Tests/" if kind == "testTarget" else "Sources/") + name
    targets[name] = (kind, ROOT / folder, declared)

problems = []
for name, (kind, folder, declared) in sorted(targets.items()):
    if kind == "systemLibrary":
        continue
    imported = set()
    for source in folder.rglob("*.swift"):
        for line in source.read_text().splitlines():
            found = re.match(r"\s*(?:@testable\s+)?import\s+(\w+)", line)
            if found:
                imported.add(found.group(1))
    imported -= SYSTEM
    for module in sorted(imported - declared):
        problems.append(f"{name} imports {module} but Package.swift does not declare it")
    for module in sorted(declared - imported):
        problems.append(f"{name} declares {module} but never imports it")

for problem in problems:
    print(f"Package.swift: {problem}")
if problems:
    sys.exit(1)
print(f"Package.swift declares exactly what each of {len(targets)} targets imports")
