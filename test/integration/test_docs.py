"""doc/configuration.md documents exactly the keys that fulcrumd's parser accepts."""
import os
import re
import subprocess

FULCRUMD = os.environ.get("FULCRUMD", "fulcrumd")
DOC = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "configuration.md")


def documented_keys():
    keys = set()
    with open(DOC) as f:
        for line in f:
            m = re.match(r"\|\s*`([a-z0-9_.\[\]]+)`\s*\|", line)
            if m:
                keys.add(m.group(1))
    return keys


def accepted_keys():
    out = subprocess.run([FULCRUMD, "--list-config-keys"], capture_output=True, text=True, check=True).stdout
    keys = set()
    for line in out.splitlines():
        path, kind = line.split("\t")[:2]
        # Tables that only group keys are documented by their section heading, not as rows.
        if kind == "table" and any(k.startswith(path + ".") for k in (l.split("\t")[0] for l in out.splitlines())):
            continue
        keys.add(path)
    return keys


def test_configuration_md_lists_every_accepted_key():
    missing = accepted_keys() - documented_keys()
    assert not missing, f"keys the parser accepts but doc/configuration.md does not document: {sorted(missing)}"


def test_configuration_md_lists_no_key_the_parser_refuses():
    extra = documented_keys() - accepted_keys()
    assert not extra, f"keys doc/configuration.md documents but the parser does not accept: {sorted(extra)}"
