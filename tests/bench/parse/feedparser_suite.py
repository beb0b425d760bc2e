#!/usr/bin/env python3
"""Score `braid parse` against feedparser's own test suite, as feedparser's runner reads it.

    python3 tests/bench/parse/feedparser_suite.py FEEDPARSER/tests [BRAID] [-v]

Every .xml file under FEEDPARSER/tests/wellformed and /illformed states in its header comment
what a correct reader returns ("Expect: <Python expression over the parse result>"). This runs
`braid parse -` on each, the file's bytes on stdin (feedparser's runner hands it the document,
not a URL; nothing is copied), reads braid's contract JSON under feedparser's names (fp_view:
each contract field under the key feedparser gives it) and evaluates the expression, as
feedparser's tests/helpers.py does. Each case is
  PASS          the expression holds on braid's output,
  FAIL          it does not (or braid exits non-zero on a feed),
  DELIBERATE    it does not, and README's parser section says why braid differs (DELIBERATE),
  NOT-SCOREABLE the expression needs what the `braid parse` contract does not carry, decided
                from the expression before braid runs; the reason is printed with -v (the key,
                or the class: HTTP, sanitizing, HTML in plain-text fields).
A key the contract carries is always scored. Prints per-folder counts, the reasons, the
deliberate differences, the FAILs and the total. feedparser's SkipUnless lines are not obeyed
(every case is scored).
Exit 0 whatever the score: this is a measurement, the CI test is test_parse_feedparser.py.
"""
import ast
import collections
import datetime
import json
import html.parser
import os
import re
import subprocess
import sys
import time

DESC = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
SKIP = re.compile(r"SkipUnless:\s*(.*?)\n")

# Keys feedparser gives (its own aliases included, util.py's keymap) that hold a field of the
# `braid parse` contract (SCHEMA below nests them). Anything else in an expression makes the
# case NOT-SCOREABLE.
TOP = {"bozo", "encoding", "version", "feed", "channel", "entries", "items"}
FEED = {"title", "link", "id", "guid", "subtitle", "description", "tagline", "updated_parsed",
        "modified_parsed", "date_parsed", "language", "author", "author_detail", "image", "ttl"}
ENTRY = {"title", "link", "id", "guid", "summary", "description", "content", "published_parsed",
         "issued_parsed", "updated_parsed", "modified_parsed", "date_parsed", "author",
         "author_detail", "tags", "category", "enclosures"}
# Why a key is not carried, for the report (the rest: "key not in the contract").
WHY = {
    "published": "raw date string (the contract carries the date normalised: *_parsed is scored)",
    "updated": "raw date string (the contract carries the date normalised: *_parsed is scored)",
    "modified": "raw date string", "issued": "raw date string", "date": "raw date string", "created": "raw date string",
    "headers": "HTTP headers (braid parse reads a file)", "status": "HTTP status", "href": "HTTP url",
    "etag": "HTTP headers", "namespaces": "namespaces dict",
    "bozo_exception": "feedparser's exception classes",
}
# feedparser's version names for each contract format.
VERSIONS = {"rss2.0": {"rss20", "rss"}, "rss1.0": {"rss10"}, "atom1.0": {"atom10"}, "atom0.3": {"atom03", "atom"},
            "rss0.9x": {"rss090", "rss091n", "rss091u", "rss092", "rss093", "rss094", "rss"}}
# Fields the contract gives as plain text (feedparser keeps the markup of HTML ones).
PLAIN = {"title", "subtitle", "tagline", "description", "author"}
# Cases where braid differs from feedparser on purpose (README's parser section says why).
DELIBERATE = {
    "illformed/chardet/big5.xml": "no statistical charset guessing",
    "illformed/chardet/eucjp.xml": "no statistical charset guessing",
    "illformed/chardet/euckr.xml": "no statistical charset guessing",
    "illformed/chardet/gb2312.xml": "no statistical charset guessing",
    "illformed/chardet/koi8r.xml": "no statistical charset guessing",
    "illformed/chardet/shiftjis.xml": "no statistical charset guessing",
    "illformed/chardet/tis620.xml": "no statistical charset guessing",
    "illformed/chardet/windows1255.xml": "no statistical charset guessing",
    "wellformed/atom10/entry_content_text_plain_brackets.xml": "content is HTML: a text construct is escaped",
    "wellformed/rss/channel_description_shorttag.xml": "an empty element is null, not \"\"",
    "wellformed/rss/item_dc_date_parsed.xml": "an item's dc:date is its published date",
    "wellformed/rss/item_description_and_summary.xml": "a bare <summary> in RSS is not content",
    "wellformed/rss/item_summary_and_description.xml": "a bare <summary> in RSS is not content",
    "wellformed/rss/item_madeup_tags_element.xml": "<tags> is no element of any feed vocabulary",
    "illformed/undeclared_namespace.xml": "an undeclared prefix does not make XML ill-formed",
}
MARKUP = re.compile(r"<[A-Za-z/!?]|&[#A-Za-z0-9]+;")


class NotScoreable(Exception):
    pass


class Version(str):
    """A contract format that equals each feedparser version it stands for (rss0.9x: 090..094)."""

    def __eq__(self, other):
        return isinstance(other, str) and (other == str(self) or other in VERSIONS.get(str(self), ()))

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class Title(str):
    """A plain-text title: an expectation holding markup or an entity reference is feedparser's
    HTML title, which braid gives as plain text on purpose."""

    def __eq__(self, other):
        if isinstance(other, str) and MARKUP.search(other):
            raise NotScoreable("HTML title markup (braid titles are plain text)")
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class FP(dict):
    """A dict that answers like feedparser's FeedParserDict for the keys it holds, raises KeyError
    (a FAIL) for a carried key braid left null, and NotScoreable for a key the contract lacks."""

    ALIAS = {"channel": "feed", "items": "entries", "guid": "id", "date_parsed": "updated_parsed",
             "modified_parsed": "updated_parsed", "issued_parsed": "published_parsed", "tagline": "subtitle",
             "url": "href"}

    def __init__(self, known, **kw):
        super().__init__({k: v for k, v in kw.items() if v is not None})
        self.known = known

    def _key(self, k):
        if k == "description":
            return "summary" if "summary" in self.known else "subtitle"
        return self.ALIAS.get(k, k)

    def _check(self, k):
        if k not in self.known and self._key(k) not in self.known:
            raise NotScoreable(WHY.get(k, "key not in the contract: " + str(k)))
        return self._key(k)

    def __getitem__(self, k):
        if k == "category":
            return self["tags"][0]["term"]
        return dict.__getitem__(self, self._check(k))

    def __contains__(self, k):
        if k == "category":
            return bool(self.get("tags"))
        return dict.__contains__(self, self._check(k))

    has_key = __contains__

    def get(self, k, default=None):
        return self[k] if k in self else default

    def __getattr__(self, k):
        if k.startswith("_") or k == "known":
            raise AttributeError(k)
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k)


def parsed(s):
    """A contract date as feedparser's *_parsed: a UTC struct_time with tm_isdst 0."""
    return time.struct_time(tuple(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))[:8] + (0,)) if s else None


class Html(str):
    """summary/content: HTML, equal to another string that parses to the same HTML (feedparser
    re-serialises what it read: attribute order, quotes, `<x/>` and end tags do not count)."""

    def __eq__(self, other):
        return isinstance(other, str) and html_tokens(str(self)) == html_tokens(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class Tokens(html.parser.HTMLParser):
    """HTML as a tree, written out canonically: attributes sorted (xmlns ones dropped), `<x/>`
    closed at once, an end tag closing what is open above its element, the rest closed at the end."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.open = []

    def handle_starttag(self, tag, attrs):
        attrs = sorted((k, v or "") for k, v in attrs if not k.startswith("xmlns"))
        self.out.append("<%s %r>" % (tag, attrs))
        if tag in VOID:
            self.out.append("</%s>" % tag)
        else:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append("</%s>" % top)
            if top == tag:
                break

    def handle_data(self, data):
        if self.out and isinstance(self.out[-1], tuple):
            self.out[-1] = (self.out[-1][0] + data,)
        else:
            self.out.append((data,))

    def tree(self):
        self.close()
        while self.open:
            self.out.append("</%s>" % self.open.pop())
        return self.out


def html_tokens(s):
    t = Tokens()
    t.feed(s)
    return t.tree()


class Author(str):
    """braid's author is the person's name (deliberate); feedparser's author string adds the
    e-mail address ("Name (me@example.com)"), which the contract does not carry."""

    def __eq__(self, other):
        if isinstance(other, str) and "@" in other:
            raise NotScoreable("author with e-mail (braid's author is the name; deliberate)")
        return str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def wrap(cls, v):
    return cls(v) if v is not None else None


def person(name):
    return FP({"name"}, name=name) if name else None


def fp_view(d):
    """braid's contract JSON as feedparser's result, carried fields only."""
    f = d["feed"]
    image = FP({"href", "url"}, href=f["image"]) if f.get("image") else None
    feed = FP(FEED, title=wrap(Title, f["title"]), link=f["link"], id=f["id"], subtitle=wrap(Title, f["subtitle"]),
              language=f["language"], author=wrap(Author, f["author"]), author_detail=person(f["author"]),
              image=image, ttl=str(f["ttl"]) if f.get("ttl") is not None else None, updated_parsed=parsed(f["updated"]))
    entries = []
    for e in d["entries"]:
        content = [FP({"value"}, value=Html(e["content"]))] if e["content"] is not None else None
        # feedparser's summary is the content where the entry has no summary of its own
        summary = e["summary"] if e["summary"] is not None else e["content"]
        entries.append(FP(ENTRY, title=wrap(Title, e["title"]), link=e["link"], id=e["id"], summary=wrap(Html, summary),
                          content=content, author=wrap(Author, e["author"]), author_detail=person(e["author"]),
                          published_parsed=parsed(e["published"]), updated_parsed=parsed(e["updated"]),
                          tags=[FP({"term"}, term=c) for c in e["categories"]],
                          enclosures=[FP({"href", "url", "type", "length"}, href=z["url"], type=z["type"],
                                         length=str(z["length"]) if z.get("length") is not None else None)
                                      for z in e["enclosures"]]))
    return FP(TOP, bozo=not d["wellformed"], encoding=d["encoding"], version=Version(d["format"] or ""),
              feed=feed, entries=entries)


PERSON = {"name": None}
SCHEMA = {
    "bozo": None, "encoding": None, "version": None,
    "feed": dict({k: None for k in FEED}, author_detail=PERSON, image={"href": None, "url": None}),
    "entries": dict({k: None for k in ENTRY}, author_detail=PERSON, content={"value": None}, tags={"term": None},
                    enclosures={k: None for k in ("href", "url", "type", "length")}),
}
SCHEMA["channel"], SCHEMA["items"] = SCHEMA["feed"], SCHEMA["entries"]
METHODS = {"get", "has_key", "keys", "lower", "strip", "startswith", "endswith", "count", "find"}


def chain(node):
    """The keys a lookup walks from a name (entries[0]['content'][0]['value'] gives entries,
    content, value), or None when the node is no lookup."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Subscript):
        base = chain(node.value)
        if base is None:
            return None
        s = node.slice
        return base + [s.value] if isinstance(s, ast.Constant) and isinstance(s.value, str) else base
    if isinstance(node, ast.Attribute) and node.attr not in METHODS:
        base = chain(node.value)
        return base + [node.attr] if base is not None else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "has_key") \
            and node.args and isinstance(node.args[0], ast.Constant):
        base = chain(node.func.value)
        return base + [node.args[0].value] if base is not None else None
    return None


def lookups(expr):
    """Every key path the expression reads, `'k' in x` included."""
    paths = []
    for node in ast.walk(ast.parse(expr, mode="eval")):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) \
                and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            base = chain(node.comparators[0])
            if base is not None:
                paths.append(base + [node.left.value])
        else:
            p = chain(node)
            if p is not None:
                paths.append(p)
    return paths


def uncarried(path):
    """The first key of a lookup path that the contract does not carry, or None."""
    if path[0] in ("datetime", "True", "False", "None", "len"):
        return None
    node = SCHEMA
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return k
        node = node[k]
    return None


def not_scoreable(rel, expr):
    """Why a case cannot be scored through the contract, or None."""
    folder = rel.split(os.sep)[1]
    if folder == "cdf":
        return "CDF (Channel Definition Format) is not a format of the contract"
    if "http" in rel:  # feedparser's runner serves these over HTTP, with the headers the file names
        return "HTTP (document URL and headers; braid parse reads a file)"
    paths = lookups(expr)
    for p in paths:
        k = uncarried(p)
        if k is not None:
            return WHY.get(k, "key not in the contract: " + str(k))
    for node in ast.walk(ast.parse(expr, mode="eval")):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            a, b = node.left, node.comparators[0]
            for side, lit in ((a, b), (b, a)):
                p = chain(side)
                if p and p[-1] in PLAIN and p[0] in ("feed", "channel", "entries", "items") and \
                        isinstance(lit, ast.Constant) and isinstance(lit.value, str) and MARKUP.search(lit.value) and \
                        not (p[-1] == "description" and p[0] in ("entries", "items")):
                    return "HTML markup in a plain-text field (braid's %s is plain text; deliberate)" % p[-1]
    if rel in DELIBERATE:
        return None
    if folder == "sanitize" and any(set(p) & {"content", "summary", "description", "title"} for p in paths):
        return "sanitized HTML (braid parse gives summary/content as the feed wrote them; braid sanitizes when it renders)"
    return None


def header(path):
    """(expression, skip condition) as feedparser's helpers.get_file_contents/get_test_data read them."""
    data = open(path, "rb").read()
    for bom, enc in ((b"\x00\x00\xfe\xff", "utf-32be"), (b"\xff\xfe\x00\x00", "utf-32le"), (b"\x00\x00\x00\x3c", "utf-32be"),
                     (b"\x3c\x00\x00\x00", "utf-32le"), (b"\x00\x3c\x00\x3f", "utf-16be"), (b"\x3c\x00\x3f\x00", "utf-16le"),
                     (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16")):
        if data.startswith(bom):
            text = data.decode(enc, errors="ignore")
            break
    else:
        text = data.decode("utf-8", errors="ignore")
    m = DESC.search(text)
    skip = SKIP.search(text)
    return (m.group(2).strip() if m else None), (skip.group(1).strip() if skip else None)


def score(path, expr, braid):
    # feedparser's runner hands it the document's text or bytes, never a URL: braid reads it
    # on stdin, so it has no document URL either, and relative links stay relative
    with open(path, "rb") as f:
        r = subprocess.run([braid, "parse", "-"], stdin=f, capture_output=True, timeout=60)
    if not r.stdout.strip():
        # braid refused the document (exit 1, nothing read): feedparser's bozo with nothing in it
        d = {"format": None, "encoding": None, "wellformed": False, "entries": [],
             "feed": {k: None for k in ("title", "link", "id", "subtitle", "updated", "language", "author", "image",
                                        "ttl")}}
        r.returncode = 0 if r.returncode == 1 else r.returncode
    else:
        d = json.loads(r.stdout)
    try:
        ok = bool(eval(expr, {"datetime": datetime}, dict(fp_view(d))))
    except NotScoreable as e:
        return "NOT-SCOREABLE", str(e)
    except (KeyError, IndexError, TypeError, AttributeError, NameError) as e:
        ok, why = False, repr(e)
    else:
        why = ""
    if ok and r.returncode != 0:
        return "FAIL", "braid parse exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace").strip()[-200:])
    if ok:
        return "PASS", ""
    return "FAIL", why or "feed=%s entries=%s" % (json.dumps(d["feed"]), json.dumps(d["entries"][:2])[:400])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    if not args:
        sys.exit(__doc__)
    root = os.path.abspath(args[0])
    braid = args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), "../../../build/gcc/braid")
    counts = collections.defaultdict(collections.Counter)
    fails, unscored, deliberate = [], collections.Counter(), []
    for top in ("wellformed", "illformed"):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, top))):
            for f in sorted(files):
                if not f.endswith(".xml"):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                parts = rel.split(os.sep)
                folder = "/".join(parts[:2]) if len(parts) > 2 else parts[0]
                expr, _ = header(path)
                if expr is None:
                    counts[folder]["NOT-SCOREABLE"] += 1
                    unscored["no Expect line"] += 1
                    continue
                why = not_scoreable(rel, expr)
                verdict = "NOT-SCOREABLE" if why else None
                if not why:
                    verdict, why = score(path, expr, braid)
                    if verdict == "FAIL" and rel in DELIBERATE:
                        verdict, why = "DELIBERATE", DELIBERATE[rel]
                counts[folder][verdict] += 1
                if verdict == "FAIL":
                    fails.append((rel, expr, why))
                elif verdict == "DELIBERATE":
                    deliberate.append((rel, why))
                elif verdict == "NOT-SCOREABLE":
                    unscored[why] += 1
                if verbose:
                    print("%-13s %s  %s" % (verdict, rel, why))
    total = collections.Counter()
    print("| folder | scoreable | pass | fail | deliberate difference | not scoreable |")
    print("|---|---|---|---|---|---|")
    for folder in sorted(counts):
        c = counts[folder]
        total.update(c)
        print("| %s | %d | %d | %d | %d | %d |" % (folder, c["PASS"] + c["FAIL"] + c["DELIBERATE"], c["PASS"], c["FAIL"],
                                                 c["DELIBERATE"], c["NOT-SCOREABLE"]))
    scoreable = total["PASS"] + total["FAIL"] + total["DELIBERATE"]
    print("| all | %d | %d | %d | %d | %d |" % (scoreable, total["PASS"], total["FAIL"], total["DELIBERATE"],
                                              total["NOT-SCOREABLE"]))
    print("\nNot scoreable, by reason:")
    for why, n in unscored.most_common():
        print("  %4d  %s" % (n, why))
    print("\nDeliberate differences (%d):" % len(deliberate))
    for rel, why in deliberate:
        print("  %s: %s" % (rel, why))
    print("\nFAIL (%d):" % len(fails))
    for rel, expr, why in fails:
        print("  %s\n      Expect: %s\n      braid: %s" % (rel, expr, why[:500]))
    print("\nfeedparser suite: %d scoreable, %d pass, %d differ on purpose, %d fail"
          % (scoreable, total["PASS"], total["DELIBERATE"], total["FAIL"]))


if __name__ == "__main__":
    main()
