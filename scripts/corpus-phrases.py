#!/usr/bin/env python3
"""Lists the phrases of 3+ words in the classifier's vocabularies (every literal expansion of
each pattern), the string literals of src/classify and tests/classify*.rs, and the
sentences of tests/fixtures/classify that occur verbatim in a corpus message (subject and
decoded text parts, lower-cased, quotes and dashes made plain). Only the longest shared
window per source line is printed: "WORDS<TAB>SOURCE<TAB>PHRASE<TAB>N msgs: FILES".
A hit is a question, not a verdict: stock phrases of recruiting mail ("thank you for
applying") may stay; wording particular to one message must not be in the repository.

Usage: scripts/corpus-phrases.py [CORPUS_DIR...]   (default ../shared/corpus ../shared/corpus2)
NMIN=4 raises the minimum phrase length."""
import sys, os, re, glob, email, html
from email import policy
try:
    import re._parser as sre_parse, re._constants as C
except ImportError:
    import sre_parse, sre_constants as C

def norm(s):
    s = s.lower()
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", "-"), ("\u2014", "-"), ("\u00a0", " ")):
        s = s.replace(a, b)
    s = re.sub(r"<[^>]+>", " ", s)
    s = html.unescape(s)
    s = re.sub(r"^[ \t>]+", "", s, flags=re.M)
    return re.sub(r"\s+", " ", s)

def corpus_texts(dirs):
    out = {}
    for d in dirs:
        for p in sorted(glob.glob(os.path.join(d, "*.eml"))):
            m = email.message_from_bytes(open(p, "rb").read(), policy=policy.default)
            parts = [str(m.get("Subject", ""))]
            for part in m.walk():
                if part.get_content_maintype() == "text":
                    try:
                        parts.append(part.get_content())
                    except Exception:
                        parts.append((part.get_payload(decode=True) or b"").decode("utf-8", "replace"))
            out[os.path.basename(p)] = norm("\n".join(parts))
    return out

BREAK = "\x00"
LIMIT = 400
def expand(tree):
    """Literal expansions of a parsed regex; BREAK where something non-literal stands."""
    outs = [""]
    for op, av in tree:
        if op is C.LITERAL:
            alts = [chr(av)]
        elif op is C.IN:
            # \s class -> space, anything else a break
            alts = [" "] if any(o is C.CATEGORY and a is C.CATEGORY_SPACE for o, a in av) else [BREAK]
        elif op is C.AT:
            alts = [""]
        elif op is C.SUBPATTERN:
            alts = expand(av[-1])
        elif op is C.BRANCH:
            alts = [x for b in av[1] for x in expand(b)]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            inner = expand(sub)
            if all(set(x) <= {" "} for x in inner):
                alts = [" "]
            elif lo == 0 and hi == 1:
                alts = [""] + inner
            else:
                alts = [BREAK]
        else:
            alts = [BREAK]
        outs = [o + a for o in outs for a in alts][:LIMIT]
    return outs

def literal_runs(pattern):
    try:
        tree = sre_parse.parse(pattern)
        exps = expand(tree)
    except Exception:
        exps = [pattern]
    runs = set()
    for e in exps:
        for seg in e.split(BREAK):
            seg = re.sub(r"\s+", " ", seg).strip()
            if len(seg.split()) >= 3:
                runs.add(seg)
    return runs

def hits_of(run, texts, nmin=3):
    """Maximal word windows (>= nmin words) of run that occur in some corpus text."""
    w = run.split()
    found = []
    for n in range(len(w), nmin - 1, -1):
        for i in range(0, len(w) - n + 1):
            ph = " ".join(w[i:i + n])
            if any(ph in f for f in found):
                continue
            if ph not in ALL:
                continue
            pat = re.compile(r"(?<!\w)" + re.escape(ph) + r"(?!\w)")
            where = [k for k, t in texts.items() if ph in t and pat.search(t)]
            if where:
                found.append(ph)
                yield ph, where

def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = sys.argv[1:] or [os.path.join(repo, "../shared/corpus"), os.path.join(repo, "../shared/corpus2")]
    texts = corpus_texts(dirs)
    global ALL
    ALL = "\n".join(texts.values())
    sources = []  # (origin, run)
    for f in sorted(glob.glob(os.path.join(repo, "src/classify/vocab/*.txt"))):
        for ln, line in enumerate(open(f, encoding="utf-8"), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1) if line.startswith("@") else line.split(None, 3)
            pat = parts[-1]
            for r in literal_runs(pat):
                sources.append((f"{os.path.relpath(f, repo)}:{ln} {parts[0]}", r))
    lit = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)
    for f in sorted(glob.glob(os.path.join(repo, "src/classify/*.rs")) + glob.glob(os.path.join(repo, "tests/classify*.rs"))):
        src = open(f, encoding="utf-8").read()
        for m in lit.finditer(src):
            s = m.group(2) if m.group(2) is not None else m.group(3)
            ln = src.count("\n", 0, m.start()) + 1
            runs = literal_runs(s.lower()) if m.group(2) is not None else set()
            plain = re.sub(r"\s+", " ", norm(s.replace("\\n", " "))).strip()
            if len(plain.split()) >= 3:
                runs.add(plain)
            for r in runs:
                sources.append((f"{os.path.relpath(f, repo)}:{ln}", r))
    fx = os.path.join(repo, "tests/fixtures/classify")
    for f in sorted(glob.glob(os.path.join(fx, "*.eml"))):
        m = email.message_from_bytes(open(f, "rb").read(), policy=policy.default)
        body = []
        for part in m.walk():
            if part.get_content_maintype() == "text":
                try: body.append(part.get_content())
                except Exception: pass
        t = norm(str(m.get("Subject", "")) + "\n" + "\n".join(body))
        for sent in re.split(r"(?<=[.!?;:])\s+|\s-\s", t):
            if len(sent.split()) >= 3:
                sources.append((os.path.relpath(f, repo), sent.strip(" .!?;:")))
    seen = {}
    nmin = int(os.environ.get("NMIN", "3"))
    for origin, run in sources:
        for ph, where in hits_of(run, texts, nmin):
            seen.setdefault(origin, {})[ph] = where
    total = 0
    for origin, phrases in seen.items():
        for ph, where in phrases.items():
            if any(ph != other and ph in other for other in phrases):
                continue
            total += 1
            print(f"{len(ph.split())}\t{origin}\t{ph!r}\t{len(where)} msgs: {' '.join(where[:4])}")
    print(f"{total} phrases shared with the corpus", file=sys.stderr)

main()
