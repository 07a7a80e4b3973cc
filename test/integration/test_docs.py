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


# ---- the operator docs: README.md, doc/*.md, man/ ----
# What the docs tell an operator to type must at least parse: shell blocks with bash -n, configs with
# `fulcrumd --check`, Fulcrum's ipvsadm lines with its own parser, dpip lines against a real (net_null) daemon;
# every page a link names must exist; the man pages must render without a warning.

import glob  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README = os.path.join(ROOT, "README.md")
DOCS = sorted(glob.glob(os.path.join(ROOT, "doc", "*.md")))
# The pages whose commands an operator types as they are; their tool lines are run (see below).
OPERATOR_PAGES = [README] + [os.path.join(ROOT, "doc", p) for p in
                             ("getting-started.md", "dpip.md", "troubleshooting.md", "ipvsadm.md")]
MAN_PAGES = sorted(glob.glob(os.path.join(ROOT, "man", "*.[1-8]")))
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(shutil.which(FULCRUMD) or FULCRUMD)))
IPVSADM = os.environ.get("IPVSADM") or os.path.join(BUILD, "tools", "ipvsadm", "ipvsadm")
DPIP = os.environ.get("DPIP") or os.path.join(BUILD, "tools", "dpip", "dpip")


def read(path):
    with open(path) as f:
        return f.read()


def code_blocks(path, lang):
    """The fenced blocks of one language in a markdown file, as (first line number, text)."""
    out, lines, i = [], read(path).splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == "```" + lang:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return out


def rel(path):
    return os.path.relpath(path, ROOT)


def links(path):
    """Relative link targets of a markdown file (no URLs, no in-page anchors), resolved to paths."""
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", read(path)):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        out.append(os.path.normpath(os.path.join(os.path.dirname(path), target.split("#")[0])))
    return out


def test_every_page_the_readme_or_a_doc_links_exists():
    missing = [f"{rel(p)} -> {rel(t)}" for p in [README] + DOCS for t in links(p) if not os.path.exists(t)]
    assert not missing, f"links to pages that do not exist: {missing}"


def test_the_readme_links_every_doc_page():
    linked = set(links(README))
    orphans = [rel(d) for d in DOCS if d not in linked]
    assert not orphans, f"doc pages the README does not link: {orphans}"


def test_readme_names_the_two_commands():
    text = read(README)
    assert "./scripts/demo.sh" in text and "./scripts/test.sh" in text


@pytest.mark.parametrize("path", [README] + DOCS, ids=rel)
def test_shell_blocks_parse(path):
    for line, block in code_blocks(path, "sh"):
        r = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
        assert r.returncode == 0, f"{rel(path)}:{line}: the sh block does not parse: {r.stderr}"


def test_scripts_parse():
    for script in glob.glob(os.path.join(ROOT, "scripts", "*.sh")):
        r = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
        assert r.returncode == 0, f"{rel(script)}: {r.stderr}"


def getting_started_configs():
    """Every whole config in getting-started.md: ```toml blocks and `cat > FILE <<'EOF'` heredocs."""
    path = os.path.join(ROOT, "doc", "getting-started.md")
    out = [(line, text) for line, text in code_blocks(path, "toml")]
    for line, block in code_blocks(path, "sh"):
        for m in re.finditer(r"<<'EOF'\n(.*?)^EOF$", block, re.S | re.M):
            if "[eal]" in m.group(1):
                out.append((line, m.group(1)))
    assert len(out) >= 2, "getting-started.md should hold the veth and the NIC configs"
    return out


def test_getting_started_configs_pass_fulcrumd_check(tmp_path):
    for line, text in getting_started_configs():
        conf = tmp_path / f"line{line}.conf"
        conf.write_text(text)
        r = subprocess.run([FULCRUMD, "-c", str(conf), "--check"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"doc/getting-started.md:{line}: fulcrumd --check refuses the config: {r.stderr}"


def tool_lines(tool):
    """(page, line, argv after the tool) for each command line of the operator pages that runs `tool`: as a
    bare word, $FULCRUM/tool, $IPVSADM-style variables or a build path. Lines that run stock ipvsadm through
    fulcrum-bridge, or /usr/sbin/ipvsadm, are stock's and left out."""
    out = []
    var = {"ipvsadm": "IPVSADM", "dpip": "DPIP"}[tool]
    for page in OPERATOR_PAGES:
        for start, block in code_blocks(page, "sh"):
            for n, raw in enumerate(block.splitlines()):
                line = raw.split(" #")[0].strip()
                if "fulcrum-bridge" in line or "/usr/sbin/" in line:
                    continue
                # a line may chain several commands (`a > f && b; c`): look at each
                for part in re.split(r"&&|;|\|", line):
                    try:
                        words = shlex.split(part)
                    except ValueError:
                        continue
                    for i, w in enumerate(words):
                        if "=" in w:  # IPVSADM=/usr/local/sbin/ipvsadm: an assignment, not a run
                            continue
                        if w in (tool, f"${var}") or w.endswith(f"/{tool}") and not w.startswith("/usr/sbin"):
                            argv = []
                            for a in words[i + 1:]:
                                if a in (">", "<", ">>") or a.startswith((">", "<", "2>")):
                                    break
                                argv.append(a)
                            out.append((rel(page), start + n, argv))
                            break
    return out


def test_ipvsadm_lines_parse():
    """Fulcrum's ipvsadm checks its whole command line before it asks fulcrumd: against a socket where no
    daemon listens, a line that parses ends in `Can't initialize ipvs` (or succeeds, as -h does)."""
    lines = tool_lines("ipvsadm")
    assert len(lines) >= 10, lines
    env = dict(os.environ, FULCRUM_CTRL_SOCKET="/nonexistent/fulcrum-docs-test.sock")
    for page, line, argv in lines:
        r = subprocess.run([IPVSADM, *argv], capture_output=True, text=True, env=env, timeout=30,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0 or "Can't initialize ipvs" in r.stderr, \
            f"{page}:{line}: ipvsadm {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}"


# Appended to netns_lab's BASE_CONFIG ([eal] .. [netif] of every lab daemon): two ports that receive nothing.
DPIP_PORTS = """
[[port]]
name = "dpdk0"
vdev = "net_null0,no-rx=1"
[[port]]
name = "dpdk1"
vdev = "net_null1,no-rx=1"
[ipvs]
conn_max = 1024
"""

# dpip's words for a command line it did not understand; a refusal by fulcrumd (a route to nowhere, an
# address that exists) is fine: the line parsed.
DPIP_SYNTAX_ERRORS = ("unknown", "unexpected", "expected", "invalid", "needs", "missing", "nothing to change")


def test_dpip_lines_run():
    """Each dpip line of the operator pages, in page order, against a daemon with two net_null ports (dpdk0,
    dpdk1). It must parse: exit 0, or a refusal that is not a syntax error (a ping nobody answers)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
    from daemon import Daemon
    from netns_lab import BASE_CONFIG
    lines = tool_lines("dpip")
    assert len(lines) >= 10, lines
    d = Daemon(FULCRUMD, BASE_CONFIG + DPIP_PORTS, "fulcrum-docs")
    try:
        d.start()
        env = dict(os.environ, FULCRUM_CTRL_SOCKET=d.socket)
        for page, line, argv in lines:
            argv = [a for a in argv if a != "|"]
            if "ping" in argv:
                argv += ["timeout", "50"]  # nobody answers on net_null: do not wait a second per ping
            r = subprocess.run([DPIP, *argv], capture_output=True, text=True, env=env, timeout=60,
                               stdin=subprocess.DEVNULL)
            ok = r.returncode == 0 or (r.returncode == 1 and not any(w in r.stderr for w in DPIP_SYNTAX_ERRORS))
            assert ok, f"{page}:{line}: dpip {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}"
    finally:
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)


def test_man_pages_render_without_warnings():
    assert {os.path.basename(p) for p in MAN_PAGES} >= {"fulcrumd.8", "ipvsadm.8", "dpip.8"}
    for page in MAN_PAGES:
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and not r.stderr, f"{rel(page)}: groff: {r.stderr}"
        r = subprocess.run(["man", "-l", page], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, MANWIDTH="80"))
        shown = re.sub(".\x08", "", r.stdout)  # man's bold and underline are overstrikes when not on a terminal
        assert r.returncode == 0 and "NAME" in shown and "SYNOPSIS" in shown, f"{rel(page)}: man: {r.stderr}"
        assert not r.stderr, f"{rel(page)}: man -l warns: {r.stderr}"


def test_every_man_page_is_installed():
    listed = read(os.path.join(ROOT, "man", "CMakeLists.txt"))
    for page in MAN_PAGES:
        assert os.path.basename(page) in listed, f"{rel(page)} is not in man/CMakeLists.txt"
    assert "add_subdirectory(man)" in read(os.path.join(ROOT, "CMakeLists.txt"))


GS_NAMESPACES = ["lb-client", "lb", "lb-switch", "lb-rs1", "lb-rs2"]


def test_getting_started_veth_walkthrough_runs(tmp_path):
    """Section 2 of getting-started.md, block by block as written, with $FULCRUM pointing at this build: the
    client's requests must alternate between the two real servers, and the teardown must leave nothing."""
    existing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
    if any(ns in existing for ns in GS_NAMESPACES):
        pytest.skip("the walkthrough's namespaces exist already (someone is following the page)")
    path = os.path.join(ROOT, "doc", "getting-started.md")
    section = read(path).split("## 2. ")[1].split("## 3. ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) >= 5, "the veth walkthrough's blocks"
    fulcrum = tmp_path / "sbin"  # what `cmake --install` makes: the programs side by side
    fulcrum.mkdir()
    for name, target in (("fulcrumd", FULCRUMD), ("dpip", DPIP), ("ipvsadm", IPVSADM)):
        (fulcrum / name).symlink_to(os.path.abspath(shutil.which(target) or target))
    script = "set -e\nexport FULCRUM=%s\n" % fulcrum + "\n".join(blocks)
    try:
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=180, cwd=tmp_path)
        assert r.returncode == 0, f"the walkthrough stopped (exit {r.returncode}): {r.stderr[-3000:]}"
        answers = [l for l in r.stdout.splitlines() if l.startswith("hello from rs")]
        assert answers == ["hello from rs1", "hello from rs2"] * 2 or \
            answers == ["hello from rs2", "hello from rs1"] * 2, r.stdout[-3000:]
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        assert not any(ns in left for ns in GS_NAMESPACES), "the teardown block left namespaces behind"
        assert not any(os.path.exists(f) for f in ("/tmp/lb.conf", "/tmp/lb-rs1")), "the teardown left files"
    finally:
        # A walkthrough that stopped half-way: stop what it started in its namespaces, by PID, and remove them.
        for ns in GS_NAMESPACES:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                subprocess.run(["kill", "-KILL", pid], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
