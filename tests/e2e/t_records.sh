#!/bin/bash
# t_records - an early release, and the records machines read, written at
# the release (SPEC 6, "Records at the date") by "embargoctl record" as
# three release hooks from the real advisories' own text: XSA-405 (a CVE
# and its id on the title line, "Xen Security Advisory CVE-2022-33743 /
# XSA-405") and XSA-355 (no CVE).  Each record is read by readers that are
# not ours: OSV's and CSAF 2.0's official JSON schemas (tests/data/schemas)
# through python3-jsonschema (records_check.py).  Nothing is written under
# embargo.  "embargo XSA-405 --now --reason" does, once, all the date would
# have done: the held posting to the public list, the final copy to each
# of two members, the three hooks, the pre-announcement's new date, and a
# notice of the early release with its reason to each member.  XSA-355
# goes public at its date; each hook runs once; a later revision moves
# OSV's modified and adds a CSAF revision; a run again writes the same
# bytes.
. "$(dirname "$0")/lib.sh"
e2e_start --keys 2
ctl() { "$CTL_BIN" -c "$W/milter.conf" "$@"; }
# The daemon's user runs the hooks: lib.sh's copy of embargoctl, in $W.
H=$W R=$W/records
mkdir -p "$R"
chown nobody "$R"
URL='https://xenbits.xen.org/xsa/advisory-%n.html'
BASE=https://xenbits.xen.org/.well-known/csaf
cat >> "$W/milter.conf" <<EOF
pre_announce = { "distros@lists.example.net" }
release_hook "xsa-index" {
  command = { "$H/embargoctl", "record", "index", "$R/www/xsa.json" }
}
release_hook "osv" {
  command = { "$H/embargoctl", "record", "osv", "$R/osv", "--url", "$URL" }
}
release_hook "csaf" {
  command = { "$H/embargoctl", "record", "csaf", "$R/csaf", "--url", "$URL",
              "--base", "$BASE", "--publisher", "Xen Project Security Team",
              "--namespace", "https://xenproject.org", "--product", "Xen" }
}
csaf {
  publisher = "Xen Project Security Team"
  namespace = "https://xenproject.org"
  product   = "Xen"
  url       = "$URL"
}
EOF
# Member 1 asks for the TLP:AMBER CSAF document in its copies; member 2 not.
sed -i '/^member "Member 1" {/a\  csaf = true' "$W/milter.conf"
check "member 1 asks for the CSAF document (csaf = true)" grep -qx '  csaf = true' "$W/milter.conf"
check "embargoctl check accepts the three record hooks" bash -c "'$CTL_BIN' -c '$W/milter.conf' check > '$W/check.out' 2>&1"
milter_stop
milter_start
records() { /usr/bin/python3 "$TOP/tests/e2e/records_check.py" "$@"; }
done_runs() { ctl hooks | grep -c ' done '; }
runs_done() { [ "$(done_runs)" -ge "$1" ]; }

# 1. XSA-405 revision 2 under embargo to two members; revision 3 (the
#    public release) held for the public list: nothing written yet.
sed -e 's/^\( *\)version 3$/\1version 2/' -e 's/^\(Subject: .*\) v3 /\1 v2 /' \
    "$TOP/tests/data/xsa405.eml" > "$W/x405v2.eml"
real_post "$W/x405v2.eml" "$(utc_in 7200)" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-405 revision 2 is registered under embargo (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
for i in 1 2; do check "member $i gets revision 2" wait_delivered "${MEMBER_ADDR[$i]}" 1 30; done
# Under embargo, inside the encryption only: member 1's copy carries
# xsa-405.json, CSAF 2.0 marked TLP:AMBER; member 2's carries none.
for i in 1 2; do
	f=$(newest_with "${MEMBER_ADDR[$i]}" 'Embargoed security advisory XSA-405')
	check "member $i decrypts revision 2 with no defect" mailpy decrypt "$f" "${MEMBER_HOME[$i]}" "$W/r2m$i"
	check "member $i's copy shows no JSON outside its encryption" bash -c "! grep -q 'application/json\|TLP:AMBER\|xsa-405.json' '$f'"
done
while IFS= read -r line; do
	check "member 1's copy: ${line#*: }" test "${line%%:*}" = ok
done < <(records amber "$W/r2m1.inner" xsa-405.json 2>&1)
check "member 2's copy has no CSAF document" records none "$W/r2m2.inner"
real_post "$TOP/tests/data/xsa405.eml" - "$W/msg" announce@lists.example.org
send security@example.org announce@lists.example.org
check "revision 3 to the public list is held (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "under embargo, no record exists (no hook run)" bash -c "[ -z \"\$(ls -A '$R')\" ] && [ \$('$CTL_BIN' -c '$W/milter.conf' hooks | wc -l) = 1 ]"
check "the distributions' list was pre-announced the date once" wait_delivered distros@lists.example.net 1 30

# 2. Lifted now, a leak: everything the date would have done, once.
t0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ctl embargo XSA-405 --now --reason "the CVE text was published by a CNA" > /dev/null
check "the three hooks run once for XSA-405 revision 3" wait_for 60 runs_done 3
ctl hooks | sed 's/^/# /'
check "the held posting reaches the public list" wait_delivered announce@lists.example.org 1 30
final() {	# final ADDR: copies of revision 3 (not the notice, which shares its id's prefix)
	local g n=0
	for g in $(grep -l '^Message-I[dD]: <xsa-405\.r3\.' "$(maildir "$1")"/new/* 2>/dev/null); do
		[ "$(mailpy header "$g" Subject)" = "Embargoed security advisory XSA-405" ] && n=$((n + 1))
	done
	echo "$n"
}
lifted() { mailpy select Subject 'Embargo date notice XSA-405' $(find "$(maildir "$1")/new" -type f) 2>/dev/null | wc -l; }
all_came() { [ "$(final "${MEMBER_ADDR[1]}")" -ge 1 ] && [ "$(final "${MEMBER_ADDR[2]}")" -ge 1 ] && [ "$(lifted "${MEMBER_ADDR[1]}")" -ge 1 ] && [ "$(lifted "${MEMBER_ADDR[2]}")" -ge 1 ] && [ "$(delivered distros@lists.example.net)" -ge 2 ]; }
check "each member gets the final copy and the notice; the distributions' list the new date" wait_for 60 all_came
settled
for i in 1 2; do
	check "member $i: one final copy (revision 3), one notice of the early release ($(final "${MEMBER_ADDR[$i]}"), $(lifted "${MEMBER_ADDR[$i]}"))" \
	    test "$(final "${MEMBER_ADDR[$i]}"):$(lifted "${MEMBER_ADDR[$i]}")" = 1:1
done
n=$(newest_with "${MEMBER_ADDR[1]}" 'Embargo date notice XSA-405')
mailpy decrypt "$n" "${MEMBER_HOME[1]}" "$W/early" >/dev/null
mailpy text "$W/early.inner" 1 > "$W/early.txt"
check "... the notice says it is public early, and why" \
    bash -c "grep -q 'lifted before it came' '$W/early.txt' && grep -qx 'Why:       the CVE text was published by a CNA' '$W/early.txt'"
check "the public list got the posting once, the distributions' list two notices (the date, then public now)" \
    test "$(delivered announce@lists.example.org):$(delivered distros@lists.example.net)" = 1:2
ctl audit --advisory XSA-405 > "$W/audit"
check "the audit: one made-public, one early-release change with who and why, three hook-run" \
    test "$(grep -c '"event":"made-public"' "$W/audit"):$(grep -c 'early release: the CVE text was published by a CNA' "$W/audit"):$(grep -c '"event":"hook-run"' "$W/audit")" = "1:1:3"
O405=$R/osv/x_XSA-405.json C405=$R/csaf/white/$(date -u +%Y)/xsa-405.json
while IFS= read -r line; do
	check "OSV: ${line#*: }" test "${line%%:*}" = ok
done < <(records osv "$O405" 2>&1)
while IFS= read -r line; do
	check "CSAF: ${line#*: }" test "${line%%:*}" = ok
done < <(records csaf "$C405" 2>&1; records provider "$R/csaf/provider-metadata.json" 2>&1)
while IFS= read -r line; do
	check "index: ${line#*: }" test "${line%%:*}" = ok
done < <(records index "$R/www/xsa.json" 2>&1)
field() {	# field FILE PYTHON-EXPRESSION-OF-d
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
check "OSV: id, the CVE as its alias, the title as summary, ISSUE DESCRIPTION as details, the URL" \
    test "$(field "$O405" '"|".join([d["id"], ",".join(d["aliases"]), d["summary"], d["details"].split(chr(10))[0], d["references"][0]["url"]])')" = \
    "x_XSA-405|CVE-2022-33743|network backend may cause Linux netfront to use freed SKBs|While adding logic to support XDP (eXpress Data Path), a code label was|https://xenbits.xen.org/xsa/advisory-405.html"
pub=$(field "$O405" 'd["published"]')
check "OSV: published is the release second ($pub, lifted at $t0 or after)" \
    bash -c "[[ '$pub' > '$t0' || '$pub' == '$t0' ]] && [ '$(field "$O405" 'd["modified"]')' = '$pub' ]"
check "CSAF: TLP:WHITE, version 3, one revision, the CVE, tracking id XSA-405" \
    test "$(field "$C405" '"|".join([d["document"]["distribution"]["tlp"]["label"], d["document"]["tracking"]["version"], str(len(d["document"]["tracking"]["revision_history"])), d["vulnerabilities"][0]["cve"], d["document"]["tracking"]["id"]])')" = \
    "WHITE|3|1|CVE-2022-33743|XSA-405"
check "CSAF directory: index.txt and changes.csv name the document" \
    bash -c "grep -qx '$(date -u +%Y)/xsa-405.json' '$R/csaf/white/index.txt' && grep -q '^\"$(date -u +%Y)/xsa-405.json\",\"' '$R/csaf/white/changes.csv'"
check "the records are readable by a web server (0644)" test "$(stat -c %a "$O405" "$C405" "$R/www/xsa.json" | sort -u)" = 644

# The readers can fail: a record without its id is refused by OSV's schema.
/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); del d["id"]; json.dump(d, open(sys.argv[2], "w"))' "$O405" "$W/bad-osv.json"
check "the schema check refuses an OSV record without its id" bash -c "! /usr/bin/python3 '$TOP/tests/e2e/records_check.py' osv '$W/bad-osv.json' | grep -q '^ok'"

# 3. XSA-355 public at its date, a few seconds on: the index holds both.
E=$(( $(date +%s) + 10 ))
real_post "$TOP/tests/data/xsa355.eml" "$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S UTC')" "$W/msg355"
cp "$W/msg355" "$W/msg"
send security@example.org predisclosure@lists.example.org
check "XSA-355 is registered under embargo (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "at its date, the three hooks run for XSA-355" wait_for 60 runs_done 6
check "the index holds both, by number, XSA-355 with no CVE" \
    test "$(field "$R/www/xsa.json" '";".join("%d:%s:%s" % (x["xsa"], ",".join(x["cve"]), x["title"]) for x in d[0]["xsas"])')" = \
    "355::stack corruption from XSA-346 change;405:CVE-2022-33743:network backend may cause Linux netfront to use freed SKBs"
check "XSA-355's public_time is its date" test "$(field "$R/www/xsa.json" 'd[0]["xsas"][0]["public_time"]')" = "$(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S')"
while IFS= read -r line; do
	check "XSA-355: ${line#*: }" test "${line%%:*}" = ok
done < <(records osv "$R/osv/x_XSA-355.json" 2>&1; records csaf "$R/csaf/white/$(date -u +%Y)/xsa-355.json" 2>&1)
check "changes.csv lists both documents" test "$(grep -c . "$R/csaf/white/changes.csv")" = 2

# 4. Revision 4 of XSA-405, posted while public: the records follow it.
sed -e 's/^\( *\)version 3$/\1version 4/' -e 's/^\(Subject: .*\) v3 /\1 v4 /' "$TOP/tests/data/xsa405.eml" > "$W/x405v4.eml"
real_post "$W/x405v4.eml" - "$W/msg"
mod3=$(field "$O405" 'd["modified"]')
wait_for 5 bash -c "[ \$(date -u +%Y-%m-%dT%H:%M:%SZ) != '$mod3' ]"
send security@example.org predisclosure@lists.example.org
check "revision 4 of XSA-405 is accepted (rc $SWAKS_RC)" test "$SWAKS_RC" = 0
check "the three hooks run for revision 4" wait_for 60 runs_done 9
check "OSV: modified moved with revision 4, published stayed" \
    bash -c "[[ '$(field "$O405" 'd["modified"]')' > '$mod3' ]] && [ '$(field "$O405" 'd["published"]')' = '$pub' ]"
check "CSAF: version 4, revisions 3 and 4 in order, current_release_date the last" \
    test "$(field "$C405" '"|".join([d["document"]["tracking"]["version"], ",".join(r["number"] for r in d["document"]["tracking"]["revision_history"]), str(d["document"]["tracking"]["current_release_date"] == d["document"]["tracking"]["revision_history"][-1]["date"])])')" = "4|3,4|True"
while IFS= read -r line; do
	check "after revision 4: ${line#*: }" test "${line%%:*}" = ok
done < <(records osv "$O405" 2>&1; records csaf "$C405" 2>&1; records index "$R/www/xsa.json" 2>&1)

# 5. A run again (a hook retried after a crash) writes the same bytes.
cp "$O405" "$W/o.before"; cp "$C405" "$W/c.before"; cp "$R/www/xsa.json" "$W/i.before"
mailpy text "$W/msg" 0 > "$W/text4"
again() {
	runuser -u nobody -- env EMBARGO_ADVISORY=XSA-405 EMBARGO_REVISION=4 EMBARGO_DATE="$pub" \
	    EMBARGO_TEXT="$W/text4" "$H/embargoctl" record "$@" > /dev/null
}
chmod 0644 "$W/text4"
again osv "$R/osv" --url "$URL" && again index "$R/www/xsa.json" && \
    again csaf "$R/csaf" --url "$URL" --base "$BASE" --publisher "Xen Project Security Team" --namespace https://xenproject.org --product Xen
check "run again for revision 4: OSV, CSAF and the index byte for byte the same" \
    bash -c "cmp -s '$W/o.before' '$O405' && cmp -s '$W/c.before' '$C405' && cmp -s '$W/i.before' '$R/www/xsa.json'"
: > "$W/empty.json"
again index "$W/empty.json" 2> "$W/empty.err"; rc=$?
check "an index that is there but empty is never rewritten from nothing (exit $rc: $(head -c 120 "$W/empty.err"))" \
    bash -c "[ $rc = 2 ] && [ ! -s '$W/empty.json' ] && grep -q 'is empty' '$W/empty.err'"
check "record without the release's environment says what is missing" \
    bash -c "'$CTL_BIN' record osv '$W/x' --url u 2>&1 | grep -q 'EMBARGO_ADVISORY, EMBARGO_REVISION, EMBARGO_DATE and EMBARGO_TEXT are not all set'"
e2e_finish
