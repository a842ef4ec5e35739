#!/usr/bin/env python3
"""Diffs the property names of a generated Pulumi schema against an npm SDK's JavaScript.

usage: check-schema.py SCHEMA.json NODE_MODULES/@pulumi/NAME [TOKEN ...]

For every resource of the npm SDK (each *.js with `__pulumiType = '<token>'`), the names that
its constructor sends and reads (`resourceInputs["name"]`) must be the inputs and outputs of
that token in the schema; for every interface in types/input.d.ts and types/output.d.ts, the
property names must be those of the schema type of the same name. With TOKENs, only those
resources (and all types) are checked. Prints each difference; exits 1 when there is one.
"""
import json, os, re, sys

schema = json.load(open(sys.argv[1]))
sdk = sys.argv[2]
only = set(sys.argv[3:])
diffs = 0

def report(what, missing, extra):
    global diffs
    if missing or extra:
        diffs += 1
        print(f"DIFF {what}:")
        if missing: print(f"   only in npm SDK: {sorted(missing)}")
        if extra:   print(f"   only in ours:    {sorted(extra)}")

checked = 0
for root, _, files in os.walk(sdk):
    rel = os.path.relpath(root, sdk)
    if "node_modules" in rel.split(os.sep) or rel.split(os.sep)[0] == "types": continue
    for f in files:
        if not f.endswith(".js"): continue
        text = open(os.path.join(root, f)).read()
        m = re.search(r"__pulumiType = '([^']+)'", text)
        if not m: continue
        token = m.group(1)
        if only and token not in only: continue
        names = set(re.findall(r'resourceInputs\["([^"]+)"\]', text)) - {"id"}
        if token in (schema["name"], f"pulumi:providers:{schema['name']}"):
            ours = schema.get("config", {}).get("variables", {}).keys() | schema.get("provider", {}).get("inputProperties", {}).keys()
            names = {n for n in names if n != "pluginDownloadURL"}
        elif token in schema["resources"]:
            r = schema["resources"][token]
            ours = set(r.get("inputProperties", {})) | set(r.get("properties", {}))
        else:
            report(f"resource {token}", {"<the whole resource>"}, set()); continue
        checked += 1
        report(f"resource {token}", names - set(ours), set(ours) - names)
        # List or not (MaxItemsOne flattening): each top-level input of the npm *Args interface.
        dts = os.path.join(root, f[:-3] + ".d.ts")
        am = re.search(r"export interface \w+Args \{(.*?)\n\}", open(dts).read(), re.S) if os.path.exists(dts) else None
        if am and token in schema["resources"]:
            body = re.sub(r"/\*.*?\*/", "", am.group(1), flags=re.S)
            for pm in re.finditer(r"^ {4}(\w+)\??: (.*);$", body, re.M):
                npm_list = "[] |" in pm.group(2) or pm.group(2).endswith("[]>")
                ours_list = schema["resources"][token].get("inputProperties", {}).get(pm.group(1), {}).get("type") == "array"
                if npm_list != ours_list:
                    report(f"resource {token} input {pm.group(1)} list-ness", {f"npm list={npm_list}"}, {f"ours list={ours_list}"})

types = {tok.split(":")[-1][:1].upper() + tok.split(":")[-1][1:]: t for tok, t in schema.get("types", {}).items()}
tchecked = 0
for dts in ("types/input.d.ts", "types/output.d.ts"):
    path = os.path.join(sdk, dts)
    if not os.path.exists(path): continue
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)  # comments may hold braces
    for m in re.finditer(r"export interface (\w+) \{", text):
        name, depth, i = m.group(1), 1, m.end()
        while depth:  # the interface body, nested braces included
            depth += {"{": 1, "}": -1}.get(text[i], 0); i += 1
        body = re.sub(r"/\*\*.*?\*/", "", text[m.end():i - 1], flags=re.S)
        props = set()
        d = 0
        for line in body.split("\n"):  # property names at the interface's own level only
            pm = re.match(r"\s*(\w+)\??:", line)
            if d == 0 and pm: props.add(pm.group(1))
            d += line.count("{") - line.count("}")
        base = name[:-4] if name.endswith("Args") and name[:-4] in types else name
        if base not in types:
            if name.endswith("Args") or dts.endswith("output.d.ts"):
                report(f"type {name} ({dts})", {"<the whole type>"}, set())
            continue
        tchecked += 1
        report(f"type {name} ({dts})", props - set(types[base].get("properties", {})), set(types[base].get("properties", {})) - props)

print(f"checked {checked} resources and {tchecked} types: {diffs} with differences")
sys.exit(1 if diffs else 0)
