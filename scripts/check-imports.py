#!/usr/bin/env python3
"""`make test` checks the module stack (DESIGN.md) against the code, so it cannot drift:
- every module a Swift file imports is one its target declares (or a system module), so no
  module leans on what another happens to link;
- the pure layers import only what the design allows them: DashboardKit only ClusterModel, and
  ClusterModel nothing of ours and no NIO.
Reads `swift package dump-package`; prints each violation with file and line, exits 1 if any."""
import json, os, re, subprocess, sys

SYSTEM = {"Foundation", "Glibc", "Dispatch", "Synchronization", "Testing", "XCTest", "_Concurrency"}
ALLOWED = {
    # target: the project modules and package products it may depend on, and nothing else
    "ClusterModel": set(),
    "DashboardKit": {"ClusterModel"},
}

package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True, capture_output=True, text=True).stdout)
problems = []
for target in package["targets"]:
    name = target["name"]
    declared = set()
    for dep in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dep:
                declared.add(dep[kind][0])
    if name in ALLOWED and declared != ALLOWED[name]:
        problems.append(f"Package.swift: {name} depends on {sorted(declared)}; the design allows only {sorted(ALLOWED[name])}")
    root = target.get("path") or ("Tests" if target["type"] == "test" else "Sources") + "/" + name
    if not os.path.isdir(root):
        continue
    for folder, _, files in os.walk(root):
        for file in files:
            if not file.endswith(".swift"):
                continue
            path = os.path.join(folder, file)
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                # Any attribute (@testable, @preconcurrency, @_implementationOnly…), and `import struct X.Y`.
                match = re.match(r"\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)", line)
                if not match:
                    continue
                module = match.group(1)
                if module in SYSTEM or module == name:
                    continue
                if module not in declared:
                    problems.append(f"{path}:{number}: imports {module}, which {name} does not declare in Package.swift")
                elif name in ALLOWED and module not in ALLOWED[name]:
                    problems.append(f"{path}:{number}: {name} may import only {sorted(ALLOWED[name])}, not {module}")

for problem in problems:
    print(problem)
if problems:
    sys.exit(1)
print(f"module imports: {len(package['targets'])} targets match Package.swift and the design")
