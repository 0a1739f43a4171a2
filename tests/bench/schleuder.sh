#!/bin/bash
# schleuder.sh - sourced by run.sh: Debian's schleuder (a list that
# re-encrypts every post to each subscriber) fed the same advisory, with
# the same key kinds and member counts, its mail leaving through the same
# Postfix reinjection listener (discarded there).  Measured: the wall time
# of "schleuder work" for one post, which sends every copy before it ends.
command -v schleuder >/dev/null || DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends schleuder >/dev/null
SD=$W/schleuder
mkdir -p "$SD/lists" "$SD/logs"
cat > "$SD/schleuder.yml" <<YML
lists_dir: $SD/lists
listlogs_dir: $SD/logs
keyword_handlers_dir: /usr/local/lib/schleuder/keyword_handlers
filters_dir: /usr/local/lib/schleuder/filters
log_level: warn
keyserver:
superadmin: root@localhost
smtp_settings:
  address: 127.0.0.1
  port: $REINJECT_PORT
database:
  production:
    adapter: 'sqlite3'
    database: $SD/db.sqlite
    timeout: 5000
YML
export SCHLEUDER_CONFIG=$SD/schleuder.yml SCHLEUDER_LIST_DEFAULTS=/etc/schleuder/list-defaults.yml
schleuder install >/dev/null 2>&1 || { echo "# schleuder install failed"; return 0; }
sout=$TOP/build/bench-schleuder.md
{ echo "| key | members | schleuder work, one post (s) | per copy (ms) | embargo-milter last copy (s), same run above |"
  echo "| --- | ---: | ---: | ---: | ---: |"; } > "$sout"
for kind in $KINDS; do
	for n in $SIZES; do
		lname="bench-$kind-$n@lists.example.org"
		gpg --homedir "$W/bench-${kind%%[0-9]*}" --armor --export "${KEY[$kind]}" > "$SD/member.asc"
		gpg --homedir "$TEAM_HOME" --armor --export "$TEAM_FPR" > "$SD/team.asc"
		ruby -e '
			require "schleuder"
			name, n, keyfile, teamfile, teamfpr = ARGV[0], ARGV[1].to_i, ARGV[2], ARGV[3], ARGV[4]
			list, _ = Schleuder::ListBuilder.new({email: name}, nil).run
			list = Schleuder::List.where(email: name).first
			# The team administers the list and gets no copies.
			list.import_key(File.read(teamfile))
			list.subscribe("security@example.org", teamfpr, true, false)
			list.import_key(File.read(keyfile))
			fpr = list.keys.find { |k| k.email != name && k.fingerprint != teamfpr }.fingerprint
			(1..n).each { |i| list.subscribe("security@m#{i}.bench.example", fpr, false, true) }
			print list.fingerprint
		' "$lname" "$n" "$SD/member.asc" "$SD/team.asc" "$TEAM_FPR" > "$SD/fpr" 2>"$SD/ruby.err" ||
		    { echo "# schleuder list set-up failed: $(tail -n 2 "$SD/ruby.err")"; continue; }
		sfpr=$(cat "$SD/fpr")
		GNUPGHOME="$SD/lists/lists.example.org/${lname%@*}" gpg --armor --export "$sfpr" |
		    gpg --homedir "$TEAM_HOME" --batch -q --import 2>/dev/null
		sed "s/^To: .*/To: $lname/" "$W/draft" > "$SD/draft"
		mutt_post "$SD/post.eml" "$SD/draft" "$sfpr" >/dev/null 2>&1 || { echo "# mutt failed"; continue; }
		t0=$(now)
		schleuder work "$lname" < "$SD/post.eml" > "$SD/work.out" 2>&1
		t1=$(now)
		sent=$(grep -c "from=<${lname%@*}-bounce@\|from=<$lname>\|from=<${lname%@*}-owner@" "$W/pf/maillog")
		grep -qi 'error' "$SD/work.out" && { echo "# schleuder failed: $(head -n 2 "$SD/work.out")"; continue; }
		el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		ours=$(grep "^| $kind | $n |" "$out" | awk -F'|' '{ print $5 }' | tr -d ' ')
		printf '| %s | %d | %s | %.1f | %s |\n' "$kind" "$n" "$el (sent $sent)" \
		    "$(awk -v e="$el" -v n="$n" 'BEGIN { print e * 1000 / n }')" "$ours" | tee -a "$sout"
	done
done
echo "# schleuder table written to $sout"
