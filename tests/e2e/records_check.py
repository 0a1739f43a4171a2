#!/usr/bin/python3
"""records_check.py - the release's records read by readers that are not
ours: the official JSON schemas of OSV and CSAF 2.0 (tests/data/schemas,
where they came from in tests/data/README) through Debian's
python3-jsonschema, and a few of CSAF's mandatory tests the schema cannot
say.  Prints "ok: ..." or "not ok: ..." lines, one per file.

    records_check.py osv FILE...
    records_check.py csaf FILE...
    records_check.py provider FILE...
    records_check.py index FILE
    records_check.py amber INNER NAME   the members' TLP:AMBER document, the
                                        attachment NAME of a decrypted copy
    records_check.py none INNER         a decrypted copy with no JSON part
"""
import email
import email.policy
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "data", "schemas")
RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$")


def load(name):
    with open(os.path.join(SCHEMAS, name), encoding="utf-8") as f:
        return json.load(f)


def validator(name):
    """A Draft 2020-12 validator whose $refs to CSAF's and FIRST's schemas
    resolve to the copies kept here (nothing is fetched)."""
    store = {}
    for fn, url in (("csaf_json_schema.json", "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"),
                    ("cvss-v2.0.json", "https://www.first.org/cvss/cvss-v2.0.json"),
                    ("cvss-v3.0.json", "https://www.first.org/cvss/cvss-v3.0.json"),
                    ("cvss-v3.1.json", "https://www.first.org/cvss/cvss-v3.1.json")):
        store[url] = load(fn)
    schema = load(name)
    fc = jsonschema.FormatChecker()
    try:
        # jsonschema 4.18 and later (Debian 13): a referencing registry.
        import referencing
        import referencing.jsonschema
        spec = referencing.jsonschema.DRAFT202012
        reg = referencing.Registry().with_resources(
            [(url, referencing.Resource.from_contents(s, default_specification=spec))
             for url, s in store.items()])
        return jsonschema.Draft202012Validator(schema, registry=reg, format_checker=fc)
    except (ImportError, TypeError):
        # jsonschema 4.10 (Debian 12) has no registry yet.
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver, format_checker=fc)


def errors(v, doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
            for e in v.iter_errors(doc)]


def csaf_extra(doc, label="WHITE"):
    """CSAF 2.0's mandatory tests the schema cannot say (6.1.14, 6.1.16,
    6.1.21, 6.1.22 in part), and the release's own promises."""
    bad = []
    tr = doc["document"]["tracking"]
    nums = [int(r["number"]) for r in tr["revision_history"]]
    if nums != sorted(nums) or len(set(nums)) != len(nums):
        bad.append("revision_history not in order: %s" % nums)
    if str(nums[-1]) != tr["version"]:
        bad.append("version %s is not the last revision %s" % (tr["version"], nums[-1]))
    if tr["current_release_date"] != tr["revision_history"][-1]["date"]:
        bad.append("current_release_date is not the last revision's date")
    for k in ("initial_release_date", "current_release_date"):
        if not RFC3339.match(tr[k]):
            bad.append("%s %r is not RFC 3339 UTC" % (k, tr[k]))
    if doc["document"]["distribution"]["tlp"]["label"] != label:
        bad.append("TLP is not %s" % label)
    if label == "AMBER":
        if tr["status"] != "interim":
            bad.append("status %s, not interim, under embargo" % tr["status"])
        if "Under embargo until" not in doc["document"]["distribution"].get("text", ""):
            bad.append("the distribution text does not name the embargo")
    pids = {p["product_id"] for p in doc.get("product_tree", {}).get("full_product_names", [])}
    for v in doc.get("vulnerabilities", []):
        for p in v.get("product_status", {}).get("known_affected", []):
            if p not in pids:
                bad.append("product %s is not in the product tree" % p)
    return bad


def json_parts(path):
    """The application/json parts of a decrypted copy, read by Python's
    email package: (file name, decoded bytes, its defects)."""
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    return [(p.get_filename(), p.get_payload(decode=True), p.defects)
            for p in msg.walk() if p.get_content_type() == "application/json"], msg.defects


def amber(inner, name):
    parts, defects = json_parts(inner)
    if defects or len(parts) != 1 or parts[0][0] != name or parts[0][2]:
        print("not ok: %s: one application/json part %s expected, found %r (defects %r)"
              % (inner, name, [(p[0], len(p[1] or b"")) for p in parts], defects))
        return 1
    doc = json.loads(parts[0][1].decode("utf-8"))
    bad = errors(validator("csaf_json_schema.json"), doc) or csaf_extra(doc, "AMBER")
    if bad:
        print("not ok: %s: %s" % (name, "; ".join(bad[:5])))
        return 1
    print("ok: %s in %s: valid CSAF 2.0, TLP:AMBER, %s, version %s" % (
        name, inner, doc["document"]["tracking"]["status"], doc["document"]["tracking"]["version"]))
    return 0


def main():
    kind, files = sys.argv[1], sys.argv[2:]
    if kind == "amber":
        return amber(files[0], files[1])
    if kind == "none":
        parts, _ = json_parts(files[0])
        print("%s: %s: %d JSON parts" % ("ok" if not parts else "not ok", files[0], len(parts)))
        return 1 if parts else 0
    name = {"osv": "osv_schema.json", "csaf": "csaf_json_schema.json",
            "provider": "provider_json_schema.json"}.get(kind)
    v = validator(name) if name else None
    rc = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            rc = 1
            print("not ok: %s: cannot be read: %s" % (path, e))
            continue
        if kind == "index":
            bad = []
            if not (isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0].get("xsas"), list)):
                bad.append("not [{\"xsas\": [...]}]")
            else:
                xs = doc[0]["xsas"]
                if [x["xsa"] for x in xs] != sorted(x["xsa"] for x in xs):
                    bad.append("not sorted by number")
                for x in xs:
                    if set(x) != {"xsa", "title", "public_time", "cve"} or not isinstance(x["xsa"], int):
                        bad.append("entry %r" % x)
        else:
            bad = errors(v, doc)
            if kind == "osv":
                for k in ("modified", "published"):
                    if not RFC3339.match(doc.get(k, "")):
                        bad.append("%s is not RFC 3339 UTC" % k)
            if kind == "csaf" and not bad:
                bad = csaf_extra(doc)
        if bad:
            rc = 1
            print("not ok: %s: %s" % (path, "; ".join(bad[:5])))
        else:
            print("ok: %s: valid %s" % (path, {"osv": "OSV (its schema)", "csaf": "CSAF 2.0 (its schema and mandatory tests named)",
                                                 "provider": "CSAF provider metadata (its schema)", "index": "index"}[kind]))
    return rc


if __name__ == "__main__":
    sys.exit(main())
